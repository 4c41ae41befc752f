package graph_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// sampleImportPath is the sample linked from the README.
const sampleImportPath = "../testdata/mau-nhap-nhiem-vu.xlsx"

// sampleRows are the sample's tasks: STT, Nội dung nhiệm vụ, Cơ quan chủ
// trì, Cơ quan phối hợp, Thời hạn, Ghi chú, written the ways staff write
// them.
var sampleRows = [][]string{
	{"1", "Hoàn thành kết nối Cơ sở dữ liệu quốc gia về dân cư với Hệ thống thông tin giải quyết thủ tục hành chính cấp tỉnh",
		"Bộ Công an", "Văn phòng Chính phủ; Bộ Thông tin và Truyền thông", "quý I/2027", ""},
	{"2", "Triển khai thanh toán không dùng tiền mặt đối với dịch vụ công thiết yếu",
		"UBND tỉnh Thừa Thiên Huế, TP. Hồ Chí Minh", "bo cong an", "tháng 6/2027", "Báo cáo kết quả về Bộ Công an (C06)"},
	{"3", "Rà soát, làm sạch dữ liệu hộ tịch bảo đảm \"đúng, đủ, sạch, sống\"",
		"63 tỉnh, thành phố", "BCA\nBTP", "trong năm 2027", ""},
	{"4", "Số hóa hồ sơ di tích, bảo tàng gắn với định danh điện tử",
		"Bộ Văn hóa, Thể thao và Du lịch", "Hà Nội, Thành phố Hồ Chí Minh", "thường xuyên", ""},
}

