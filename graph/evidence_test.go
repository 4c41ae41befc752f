package graph_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"p06/graph"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// upFile is a file of a multipart request: its name and Content-Type as the
// client claims them, and its bytes.
type upFile struct {
	name, ctype string
	body        []byte
}

// multipartBody builds a GraphQL multipart request (operations, map, files,
// as the spec orders them); files maps each file's variables path
// ("variables.in.files.0") to the file.
func multipartBody(t *testing.T, query string, vars map[string]any, files map[string]upFile) (*bytes.Buffer, string) {
	t.Helper()
	ops, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	paths := slices.Sorted(maps.Keys(files))
	m := map[string][]string{}
	for i, p := range paths {
		m[strconv.Itoa(i)] = []string{p}
	}
	mj, _ := json.Marshal(m)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("operations", string(ops)); err != nil {
		t.Fatal(err)
	}
	if err := mw.WriteField("map", string(mj)); err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		f := files[p]
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%d"; filename="%s"`, i, strings.NewReplacer(`"`, `\"`).Replace(f.name)))
		h.Set("Content-Type", f.ctype)
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(f.body)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, mw.FormDataContentType()
}

// upload sends a multipart request as c whose files go to
// variables.in.files, and returns the response and its HTTP status.
// chunked sends it without Content-Length.
func (c *client) upload(query string, in map[string]any, files []upFile, chunked bool, out any) (response, int) {
	c.t.Helper()
	in["files"] = make([]any, len(files))
	byPath := map[string]upFile{}
	for i, f := range files {
		byPath[fmt.Sprintf("variables.in.files.%d", i)] = f
	}
	return c.sendMultipart(query, map[string]any{"in": in}, byPath, chunked, out)
}

// sendMultipart sends a multipart request as c, in English, and decodes its
// data into out (if not nil).
func (c *client) sendMultipart(query string, vars map[string]any, files map[string]upFile, chunked bool, out any) (response, int) {
	c.t.Helper()
	body, ctype := multipartBody(c.t, query, vars, files)
	var rd io.Reader = body
	if chunked {
		rd = io.MultiReader(body) // hides the length
	}
	req, _ := http.NewRequest(http.MethodPost, c.url, rd)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept-Language", "en")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		c.t.Fatalf("status %d: %v", res.StatusCode, err)
	}
	if out != nil && len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, out); err != nil {
			c.t.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
	return r, res.StatusCode
}

