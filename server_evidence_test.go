package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// upload posts a reportProgress multipart request with one file as the
// session (cookie and CSRF token) and returns the HTTP status and body.
func (s *session) upload(assignment, name string, file []byte) (int, string) {
	s.t.Helper()
	ops, _ := json.Marshal(map[string]any{
		"query": `mutation($in: ReportProgressInput!) { reportProgress(input: $in) {
			progressReport { files { name url } } userErrors { message } } }`,
		"variables": map[string]any{"in": map[string]any{"assignment": assignment, "text": "Biên bản nghiệm thu", "files": []any{nil}}},
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("operations", string(ops))
	mw.WriteField("map", `{"0": ["variables.in.files.0"]}`)
	fw, _ := mw.CreateFormFile("0", name)
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.base+"/query", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", s.csrf)
	res, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// The whole program: P06_MAX_UPLOAD_MB bounds multipart requests, a signed-in
// editor uploads evidence with the session cookie and CSRF token, and
// /evidence/{id} serves it to sessions that may read the assignment only.
func TestWholeProgramEvidence(t *testing.T) {
	t.Parallel()
	base := startServer(t, map[string]string{"P06_ADDR": "127.0.0.1:0", "P06_DATA_DIR": t.TempDir(), "P06_MAX_UPLOAD_MB": "1"})
	hue := newSession(t, base)
	hue.login("hue", "demo-password")
	var as struct {
		Assignments struct{ Nodes []struct{ ID string } }
	}
	hue.must(`{ assignments(first: 1, filter: {orgUnit: "46", roles: [LEAD]}) { nodes { id } } }`, &as)
	id := as.Assignments.Nodes[0].ID

	pdf := []byte("%PDF-1.4\n%%EOF\n")
	status, body := hue.upload(id, "biên bản.pdf", pdf)
	var out struct {
		Data struct {
			ReportProgress struct {
				ProgressReport *struct{ Files []struct{ Name, URL string } }
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || status != 200 || out.Data.ReportProgress.ProgressReport == nil {
		t.Fatalf("upload: %d %s", status, body)
	}
	url := out.Data.ReportProgress.ProgressReport.Files[0].URL
	get := func(s *session) (*http.Response, []byte) {
		res, err := s.c.Get(base + url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	if res, b := get(hue); res.StatusCode != 200 || !bytes.Equal(b, pdf) || res.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment; ") {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	hanoi := newSession(t, base)
	hanoi.login("hanoi", "demo-password")
	if res, _ := get(hanoi); res.StatusCode != 404 {
		t.Fatalf("hanoi downloads Huế's evidence: %d", res.StatusCode)
	}
	if res, _ := get(newSession(t, base)); res.StatusCode != 404 {
		t.Fatalf("anonymous download: %d", res.StatusCode)
	}

	// Over 1 MiB: refused before it is read.
	if status, body := hue.upload(id, "lon.pdf", append(bytes.Clone(pdf), make([]byte, 1<<20)...)); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "INVALID") {
		t.Fatalf("over P06_MAX_UPLOAD_MB: %d %s", status, body)
	}
	// Without the CSRF token the cookie is not enough.
	hue.csrf = "wrong"
	if status, body := hue.upload(id, "a.pdf", pdf); status != http.StatusForbidden || !strings.Contains(body, "FORBIDDEN") {
		t.Fatalf("upload without CSRF token: %d %s", status, body)
	}
}

func TestUploadLimitConfig(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "-1", "1.5", "20MB", "1025"} {
		err := run(context.Background(), nil, func(k string) string {
			if k == "P06_MAX_UPLOAD_MB" {
				return v
			}
			return ""
		}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "P06_MAX_UPLOAD_MB must be") {
			t.Errorf("P06_MAX_UPLOAD_MB=%s: %v", v, err)
		}
	}
	c, err := loadConfig(func(string) string { return "" })
	if err != nil || c.uploadBytes != 20<<20 {
		t.Fatalf("default: %d %v", c.uploadBytes, err)
	}
	c, _ = loadConfig(func(k string) string { return map[string]string{"P06_MAX_UPLOAD_MB": "7"}[k] })
	if c.uploadBytes != 7<<20 {
		t.Fatal(fmt.Sprint(c.uploadBytes))
	}
}
