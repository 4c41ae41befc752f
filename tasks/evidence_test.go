package tasks

import (
	"archive/zip"
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
)

func zipOf(t *testing.T, entries ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(entries); i += 2 {
		w, err := zw.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, entries[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDetectType(t *testing.T) {
	t.Parallel()
	img := image.NewGray(image.Rect(0, 0, 3, 3))
	var pngB, jpgB bytes.Buffer
	if err := png.Encode(&pngB, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgB, img, nil); err != nil {
		t.Fatal(err)
	}
	const docMain = `<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>`
	const xlMain = `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`
	const docmMain = `<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>`
	many := []string{}
	for i := 0; i <= maxZipEntries; i++ {
		many = append(many, "f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+".txt", "")
	}
	many = append(many, "[Content_Types].xml", docMain, "word/document.xml", "<w:document/>")
	for _, c := range []struct {
		name string
		b    []byte
		want FileType
		ok   bool
	}{
		{"pdf", []byte("%PDF-1.7\n%%EOF"), TypePDF, true},
		{"png", pngB.Bytes(), TypePNG, true},
		{"jpeg", jpgB.Bytes(), TypeJPEG, true},
		{"docx", zipOf(t, "[Content_Types].xml", docMain, "word/document.xml", "<w:document/>"), TypeDOCX, true},
		{"xlsx", zipOf(t, "[Content_Types].xml", xlMain, "xl/workbook.xml", "<workbook/>"), TypeXLSX, true},
		{"odt", zipOf(t, "mimetype", "application/vnd.oasis.opendocument.text", "content.xml", "<x/>"), TypeODT, true},
		{"ods", zipOf(t, "mimetype", "application/vnd.oasis.opendocument.spreadsheet", "content.xml", "<x/>"), TypeODS, true},
		{"html", []byte("<!DOCTYPE html><script>alert(1)</script>"), FileType{}, false},
		{"pdf later in the file", []byte("<html>%PDF-1.4"), FileType{}, false},
		{"exe", []byte("MZ\x90\x00\x03\x00\x00\x00"), FileType{}, false},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), FileType{}, false},
		{"png signature only", []byte("\x89PNG\r\n\x1a\n"), FileType{}, false},
		{"empty", nil, FileType{}, false},
		{"plain zip", zipOf(t, "a.txt", "hello"), FileType{}, false},
		{"docx without its main part", zipOf(t, "[Content_Types].xml", docMain), FileType{}, false},
		{"content types naming no document", zipOf(t, "[Content_Types].xml", "<Types/>", "word/document.xml", "<w:document/>"), FileType{}, false},
		{"macro-enabled docm", zipOf(t, "[Content_Types].xml", docmMain, "word/document.xml", "<w:document/>"), FileType{}, false},
		{"odf presentation", zipOf(t, "mimetype", "application/vnd.oasis.opendocument.presentation"), FileType{}, false},
		{"truncated zip", zipOf(t, "[Content_Types].xml", docMain, "word/document.xml", "<w:document/>")[:40], FileType{}, false},
		{"too many entries", zipOf(t, many...), FileType{}, false},
	} {
		got, ok := DetectType(c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestSafeFileName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		t    FileType
		want string
	}{
		{"Báo cáo quý I.pdf", TypePDF, "Báo cáo quý I.pdf"},
		{"Ba\u0301o ca\u0301o.PDF", TypePDF, "Báo cáo.pdf"}, // NFD in, NFC out
		{`C:\Users\hue\Đề án 06.docx`, TypeDOCX, "Đề án 06.docx"},
		{"../../etc/passwd", TypePDF, "passwd.pdf"},
		{"ảnh\u202Egnp.exe", TypePNG, "ảnhgnp.exe.png"}, // RLO removed, the real type appended
		{"a\x00b\r\nc.pdf", TypePDF, "abc.pdf"},
		{"trang.html", TypePDF, "trang.html.pdf"},
		{"ảnh.jpeg", TypeJPEG, "ảnh.jpeg"},
		{`a<b>:c|d?e*.png`, TypePNG, "a_b__c_d_e_.png"},
		{"  ...ẩn.pdf. . ", TypePDF, "ẩn.pdf"},
		{"", TypePDF, "tep-dinh-kem.pdf"},
		{"...", TypeODS, "tep-dinh-kem.ods"},
		{"CON.pdf", TypePDF, "_CON.pdf"},
		{strings.Repeat("Ệ", 400) + ".xlsx", TypeXLSX, strings.Repeat("Ệ", MaxFileName-5) + ".xlsx"},
	} {
		if got := SafeFileName(c.in, c.t); got != c.want {
			t.Errorf("SafeFileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