// get fetches path on c's server; it returns the response with its body
// read.
func (c *client) get(path string) (*http.Response, []byte) {
	c.t.Helper()
	res, err := http.Get(c.url + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res, b
}

const reportMutation = `mutation($in: ReportProgressInput!) { reportProgress(input: $in) {
	progressReport { id reportedAt reportedOn text author { username } files { name size contentType sha256 url } }
	assignment { id }
	userErrors { field message code } } }`

type evidenceFile struct {
	Name, ContentType, Sha256, URL string
	Size                           int
}

type reportOut struct {
	ReportProgress struct {
		ProgressReport *struct {
			ID, ReportedAt, ReportedOn, Text string
			Author                           *struct{ Username string }
			Files                            []evidenceFile
		}
		Assignment *struct{ ID string }
		UserErrors []struct {
			Field         []string
			Message, Code string
		}
	}
}

// Test files, made here: the smallest valid bytes of each kind.
var (
	pdfFile = []byte("%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n" +
		"trailer <</Root 1 0 R>>\n%%EOF\n")
	htmlFile = []byte("<!DOCTYPE html><html><body><script>fetch('/query')</script></body></html>")
)

func pngFile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipFile makes a ZIP of the given entries (name, content), in order.
func zipFile(t *testing.T, entries ...string) []byte {
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

// docxFile is a minimal Word document, as Word lays one out.
func docxFile(t *testing.T) []byte {
	return zipFile(t,
		"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">`+
			`<w:body><w:p><w:r><w:t>Báo cáo tiến độ</w:t></w:r></w:p></w:body></w:document>`)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// evidenceRows counts what reports store: reports, files, blobs, and
// assignment.report audit rows.
func evidenceRows(t *testing.T, db *store.DB) [4]int {
	t.Helper()
	var n [4]int
	for i, table := range []string{"progress_reports", "evidence_files", "evidence_blobs"} {
		c, err := db.NewSelect().Table(table).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n[i] = int(c)
	}
	n[3] = auditCount(t, db, "assignment.report")
	return n
}

// Huế reports progress with a PDF and a PNG sent as a real multipart
// request; the report is listed with the files' hashes, the files are
// downloadable by Huế and the national viewer but not by Hà Nội, and every
// refused upload (too large, disguised, an unknown ZIP, too many files, a
// caller without the right) stores nothing at all.
func TestReportProgress(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			vpcp := newClient(t, db)
			hanoi := &client{t: t, url: serveAs(t, db, "hanoi")}
			id, _ := anAssignment(hue, "46", "NOT_STARTED", "IN_PROGRESS")
			png1 := pngFile(t)

			// A report with two files. The client's names and types are not
			// trusted: a Windows path, NFD text and a right-to-left override
			// are cleaned, the PNG is served as image/png whatever it claimed.
			nfdName := `C:\Users\hue\` + norm.NFD.String("Ảnh hiện trường.png")
			var out reportOut
			r, status := hue.upload(reportMutation, map[string]any{"assignment": id, "text": "  Đã cấp 1.200 tài khoản định danh mức 2  "},
				[]upFile{{"bi\u202Een-ban.pdf", "application/octet-stream", pdfFile}, {nfdName, "text/html", png1}}, false, &out)
			rep := out.ReportProgress.ProgressReport
			if status != http.StatusOK || len(r.Errors) > 0 || len(out.ReportProgress.UserErrors) > 0 || rep == nil {
				t.Fatalf("report: %d %+v %+v", status, r.Errors, out.ReportProgress)
			}
			if rep.Text != "Đã cấp 1.200 tài khoản định danh mức 2" || rep.ReportedOn != "2026-12-01" || rep.Author == nil || rep.Author.Username != "hue" ||
				out.ReportProgress.Assignment == nil || out.ReportProgress.Assignment.ID != id {
				t.Fatalf("report: %+v", rep)
			}
			want := []evidenceFile{
				{Name: "bien-ban.pdf", ContentType: "application/pdf", Sha256: sha(pdfFile), Size: len(pdfFile)},
				{Name: "Ảnh hiện trường.png", ContentType: "image/png", Sha256: sha(png1), Size: len(png1)},
			}
			if len(rep.Files) != 2 {
				t.Fatalf("files: %+v", rep.Files)
			}
			for i, f := range rep.Files {
				w := want[i]
				w.URL = f.URL
				if f != w || !strings.HasPrefix(f.URL, "/evidence/") {
					t.Errorf("file %d: %+v, want %+v", i, f, w)
				}
			}
			if !norm.NFC.IsNormalString(rep.Files[1].Name) {
				t.Errorf("name not NFC: %q", rep.Files[1].Name)
			}
			if n := evidenceRows(t, db); n != [4]int{1, 2, 2, 1} {
				t.Fatalf("stored: %v", n)
			}
			var detail string
			if err := db.NewSelect().Table("audit_log").Column("detail").Where("action = 'assignment.report'").Scan(context.Background(), &detail); err != nil ||
				!strings.Contains(detail, sha(pdfFile)) || !strings.Contains(detail, sha(png1)) || !strings.Contains(detail, "bien-ban.pdf") {
				t.Fatalf("audit detail %s %v", detail, err)
			}

			// A second report, without files, with the same PNG again: the
			// bytes are stored once.
			var out2 reportOut
			hue.upload(reportMutation, map[string]any{"assignment": id, "text": "Bổ sung ảnh"}, []upFile{{"lan2.png", "image/png", png1}}, false, &out2)
			if out2.ReportProgress.ProgressReport == nil {
				t.Fatalf("second report: %+v", out2.ReportProgress)
			}
			if n := evidenceRows(t, db); n != [4]int{2, 3, 2, 2} {
				t.Fatalf("stored after the second: %v", n)
			}

			// Listed newest first, by anyone who may read the assignment.
			var list struct {
				Node struct {
					ProgressReports []struct {
						Text  string
						Files []evidenceFile
					}
				}
			}
			for _, c := range []*client{hue, vpcp} {
				c.must(`query($id: ID!) { node(id: $id) { ... on Assignment { progressReports { text files { name size contentType sha256 url } } } } }`,
					map[string]any{"id": id}, &list)
				prs := list.Node.ProgressReports
				if len(prs) != 2 || prs[0].Text != "Bổ sung ảnh" || len(prs[1].Files) != 2 || prs[1].Files[0].Sha256 != sha(pdfFile) {
					t.Fatalf("list: %+v", prs)
				}
			}
			// The report is a node too, of the readers only.
			var node struct{ Node *struct{ Text string } }
			vpcp.must(`query($id: ID!) { node(id: $id) { ... on ProgressReport { text } } }`, map[string]any{"id": rep.ID}, &node)
			if node.Node == nil || node.Node.Text != rep.Text {
				t.Fatalf("node: %+v", node)
			}
			if res := hanoi.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": rep.ID}, nil); code(res) != "NOT_FOUND" {
				t.Fatalf("hanoi reads the report: %+v", res)
			}

			// Downloads: the bytes, as an attachment of the stored type.
			for _, c := range []*client{hue, vpcp} {
				res, body := c.get(rep.Files[1].URL)
				h := res.Header
				if res.StatusCode != 200 || !bytes.Equal(body, png1) || h.Get("Content-Type") != "image/png" ||
					h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "private" ||
					!strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none'") ||
					h.Get("Content-Disposition") != `attachment; filename="Anh hien truong.png"; filename*=UTF-8''%E1%BA%A2nh%20hi%E1%BB%87n%20tr%C6%B0%E1%BB%9Dng.png` {
					t.Fatalf("download: %d %v", res.StatusCode, h)
				}
			}
			// Hà Nội, nobody, and a file that does not exist: the same 404.
			anon := &client{t: t, url: serveAs(t, db, "")}
			res404, body404 := hue.get("/evidence/999999")
			for _, c := range []*client{hanoi, anon} {
				for _, f := range rep.Files {
					res, body := c.get(f.URL)
					if res.StatusCode != 404 || !bytes.Equal(body, body404) || res404.StatusCode != 404 {
						t.Fatalf("%s: %d %q", f.URL, res.StatusCode, body)
					}
				}
			}
			if res, _ := hue.get("/evidence/abc"); res.StatusCode != 404 {
				t.Fatalf("/evidence/abc: %d", res.StatusCode)
			}
			// The refusal is coded, in the caller's language.
			var refusal struct {
				Errors []struct {
					Message    string
					Extensions struct{ Code string }
				}
			}
			if err := json.Unmarshal(body404, &refusal); err != nil || len(refusal.Errors) != 1 || refusal.Errors[0].Extensions.Code != "NOT_FOUND" ||
				refusal.Errors[0].Message != "không tìm thấy tệp minh chứng" {
				t.Fatalf("404 body %q: %v", body404, err)
			}

			before := evidenceRows(t, db)
			nothingStored := func(what string) {
				t.Helper()
				if n := evidenceRows(t, db); n != before {
					t.Fatalf("%s stored something: %v, before %v", what, n, before)
				}
			}
			refusedFile := func(what string, files []upFile, field, msg string) {
				t.Helper()
				var out reportOut
				r, status := hue.upload(reportMutation, map[string]any{"assignment": id, "text": "x"}, files, false, &out)
				ue := out.ReportProgress.UserErrors
				if status != 200 || len(r.Errors) > 0 || out.ReportProgress.ProgressReport != nil || len(ue) != 1 || ue[0].Code != "INVALID" ||
					strings.Join(ue[0].Field, ".") != field || !strings.Contains(ue[0].Message, msg) {
					t.Fatalf("%s: %d %+v %+v", what, status, r.Errors, out.ReportProgress)
				}
				nothingStored(what)
			}
			// A web page renamed .pdf, alone and after a good file (whose bytes,
			// new to the database, must not be kept either).
			png2 := append(pngFile(t), 0) // other bytes, still a PNG
			refusedFile("html as pdf", []upFile{{"bao-cao.pdf", "application/pdf", htmlFile}}, "input.files.0", `file "bao-cao.pdf" is refused`)
			refusedFile("html as pdf after a png", []upFile{{"anh.png", "image/png", png2}, {"bao-cao.pdf", "application/pdf", htmlFile}},
				"input.files.1", `file "bao-cao.pdf" is refused`)
			// A ZIP that is not an office document, named .docx.
			refusedFile("plain zip", []upFile{{"so-lieu.docx", "application/zip", zipFile(t, "so-lieu.txt", "1,2,3")}}, "input.files.0", `file "so-lieu.docx"`)
			// A Word document that is really one is accepted.
			docx := docxFile(t)
			out = reportOut{}
			hue.upload(reportMutation, map[string]any{"assignment": id, "text": "Kế hoạch"}, []upFile{{"ke-hoach", "application/zip", docx}}, false, &out)
			if rep := out.ReportProgress.ProgressReport; rep == nil || len(rep.Files) != 1 || rep.Files[0].Name != "ke-hoach.docx" ||
				rep.Files[0].ContentType != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" {
				t.Fatalf("docx: %+v", out.ReportProgress)
			}
			before = evidenceRows(t, db)
			// Too many files; an empty text; a text over its limit (the
			// report's text may be longer than the default 200 characters).
			many := make([]upFile, 11)
			for i := range many {
				many[i] = upFile{fmt.Sprintf("%d.pdf", i), "application/pdf", pdfFile}
			}
			refusedFile("11 files", many, "input.files", "at most 10 files")
			var o2 reportOut
			hue.upload(reportMutation, map[string]any{"assignment": id, "text": "   "}, nil, false, &o2)
			if ue := o2.ReportProgress.UserErrors; len(ue) != 1 || strings.Join(ue[0].Field, ".") != "input.text" {
				t.Fatalf("empty text: %+v", o2.ReportProgress)
			}
			r, _ = hue.upload(reportMutation, map[string]any{"assignment": id, "text": strings.Repeat("ạ", 5001)}, nil, false, &o2)
			if code(r) != "INVALID" || !strings.Contains(r.Errors[0].Message, "5000") {
				t.Fatalf("long text: %+v", r.Errors)
			}
			nothingStored("refused texts")
			// Plain JSON (no files) works, with a text longer than 200.
			long := strings.Repeat("Tiến độ tốt. ", 30)
			hue.must(reportMutation, map[string]any{"in": map[string]any{"assignment": id, "text": long}}, &o2)
			if rep := o2.ReportProgress.ProgressReport; rep == nil || rep.Text != strings.TrimSpace(long) || len(rep.Files) != 0 {
				t.Fatalf("plain report: %+v", o2.ReportProgress)
			}
			before = evidenceRows(t, db)

			// Hà Nội's editor on Huế's assignment: NOT_FOUND, as for one that
			// does not exist; Hà Nội's approver may not report at all.
			r, _ = hanoi.upload(reportMutation, map[string]any{"assignment": id, "text": "x"}, []upFile{{"a.pdf", "application/pdf", pdfFile}}, false, &out)
			if ue := out.ReportProgress.UserErrors; len(r.Errors) > 0 || len(ue) != 1 || ue[0].Code != "NOT_FOUND" {
				t.Fatalf("hanoi on hue's assignment: %+v %+v", r.Errors, out.ReportProgress)
			}
			approver := &client{t: t, url: serveAs(t, db, "hanoi-approver")}
			theirs, _ := anAssignment(hanoi, "01", "NOT_STARTED", "IN_PROGRESS")
			if r, _ := approver.upload(reportMutation, map[string]any{"assignment": theirs, "text": "x"}, []upFile{{"a.pdf", "application/pdf", pdfFile}}, false, nil); code(r) != "FORBIDDEN" {
				t.Fatalf("approver: %+v", r)
			}
			// Anonymous multipart requests are refused before the body is read.
			if r, status := anon.upload(reportMutation, map[string]any{"assignment": id, "text": "x"}, []upFile{{"a.pdf", "application/pdf", pdfFile}}, false, nil); status != 401 || code(r) != "UNAUTHENTICATED" {
				t.Fatalf("anonymous upload: %d %+v", status, r)
			}
			nothingStored("refused callers")
		})
	}
}

// The body limits: a multipart request gets Limits.UploadBytes and nothing
// more (refused before it is read, from its Content-Length, or refused
// when it does not say its length), while a plain JSON request keeps the
// 1 MiB limit even on a server that takes large uploads.
func TestUploadLimits(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			lim := graph.DefaultLimits
			lim.UploadBytes = 64 << 10
			small := &client{t: t, url: serveWith(t, db, "hue", lim)}
			hue := &client{t: t, url: serveAs(t, db, "hue")} // 20 MiB
			id, _ := anAssignment(hue, "46", "NOT_STARTED", "IN_PROGRESS")
			before := evidenceRows(t, db)

			big := append(bytes.Clone(pdfFile), bytes.Repeat([]byte("%"), 100<<10)...) // a valid 100 KiB PDF
			r, status := small.upload(reportMutation, map[string]any{"assignment": id, "text": "x"}, []upFile{{"lon.pdf", "application/pdf", big}}, false, nil)
			if status != http.StatusRequestEntityTooLarge || code(r) != "INVALID" || !strings.Contains(r.Errors[0].Message, "65536 bytes") {
				t.Fatalf("over the limit: %d %+v", status, r)
			}
			r, status = small.upload(reportMutation, map[string]any{"assignment": id, "text": "x"}, []upFile{{"lon.pdf", "application/pdf", big}}, true, nil)
			if status != http.StatusLengthRequired || code(r) != "INVALID" {
				t.Fatalf("without a length: %d %+v", status, r)
			}
			if n := evidenceRows(t, db); n != before {
				t.Fatalf("refused uploads stored %v (before %v)", n, before)
			}
			// Within the limit, the same server takes it.
			var out reportOut
			small.upload(reportMutation, map[string]any{"assignment": id, "text": "x"}, []upFile{{"nho.pdf", "application/pdf", pdfFile}}, false, &out)
			if out.ReportProgress.ProgressReport == nil {
				t.Fatalf("small upload: %+v", out.ReportProgress)
			}

			// 1.5 MiB: accepted as a file, refused as a JSON body.
			mid := append(bytes.Clone(pdfFile), bytes.Repeat([]byte("%"), 1536<<10)...)
			hue.upload(reportMutation, map[string]any{"assignment": id, "text": "y"}, []upFile{{"vua.pdf", "application/pdf", mid}}, false, &out)
			if rep := out.ReportProgress.ProgressReport; rep == nil || rep.Files[0].Size != len(mid) {
				t.Fatalf("1.5 MiB upload: %+v", out.ReportProgress)
			}
			body, _ := json.Marshal(map[string]any{"query": reportMutation, "variables": map[string]any{"in": map[string]any{"assignment": id, "text": string(mid)}}})
			res, err := http.Post(hue.url, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			jb, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(jb), "1048576") {
				t.Fatalf("a 1.5 MiB JSON body was read: %d %.300s", res.StatusCode, jb)
			}
			if n := evidenceRows(t, db); n[0] != before[0]+2 {
				t.Fatalf("reports: %v, before %v", n, before)
			}
		})
	}
}

// Reports cannot make a query expensive: progressReports is bounded and
// priced with its files.
func TestProgressReportsPriced(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	c := newClient(t, db)
	if r := c.do(`{ assignments(first: 100) { nodes { progressReports(first: 100) { text files { name } } } } }`, nil, nil); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("100 × 100 reports with files: %+v", r.Errors)
	}
	// Too long a list is refused for what it is, however long: not priced
	// out of the complexity limit (a length outside 1–100 is never read).
	for _, n := range []string{"0", "101", "2147483647"} {
		r := c.do(`{ assignments(first: 100) { nodes { progressReports(first: `+n+`) { text } } } }`, nil, nil)
		if code(r) != "INVALID" || !strings.Contains(r.Errors[0].Message, "first") || !strings.Contains(r.Errors[0].Message, "1–100") {
			t.Fatalf("first: %s: %+v", n, r.Errors)
		}
	}
	var out struct {
		Assignments struct {
			Nodes []struct{ ProgressReports []struct{ Text string } }
		}
	}
	c.must(`{ assignments(first: 20) { nodes { progressReports { text files { name url } } } } }`, nil, &out)
	if len(out.Assignments.Nodes) != 20 {
		t.Fatalf("nodes: %d", len(out.Assignments.Nodes))
	}
}

// Mistakes in a multipart request are coded INVALID errors in the caller's
// language, never INTERNAL; a caller who may not send files is refused
// before the body is read; one caller sends one request with files at a
// time, so nobody can hold every upload slot.
func TestMultipartMistakesAreCoded(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	hue := &client{t: t, url: serveAs(t, db, "hue")}
	const q = `mutation($in: ReportProgressInput!) { reportProgress(input: $in) { userErrors { code } } }`
	pdf := upFile{"a.pdf", "application/pdf", []byte("%PDF-1.4\n%%EOF\n")}
	r, status := hue.sendMultipart(q, map[string]any{"in": map[string]any{"assignment": "x", "text": "t", "files": []any{nil}}},
		map[string]upFile{"variables.in.files.1": pdf}, false, nil)
	if status != http.StatusBadRequest || code(r) != "INVALID" || !strings.Contains(r.Errors[0].Message, "multipart") {
		t.Errorf("a map naming files.1 of one file: %d %+v", status, r.Errors)
	}
	// No map part at all: Vietnamese by default.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("operations", `{"query": "{ __typename }"}`)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, hue.url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var nomap response
	json.NewDecoder(res.Body).Decode(&nomap)
	res.Body.Close()
	if res.StatusCode < 400 || code(nomap) != "INVALID" || !strings.Contains(nomap.Errors[0].Message, "không đúng chuẩn") {
		t.Errorf("no map part: %d %+v", res.StatusCode, nomap.Errors)
	}

	viewer := &client{t: t, url: serveAs(t, db, "viewer-46")}
	if r, status := viewer.upload(q, map[string]any{"assignment": "x", "text": "t"}, []upFile{pdf}, false, nil); status != http.StatusForbidden || code(r) != "FORBIDDEN" {
		t.Errorf("a viewer sending files: %d %+v", status, r.Errors)
	}

	// Hold one upload open (its body not yet sent): a second from the same
	// caller is refused at once.
	pr, pw := io.Pipe()
	held, _ := http.NewRequest(http.MethodPost, hue.url, pr)
	held.ContentLength = 1000
	held.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := http.DefaultClient.Do(held); err == nil {
			res.Body.Close()
		}
	}()
	pw.Write([]byte("--B\r\n"))
	var second response
	for range 50 {
		second, status = hue.upload(q, map[string]any{"assignment": "x", "text": "t"}, []upFile{pdf}, false, nil)
		if status == http.StatusTooManyRequests {
			break
		}
		time.Sleep(20 * time.Millisecond) // until the first is in
	}
	if status != http.StatusTooManyRequests || code(second) != "CONFLICT" {
		t.Errorf("a second upload while one is open: %d %+v", status, second.Errors)
	}
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done
}
