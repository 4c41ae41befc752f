package tasks

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Evidence files are accepted by what their bytes are, never by their name
// or the Content-Type the client sent: a PDF, a PNG, a JPEG, or an office
// document (DOCX, XLSX, ODT, ODS), the last four being ZIP containers whose
// content is checked too.

// FileType is a type of evidence file the API accepts.
type FileType struct {
	Name        string // as users know it: "PDF", "DOCX"
	ContentType string // the media type the file is served with
	Ext         string // the extension its name ends with, with the dot
}

// The accepted types.
var (
	TypePDF  = FileType{"PDF", "application/pdf", ".pdf"}
	TypePNG  = FileType{"PNG", "image/png", ".png"}
	TypeJPEG = FileType{"JPEG", "image/jpeg", ".jpg"}
	TypeDOCX = FileType{"DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"}
	TypeXLSX = FileType{"XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"}
	TypeODT  = FileType{"ODT", "application/vnd.oasis.opendocument.text", ".odt"}
	TypeODS  = FileType{"ODS", "application/vnd.oasis.opendocument.spreadsheet", ".ods"}
)

// AcceptedTypes names the accepted types, for messages.
const AcceptedTypes = "PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS"

// Bounds on what DetectType reads of a ZIP container: a document with more
// entries than this is not one we accept, and the entries it opens are read
// no further than needed (a small decompressed prefix), so a ZIP bomb costs
// nothing.
const (
	maxZipEntries      = 5000
	maxContentTypesXML = 1 << 20 // [Content_Types].xml
	maxODFMimetype     = 100     // the mimetype entry
)

// DetectType returns the type of the file whose bytes are b, or false when
// it is none of the accepted types.
func DetectType(b []byte) (FileType, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return TypePDF, true
	case len(b) >= 16 && bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) && string(b[12:16]) == "IHDR":
		return TypePNG, true
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG, true
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return detectZip(b)
	}
	return FileType{}, false
}

// detectZip tells an office document from any other ZIP: OOXML has
// [Content_Types].xml declaring the main part of a word-processing document
// (word/document.xml) or a workbook (xl/workbook.xml), and that part;
// ODF has a mimetype entry naming a text document or a spreadsheet.
// Macro-enabled documents (.docm, .xlsm) declare other main types and are
// refused.
func detectZip(b []byte) (FileType, bool) {
	if n, ok := zipEntryCount(b); !ok || n > maxZipEntries {
		return FileType{}, false
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return FileType{}, false
	}
	entries := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		entries[f.Name] = f
	}
	if f := entries["mimetype"]; f != nil {
		switch strings.TrimSpace(string(readEntry(f, maxODFMimetype))) {
		case TypeODT.ContentType:
			return TypeODT, true
		case TypeODS.ContentType:
			return TypeODS, true
		}
		return FileType{}, false
	}
	ct := entries["[Content_Types].xml"]
	if ct == nil {
		return FileType{}, false
	}
	types := readEntry(ct, maxContentTypesXML)
	switch {
	case bytes.Contains(types, []byte(`application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml`)) &&
		entries["word/document.xml"] != nil:
		return TypeDOCX, true
	case bytes.Contains(types, []byte(`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml`)) &&
		entries["xl/workbook.xml"] != nil:
		return TypeXLSX, true
	}
	return FileType{}, false
}

// zipEntryCount reads the number of entries from the end of central
// directory record, before archive/zip allocates one File per entry. A
// ZIP64 archive (0xFFFF entries or more) is not an office document we take.
func zipEntryCount(b []byte) (int, bool) {
	const eocdLen = 22
	start := max(0, len(b)-eocdLen-0xFFFF)
	i := bytes.LastIndex(b[start:], []byte("PK\x05\x06"))
	if i < 0 || start+i+eocdLen > len(b) {
		return 0, false
	}
	n := int(binary.LittleEndian.Uint16(b[start+i+10:]))
	return n, n != 0xFFFF
}

// readEntry returns at most limit bytes of an entry, decompressed; nothing
// when it cannot be read.
func readEntry(f *zip.File, limit int64) []byte {
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit))
	if err != nil {
		return nil
	}
	return b
}

// MaxFileName bounds a stored file name, in characters.
const MaxFileName = 150

// SafeFileName returns name as it may be stored and offered for download:
// NFC, without any directory part (either slash), without control and
// invisible formatting characters (a right-to-left override can disguise
// "gpj.exe" as "exe.jpg"), without characters Windows refuses, without
// leading dots or trailing dots and spaces, at most MaxFileName characters
// with its extension kept, and ending in the extension of its detected type
// t (appended when the name has another). Vietnamese letters are kept.
func SafeFileName(name string, t FileType) string {
	name = norm.NFC.String(name)
	name = strings.ReplaceAll(name, `\`, "/")
	if name = path.Base("/" + name); name == "/" {
		name = ""
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		case strings.ContainsRune(`<>:"/|?*`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	ext := strings.ToLower(path.Ext(name))
	if !t.hasExt(ext) {
		ext = t.Ext
	} else {
		name = name[:len(name)-len(ext)]
	}
	stem := strings.TrimRight(name, ". ")
	if r := []rune(stem); len(r) > MaxFileName-len(ext) {
		stem = strings.TrimRight(string(r[:MaxFileName-len(ext)]), ". ")
	}
	switch {
	case stem == "":
		stem = "tep-dinh-kem" // "attachment"
	case reservedOnWindows(stem):
		stem = "_" + stem
	}
	return stem + ext
}

// hasExt reports whether ext (lower case, with the dot) belongs to t.
func (t FileType) hasExt(ext string) bool {
	return ext == t.Ext || t == TypeJPEG && ext == ".jpeg"
}

// reservedOnWindows reports device names Windows will not save a file as.
func reservedOnWindows(stem string) bool {
	s := strings.ToUpper(stem)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(s) == 4 && (strings.HasPrefix(s, "COM") || strings.HasPrefix(s, "LPT")) && s[3] >= '1' && s[3] <= '9'
}