// importSheet makes an XLSX of a title row, a blank row, the header row
// (row 3) and rows (from row 4).
func importSheet(t testing.TB, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sh = "Nhiệm vụ"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		t.Fatal(err)
	}
	put := func(cell string, row []string) {
		vals := make([]any, len(row))
		for i, v := range row {
			vals[i] = v
		}
		if err := f.SetSheetRow(sh, cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	put("A1", []string{"DANH MỤC NHIỆM VỤ (mẫu nhập nhiệm vụ: mỗi dòng một nhiệm vụ; nhiều đơn vị cách nhau bằng dấu phẩy, chấm phẩy hoặc xuống dòng)"})
	put("A3", tasks.ImportColumns)
	for i, r := range rows {
		put("A"+strconv.Itoa(4+i), r)
	}
	for col, w := range map[string]float64{"A": 6, "B": 60, "C": 30, "D": 30, "E": 16, "F": 30} {
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			t.Fatal(err)
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The committed sample is what importSheet makes of sampleRows (regenerate
// it with P06_UPDATE_SAMPLE=1), and its Vietnamese reads back as written.
func TestImportSampleFileInSync(t *testing.T) {
	want := importSheet(t, sampleRows)
	if os.Getenv("P06_UPDATE_SAMPLE") == "1" {
		if err := os.WriteFile(sampleImportPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(sampleImportPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what importSheet makes of sampleRows; regenerate it: P06_UPDATE_SAMPLE=1 go test ./graph -run TestImportSampleFileInSync", sampleImportPath)
	}
	f, err := excelize.OpenReader(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for cell, v := range map[string]string{"B3": "Nội dung nhiệm vụ", "C5": "UBND tỉnh Thừa Thiên Huế, TP. Hồ Chí Minh", "C7": "Bộ Văn hóa, Thể thao và Du lịch"} {
		if s, err := f.GetCellValue("Nhiệm vụ", cell); err != nil || s != v {
			t.Errorf("%s: %q (%v), want %q", cell, s, err, v)
		}
	}
}

// importAs sends importTasks as c with file as input.file.
func importAs(c *client, doc string, file []byte, dryRun bool, query string) (importOut, response) {
	c.t.Helper()
	r := c.doFile(query, map[string]any{"in": map[string]any{"document": doc, "file": nil, "dryRun": dryRun}}, file)
	var out importOut
	if len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, &out); err != nil {
			c.t.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
	return out, r
}

// doFile sends a multipart request as c whose one file is variables.in.file.
func (c *client) doFile(query string, vars map[string]any, file []byte) response {
	c.t.Helper()
	r, _ := c.sendMultipart(query, vars, map[string]upFile{"variables.in.file": {"nhiem-vu.xlsx",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", file}}, false, nil)
	return r
}

const importQ = `mutation($in: ImportTasksInput!) { importTasks(input: $in) {
	document { number } rowCount errorCount imported assignmentCount
	rows(first: 100) { row number title description deadlineText dueDate precision leads coordinators }
	rowErrors { row column message code }
	tasks { id title clause deadlineText dueDate }
	userErrors { field message code } } }`

type importOut struct {
	ImportTasks *struct {
		Document                              *struct{ Number string }
		RowCount, ErrorCount, AssignmentCount int
		Imported                              bool
		Rows                                  []struct {
			Row                                                          int
			Number, Title, Description, DeadlineText, DueDate, Precision *string
			Leads, Coordinators                                          []string
		}
		RowErrors []struct {
			Row                   int
			Column, Message, Code string
		}
		Tasks      []struct{ ID, Title, Clause, DeadlineText, DueDate string }
		UserErrors []userError
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestImportTasks(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			count := func(q string, args ...any) int {
				t.Helper()
				var n int
				if err := db.NewRaw(q, args...).Scan(ctx, &n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			p, ues, top := mutate(c06, "createDocument", createDocQ, map[string]any{"kind": "CHI_THI", "number": "77/CT-TTg",
				"issuedOn": "2026-11-20", "issuer": "Thủ tướng Chính phủ", "title": "Về đẩy mạnh triển khai Đề án 06 năm 2027"})
			var dp struct{ Document struct{ ID string } }
			_ = json.Unmarshal(p, &dp)
			if top != "" || len(ues) > 0 {
				t.Fatalf("createDocument: %s %+v", top, ues)
			}
			doc := dp.Document.ID
			docTasks := func() int {
				return count("SELECT COUNT(*) FROM tasks t JOIN documents d ON d.id = t.document_id WHERE d.number = '77/CT-TTg'")
			}
			docAssignments := func() int {
				return count("SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id JOIN documents d ON d.id = t.document_id WHERE d.number = '77/CT-TTg'")
			}
			audits := func(action string) int {
				return count("SELECT COUNT(*) FROM audit_log WHERE action = ?", action)
			}
			auditBefore := [3]int{audits("task.create"), audits("task.assign"), audits("document.import")}
			provinces := count("SELECT COUNT(*) FROM org_units WHERE kind = 'PROVINCE'")
			if provinces != 63 {
				t.Fatalf("%d provinces in the reference data, want 63", provinces)
			}
			sample, err := os.ReadFile(sampleImportPath)
			if err != nil {
				t.Fatal(err)
			}

			// The dry run previews the sample and stores nothing.
			out, r := importAs(c06, doc, sample, true, importQ)
			it := out.ImportTasks
			if len(r.Errors) > 0 || it == nil || len(it.UserErrors) > 0 || it.Imported || it.RowCount != 4 || len(it.Rows) != 4 || it.ErrorCount != 0 {
				t.Fatalf("dry run: %+v %+v", r.Errors, it)
			}
			r1, r2, r3, r4 := it.Rows[0], it.Rows[1], it.Rows[2], it.Rows[3]
			if r1.Row != 4 || str(r1.Number) != "1" || str(r1.DueDate) != "2027-03-31" || str(r1.Precision) != "QUARTER" ||
				strings.Join(r1.Leads, ",") != "BCA" || strings.Join(r1.Coordinators, ",") != "VPCP,BTTTT" {
				t.Errorf("row 4: %+v", r1)
			}
			if r2.Row != 5 || strings.Join(r2.Leads, ",") != "46,79" || strings.Join(r2.Coordinators, ",") != "BCA" ||
				str(r2.DueDate) != "2027-06-30" || str(r2.Description) != "Báo cáo kết quả về Bộ Công an (C06)" {
				t.Errorf("row 5: %+v", r2)
			}
			if len(r3.Leads) != 63 || strings.Join(r3.Coordinators, ",") != "BCA,BTP" || str(r3.DueDate) != "2027-12-31" {
				t.Errorf("row 6: %d leads, coordinators %v, due %s", len(r3.Leads), r3.Coordinators, str(r3.DueDate))
			}
			if strings.Join(r4.Leads, ",") != "BVHTTDL" || strings.Join(r4.Coordinators, ",") != "01,79" || r4.DueDate != nil || str(r4.Precision) != "CONTINUOUS" {
				t.Errorf("row 7: %+v %s", r4, str(r4.Precision))
			}
			if n := docTasks(); n != 0 {
				t.Errorf("the dry run stored %d tasks", n)
			}

			// The real run stores every row, assigned, audited as createTask
			// and assignTask are.
			out, r = importAs(c06, doc, sample, false, importQ)
			it = out.ImportTasks
			wantAssignments := 1 + 2 + 2 + 1 + 63 + 2 + 1 + 2
			if len(r.Errors) > 0 || it == nil || len(it.UserErrors) > 0 || !it.Imported || len(it.Tasks) != 4 || it.AssignmentCount != wantAssignments {
				t.Fatalf("import: %+v %+v", r.Errors, it)
			}
			if tk := it.Tasks[0]; tk.Clause != "STT 1" || tk.DueDate != "2027-03-31" || tk.DeadlineText != "quý I/2027" || tk.Title != sampleRows[0][1] {
				t.Errorf("first task: %+v", tk)
			}
			if n, a := docTasks(), docAssignments(); n != 4 || a != wantAssignments {
				t.Errorf("stored %d tasks and %d assignments, want 4 and %d", n, a, wantAssignments)
			}
			if n := count("SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id JOIN org_units u ON u.id = a.org_unit_id WHERE t.title = ? AND a.role = 'LEAD' AND u.kind = 'PROVINCE'", sampleRows[2][1]); n != 63 {
				t.Errorf("63 tỉnh, thành phố: %d provinces lead, want 63", n)
			}
			if got := [3]int{audits("task.create") - auditBefore[0], audits("task.assign") - auditBefore[1], audits("document.import") - auditBefore[2]}; got != [3]int{4, wantAssignments, 1} {
				t.Errorf("audit rows task.create, task.assign, document.import: %v, want [4 %d 1]", got, wantAssignments)
			}

			// Importing the same file again is refused row by row: the
			// document has these tasks.
			out, _ = importAs(c06, doc, sample, false, importQ)
			it = out.ImportTasks
			if it == nil || it.Imported || it.ErrorCount != 4 || len(it.UserErrors) != 1 || it.UserErrors[0].Code != "INVALID" ||
				strings.Join(it.UserErrors[0].Field, ".") != "input.file" {
				t.Fatalf("second import: %+v", it)
			}
			for i, e := range it.RowErrors {
				if e.Row != 4+i || e.Column != "Nội dung nhiệm vụ" || e.Code != "CONFLICT" {
					t.Errorf("second import, error %d: %+v", i, e)
				}
			}
			if n := docTasks(); n != 4 {
				t.Errorf("after the second import, %d tasks", n)
			}

			// One bad row among good ones: nothing imported, each mistake
			// named by row and column.
			bad := importSheet(t, [][]string{
				{"1", "Nhiệm vụ tốt", "Bộ Tư pháp", "", "tháng 3/2027", ""},
				{"2", "Nhiệm vụ có đơn vị lạ", "Bộ Không Tồn Tại, Hà Nội", "Sở Mơ Hồ", "khi nào xong thì thôi", ""},
				{"3", "  ", "BCA", "BCA", "quý II/2027", ""},
				{},
				{"5", "Sau một dòng trống", "hue", "", "năm 2027", ""},
			})
			before := audits("task.create")
			out, r = importAs(c06, doc, bad, false, importQ)
			it = out.ImportTasks
			if len(r.Errors) > 0 || it == nil || it.Imported || it.RowCount != 4 || len(it.Tasks) != 0 {
				t.Fatalf("bad file: %+v %+v", r.Errors, it)
			}
			_, perr := tasks.ParseDeadline("khi nào xong thì thôi")
			type want struct {
				row       int
				col, code string
				says      string
			}
			wants := []want{
				{5, "Thời hạn", "INVALID", perr.(*store.Error).English},
				{5, "Cơ quan chủ trì", "NOT_FOUND", `"Bộ Không Tồn Tại"`},
				{5, "Cơ quan phối hợp", "NOT_FOUND", `"Sở Mơ Hồ"`},
				{6, "Nội dung nhiệm vụ", "INVALID", "required"},
				{6, "Cơ quan phối hợp", "INVALID", `"BCA" is named both`},
				{8, "Cơ quan chủ trì", "NOT_FOUND", `"hue"`},
			}
			if it.ErrorCount != len(wants) || len(it.RowErrors) != len(wants) {
				t.Fatalf("bad file: %d errors %+v, want %d", it.ErrorCount, it.RowErrors, len(wants))
			}
			for i, w := range wants {
				e := it.RowErrors[i]
				if e.Row != w.row || e.Column != w.col || e.Code != w.code || !strings.Contains(e.Message, w.says) {
					t.Errorf("error %d: %+v, want %+v", i, e, w)
				}
			}
			if n := docTasks(); n != 4 || audits("task.create") != before {
				t.Errorf("the bad file stored tasks: %d", n)
			}

			// Files that are not workbooks, or would inflate past the limit,
			// are refused before excelize reads them.
			// Nor may a small file declare a huge table of texts, or make
			// more assignments than one import may.
			wide := [][]string{sampleRows[0]}
			for i := range 200 {
				wide = append(wide, []string{fmt.Sprint(i + 1), fmt.Sprintf("Nhiệm vụ thử %d", i), "63 tỉnh, thành phố", "", "quý IV/2027", ""})
			}
			for name, f := range map[string][]byte{"pdf": pdfFile, "docx": docxFile(t), "html": htmlFile,
				"bomb": zipBomb(t, importSheet(t, sampleRows[:1])), "strings": sharedStringsBomb(t, importSheet(t, sampleRows[:1])),
				"12,600 assignments": importSheet(t, wide)} {
				out, r = importAs(c06, doc, f, true, importQ)
				it = out.ImportTasks
				if len(r.Errors) > 0 || it == nil || len(it.UserErrors) != 1 || it.UserErrors[0].Code != "INVALID" ||
					strings.Join(it.UserErrors[0].Field, ".") != "input.file" {
					t.Errorf("%s: %+v %+v", name, r.Errors, it)
				}
			}
			if n := docTasks(); n != 4 {
				t.Errorf("refused files stored tasks: %d", n)
			}

			// hue holds no CREATE_DOCUMENT.
			if _, r = importAs(hue, doc, importSheet(t, sampleRows[:1]), false, importQ); code(r) != "FORBIDDEN" {
				t.Errorf("hue: %q, want FORBIDDEN", code(r))
			}

			// A preview cannot be made expensive: 2,000 rows of both unit
			// lists at once is over the complexity limit.
			if _, r = importAs(c06, doc, importSheet(t, sampleRows[:1]), true,
				`mutation($in: ImportTasksInput!) { importTasks(input: $in) { rows(first: 2000) { leads coordinators title } } }`); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Errorf("2,000 rows of unit lists: %q, want COMPLEXITY_LIMIT_EXCEEDED", code(r))
			}
		})
	}
}

// zipBomb adds to an XLSX an entry of zeros that inflates past
// tasks.MaxImportUnzipped while the file stays small.
func zipBomb(t *testing.T, xlsx []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zipWriterCopy(t, &b, xlsx)
	w, err := zw.Create("xl/media/zeros.bin")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for i := 0; i <= tasks.MaxImportUnzipped>>20; i++ {
		w.Write(zeros)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipWriterCopy starts a ZIP in b with the entries of the ZIP z.
func zipWriterCopy(t *testing.T, b *bytes.Buffer, z []byte) *zip.Writer {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(b)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	return zw
}

// sharedStringsBomb replaces an XLSX's table of texts with one of more
// entries than tasks.MaxImportSharedStrings, which compresses to little.
func sharedStringsBomb(t *testing.T, xlsx []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range zr.File {
		if f.Name == "xl/sharedStrings.xml" {
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		t.Fatal(err)
	}
	n := tasks.MaxImportSharedStrings + 1
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, n, n)
	w.Write(bytes.Repeat([]byte("<si><t>a</t></si>"), n))
	io.WriteString(w, "</sst>")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
