package tasks

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/uptrace/bun"
	"github.com/xuri/excelize/v2"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// Importing a document's tasks from a spreadsheet (importTasks): the
// standing agency's staff keep task lists in Excel, one task a row under a
// header row naming the columns below. Every row is checked first; then
// either every row becomes a task of the document, assigned to its units
// through the same code as createTask and assignTask (createTaskInTx,
// assignInTx), or, with any bad row, nothing is written and each bad row
// is reported with its row number and column.

// The columns of an import sheet, as its header row names them (matched
// without case, diacritics or extra spaces). STT, Cơ quan phối hợp and
// Ghi chú may be left out.
const (
	ColNumber     = "STT"
	ColTitle      = "Nội dung nhiệm vụ"
	ColLead       = "Cơ quan chủ trì"
	ColCoordinate = "Cơ quan phối hợp"
	ColDeadline   = "Thời hạn"
	ColNote       = "Ghi chú"
)

// ImportColumns are the columns of an import sheet, in the sample's order.
var ImportColumns = []string{ColNumber, ColTitle, ColLead, ColCoordinate, ColDeadline, ColNote}

// Bounds of an import.
const (
	// MaxImportRows bounds the tasks (non-blank rows under the header) one
	// file may hold.
	MaxImportRows = 2000
	// MaxImportUnzipped bounds the file's content once decompressed, all
	// entries together, as its ZIP directory declares them (archive/zip
	// refuses an entry that inflates to more than it declares). The file
	// itself is at most this long too, and within the upload limit.
	MaxImportUnzipped = 8 << 20
	// MaxImportSharedStrings bounds the workbook's table of distinct texts
	// (a sheet of MaxImportRows rows of six cells needs at most 12,000):
	// excelize holds it all in memory, and a small file can declare millions.
	MaxImportSharedStrings = 20000
	// MaxImportAssignments bounds the assignments one import makes: 2,000
	// rows each given to every province would lock the database for a
	// minute; split such a file.
	MaxImportAssignments = 10000
	// MaxImportErrors bounds the row errors reported; ImportResult.ErrorCount
	// counts them all.
	MaxImportErrors = 500
	// importHeaderSearch is how many rows the header row is looked for in
	// (a title row or two above it is fine).
	importHeaderSearch = 20
	// maxImportNumber bounds the STT cell, in characters ("STT 1.a" is kept
	// as the task's clause).
	maxImportNumber = MaxClauseLength - len("STT ")
	// maxUnitsCell bounds the text of a unit cell, in characters.
	maxUnitsCell = 5000
)

// ImportFile is a spreadsheet to import into a document.
type ImportFile struct {
	DocumentID int64
	Content    io.Reader
	DryRun     bool
}

// ImportRow is one task of the file as read: where it is, what it says and
// whom it goes to (unit codes, in the order named, groups expanded).
type ImportRow struct {
	Row          int // as Excel numbers it
	Number       string
	Title        string
	Description  string
	DeadlineText string
	DueDate      store.Date // zero when the deadline is unreadable or has none
	Precision    Precision
	Leads        []string
	Coordinators []string
}

// ImportError is what is wrong with one cell (or a row) of the file.
type ImportError struct {
	Row     int
	Column  string // one of the Col… names
	Code    store.Code
	Message string // Vietnamese
	English string
}

// ImportResult is what an import read and did.
type ImportResult struct {
	Document *Document
	Rows     []*ImportRow
	// Errors are the first MaxImportErrors of the ErrorCount errors found.
	Errors     []ImportError
	ErrorCount int
	// Imported is true when the tasks were stored (not a dry run, no error);
	// Tasks are then the tasks made, in row order, and Assignments counts
	// their assignments.
	Imported    bool
	Tasks       []*Task
	Assignments int
}

func (r *ImportResult) addError(row int, col string, code store.Code, vi, en string) {
	r.ErrorCount++
	if len(r.Errors) < MaxImportErrors {
		r.Errors = append(r.Errors, ImportError{Row: row, Column: col, Code: code, Message: vi, English: en})
	}
}

// ImportTasks reads an XLSX file of tasks for a document the actor can
// read (CREATE_DOCUMENT on the national unit, as createTask; ASSIGN_TASK on
// every unit named, as assignTask) and, unless in.DryRun or a row is bad,
// enters every row as a task of the document with its assignments, in one
// transaction. A file that is not an XLSX workbook, too large, or without a
// header row is an INVALID error on file; bad rows are reported in the
// result (which then says nothing was imported), not as an error.
func (s *Service) ImportTasks(ctx context.Context, actor *auth.Identity, in ImportFile) (*ImportResult, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if err := s.must(actor, rbac.RootPath, rbac.CreateDocument); err != nil {
		return nil, err
	}
	content, err := io.ReadAll(io.LimitReader(in.Content, MaxImportUnzipped+1))
	if err != nil {
		return nil, fmt.Errorf("tasks: reading the import file: %w", err)
	}
	sheet, err := readImportSheet(content)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{}
	// A dry run writes nothing, so it publishes nothing either.
	err = s.inTx(ctx, ChangeAssigned, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if res.Document, err = s.documentOf(ctx, tx, actor, in.DocumentID); err != nil {
			return err
		}
		units, err := loadUnitNames(ctx, tx)
		if err != nil {
			return err
		}
		var existing []string
		if err := tx.NewSelect().Table("tasks").Column("title").Where("document_id = ?", res.Document.ID).Scan(ctx, &existing); err != nil {
			return fmt.Errorf("tasks: titles of document %d: %w", res.Document.ID, err)
		}
		titles := map[string]int{} // folded title → 0 for a stored task, else the row that has it
		for _, t := range existing {
			titles[store.Fold(t)] = 0
		}
		news := make([]*Task, len(sheet.rows))
		for i, cells := range sheet.rows {
			row, t := s.importRow(res, sheet, sheet.rowNums[i], cells, units)
			res.Rows = append(res.Rows, row)
			news[i] = t
			if t == nil {
				continue
			}
			k := store.Fold(t.Title)
			if prev, ok := titles[k]; ok {
				if prev == 0 {
					res.addError(row.Row, ColTitle, store.Conflict, "văn bản đã có nhiệm vụ này", "the document already has this task")
				} else {
					res.addError(row.Row, ColTitle, store.Conflict, fmt.Sprintf("trùng nhiệm vụ ở dòng %d", prev),
						fmt.Sprintf("the same task as row %d", prev))
				}
				continue
			}
			titles[k] = row.Row
		}
		if res.ErrorCount > 0 {
			return nil
		}
		n := 0
		for _, r := range res.Rows {
			n += len(r.Leads) + len(r.Coordinators)
		}
		if n > MaxImportAssignments {
			return errImportFile("tệp giao %d nhiệm vụ cho các đơn vị, quá giới hạn %d của một lần nhập; hãy chia tệp",
				"the file would make %d assignments, more than the limit of %d for one import; split it", n, MaxImportAssignments)
		}
		if in.DryRun {
			// What the real run would refuse for want of ASSIGN_TASK, the dry
			// run refuses too.
			for _, r := range res.Rows {
				for _, c := range append(append([]string{}, r.Leads...), r.Coordinators...) {
					if err := s.must(actor, units.byCode[c].Path, rbac.AssignTask); err != nil {
						return err
					}
				}
			}
			return nil
		}
		for i, t := range news {
			if err := s.createTaskInTx(ctx, tx, actor, res.Document, t); err != nil {
				return err
			}
			added, err := s.assignInTx(ctx, tx, actor, t, Assign{Lead: res.Rows[i].Leads, Coordinate: res.Rows[i].Coordinators})
			if err != nil {
				return err
			}
			res.Tasks = append(res.Tasks, t)
			res.Assignments += len(added)
		}
		sum := sha256.Sum256(content)
		res.Imported = true
		return store.Audit(ctx, tx, auth.AuditEntry(actor, s.clock(), "document.import", "Document", res.Document.ID, rbac.RootPath),
			map[string]any{"file": map[string]any{"sha256": hex.EncodeToString(sum[:]), "size": len(content), "sheet": sheet.name},
				"tasks": len(res.Tasks), "assignments": res.Assignments})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// importRow reads one data row: its ImportRow for the preview, and the task
// to store, nil when the row is bad (its errors added to res).
func (s *Service) importRow(res *ImportResult, sh *importSheet, n int, cells []string, units *unitNames) (*ImportRow, *Task) {
	cell := func(col string) string {
		if i, ok := sh.cols[col]; ok && i < len(cells) {
			return cells[i]
		}
		return ""
	}
	row := &ImportRow{Row: n}
	before := res.ErrorCount
	bad := func(col string, err error) {
		var se *store.Error
		if errors.As(err, &se) {
			res.addError(row.Row, col, se.Code, se.Message, se.English)
		} else {
			res.addError(row.Row, col, store.Invalid, err.Error(), err.Error())
		}
	}
	text := func(col string, max int, required bool) string {
		v := strings.TrimSpace(store.NFC(cell(col)))
		if _, err := cleanText(col, v, max, required); err != nil {
			bad(col, err)
		}
		return v
	}
	row.Number = text(ColNumber, maxImportNumber, false)
	row.Title = text(ColTitle, MaxTitleLength, true)
	row.DeadlineText = text(ColDeadline, MaxDeadlineTextLength, true)
	row.Description = text(ColNote, MaxDescriptionLength, false)
	if row.DeadlineText != "" {
		if dl, err := ParseDeadline(row.DeadlineText); err != nil {
			bad(ColDeadline, err)
		} else {
			row.DeadlineText, row.DueDate, row.Precision = dl.Text, dl.Due, dl.Precision
		}
	}
	leads := units.resolve(res, row.Row, ColLead, text(ColLead, maxUnitsCell, true))
	coords := units.resolve(res, row.Row, ColCoordinate, text(ColCoordinate, maxUnitsCell, false))
	// A unit named (not through a group) in one column is not added to the
	// other by a group there; one named in both is a mistake.
	named := map[string]bool{}
	for _, u := range append(append([]unitRef{}, leads...), coords...) {
		if !u.group {
			named[u.code] = true
		}
	}
	inLead := map[string]bool{}
	for _, u := range leads {
		if (u.group && named[u.code]) || inLead[u.code] {
			continue
		}
		inLead[u.code] = true
		row.Leads = append(row.Leads, u.code)
	}
	inCoord := map[string]bool{}
	for _, u := range coords {
		switch {
		case inLead[u.code] && !u.group:
			res.addError(row.Row, ColCoordinate, store.Invalid, fmt.Sprintf("đơn vị %q vừa chủ trì vừa phối hợp", u.written),
				fmt.Sprintf("unit %q is named both to lead and to coordinate", u.written))
		case inLead[u.code] || inCoord[u.code] || (u.group && named[u.code]):
		default:
			inCoord[u.code] = true
			row.Coordinators = append(row.Coordinators, u.code)
		}
	}
	if len(row.Leads)+len(row.Coordinators) > MaxAssignCodes {
		res.addError(row.Row, ColCoordinate, store.Invalid, fmt.Sprintf("giao cho %d đơn vị, quá giới hạn %d", len(row.Leads)+len(row.Coordinators), MaxAssignCodes),
			fmt.Sprintf("assigned to %d units, over the limit of %d", len(row.Leads)+len(row.Coordinators), MaxAssignCodes))
	}
	if res.ErrorCount > before {
		return row, nil
	}
	clause := ""
	if row.Number != "" {
		clause = "STT " + row.Number
	}
	t, err := s.newTask(NewTask{Clause: clause, Title: row.Title, Description: row.Description, DeadlineText: row.DeadlineText})
	if err != nil { // cannot happen: every text was checked above
		bad(ColTitle, err)
		return row, nil
	}
	return row, t
}

// importSheet is the data rows of the sheet an import reads.
type importSheet struct {
	name    string
	cols    map[string]int // column name → index in a row
	rows    [][]string     // the non-blank rows under the header
	rowNums []int          // their numbers, as Excel numbers rows
}

// errImportFile is an INVALID error on the input's file.
func errImportFile(vi, en string, args ...any) error {
	return errField(store.Invalid, "file", fmt.Sprintf(vi, args...), fmt.Sprintf(en, args...))
}

// readImportSheet finds the first sheet with a header row and reads the
// rows under it. The bytes must be an XLSX workbook (DetectType), whose ZIP
// directory declares at most MaxImportUnzipped bytes decompressed, checked
// before excelize opens it (and excelize is held to the same limit).
func readImportSheet(b []byte) (*importSheet, error) {
	if len(b) > MaxImportUnzipped {
		return nil, errImportFile("tệp quá lớn (hơn %d MiB)", "the file is too large (over %d MiB)", MaxImportUnzipped>>20)
	}
	if ft, ok := DetectType(b); !ok || ft != TypeXLSX {
		if ok {
			return nil, errImportFile("tệp là tệp %s, không phải tệp Excel (.xlsx)", "the file is a %s file, not an Excel workbook (.xlsx)", ft.Name)
		}
		return nil, errImportFile("tệp không phải tệp Excel (.xlsx)", "the file is not an Excel workbook (.xlsx)")
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, errImportFile("không đọc được tệp Excel: %v", "cannot read the Excel file: %v", err)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > MaxImportUnzipped || total > MaxImportUnzipped {
			return nil, errImportFile("tệp Excel khi giải nén lớn hơn %d MiB", "the Excel file is over %d MiB decompressed", MaxImportUnzipped>>20)
		}
	}
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, "xl/sharedStrings.xml") {
			if err := countSharedStrings(f); err != nil {
				return nil, err
			}
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: MaxImportUnzipped, UnzipXMLSizeLimit: MaxImportUnzipped})
	if err != nil {
		return nil, errImportFile("không đọc được tệp Excel: %v", "cannot read the Excel file: %v", err)
	}
	defer f.Close()
	for _, name := range f.GetSheetList() {
		sh, err := readSheet(f, name)
		if err != nil {
			return nil, err
		}
		if sh != nil {
			return sh, nil
		}
	}
	return nil, errImportFile("không tìm thấy dòng tiêu đề có các cột %s, %s, %s", "no header row with the columns %s, %s, %s",
		ColTitle, ColLead, ColDeadline)
}

// readSheet reads a sheet's rows under its header row; nil when it has
// none among its first importHeaderSearch rows.
func readSheet(f *excelize.File, name string) (*importSheet, error) {
	rows, err := f.Rows(name)
	if err != nil {
		return nil, errImportFile("không đọc được trang %q: %v", "cannot read the sheet %q: %v", name, err)
	}
	defer rows.Close()
	var sh *importSheet
	for n := 1; rows.Next(); n++ {
		if sh == nil && n > importHeaderSearch {
			return nil, nil
		}
		cells, err := rows.Columns()
		if err != nil {
			return nil, errImportFile("không đọc được dòng %d của trang %q: %v", "cannot read row %d of the sheet %q: %v", n, name, err)
		}
		if sh == nil {
			if cols := headerColumns(cells); cols != nil {
				sh = &importSheet{name: name, cols: cols}
			}
			continue
		}
		if blank(cells) {
			continue
		}
		if len(sh.rows) == MaxImportRows {
			return nil, errImportFile("tệp có hơn %d nhiệm vụ (dòng %d); hãy chia thành nhiều tệp",
				"the file has more than %d tasks (row %d); split it into several files", MaxImportRows, n)
		}
		sh.rows = append(sh.rows, cells)
		sh.rowNums = append(sh.rowNums, n)
	}
	if err := rows.Error(); err != nil {
		return nil, errImportFile("không đọc được trang %q: %v", "cannot read the sheet %q: %v", name, err)
	}
	if sh != nil && len(sh.rows) == 0 {
		return nil, errImportFile("trang %q không có nhiệm vụ nào dưới dòng tiêu đề", "the sheet %q has no task under its header row", name)
	}
	return sh, nil
}

// headerColumns returns the columns of a header row: one naming at least
// the title, lead and deadline columns; nil for any other row.
func headerColumns(cells []string) map[string]int {
	cols := map[string]int{}
	for i, c := range cells {
		k := looseKey(c)
		for _, name := range ImportColumns {
			if _, dup := cols[name]; !dup && k == looseKey(name) {
				cols[name] = i
			}
		}
	}
	for _, need := range []string{ColTitle, ColLead, ColDeadline} {
		if _, ok := cols[need]; !ok {
			return nil
		}
	}
	return cols
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// looseKey folds s (no case, no diacritics) and keeps only its letters and
// digits, a space between words: "TP. Hồ Chí Minh" → "tp ho chi minh",
// "Bà Rịa-Vũng Tàu" → "ba ria vung tau".
func looseKey(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return ' '
	}, store.Fold(s))
	return strings.Join(strings.Fields(s), " ")
}

// unitPrefixes are the words a unit's name may be written with and the
// reference data leaves out (or not): "UBND tỉnh Thừa Thiên Huế", "TP. Hồ
// Chí Minh", "Thành phố Hồ Chí Minh" are all the unit named "Thừa Thiên
// Huế" or "Thành phố Hồ Chí Minh".
var unitPrefixes = []string{"uy ban nhan dan", "ubnd", "thanh pho", "tp", "tinh"}

// unitKey is looseKey without the unitPrefixes.
func unitKey(s string) string {
	k := looseKey(s)
	for again := true; again; {
		again = false
		for _, p := range unitPrefixes {
			if rest, ok := strings.CutPrefix(k, p+" "); ok {
				k, again = rest, true
			}
		}
	}
	return k
}

// groupKind is the kind of unit a phrase naming them all stands for ("63
// tỉnh, thành phố", "UBND các tỉnh, thành phố trực thuộc trung ương", "các
// bộ, ngành"), or "".
func groupKind(s string) string {
	k := unitKey(s)
	k = strings.TrimSuffix(k, " truc thuoc trung uong")
	k = strings.TrimPrefix(k, "tat ca ")
	switch k {
	case "63 tinh thanh pho", "cac tinh thanh pho", "63 tinh thanh":
		return "PROVINCE"
	case "cac bo nganh", "cac bo co quan ngang bo", "cac bo co quan ngang bo co quan thuoc chinh phu":
		return "MINISTRY"
	}
	return ""
}

// unitNames finds org units by code or name.
type unitNames struct {
	byKey  map[string]*unitRow // unitKey of code or name → unit; nil when two units share it
	byCode map[string]*unitRow
	ofKind map[string][]*unitRow // in the order of the tree
}

func loadUnitNames(ctx context.Context, tx bun.Tx) (*unitNames, error) {
	var rows []struct {
		unitRow
		Name string `bun:"name"`
		Kind string `bun:"kind"`
	}
	if err := tx.NewSelect().Table("org_units").Column("id", "code", "path", "name", "kind").
		OrderExpr("sort_order, code").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("tasks: org units: %w", err)
	}
	u := &unitNames{byKey: map[string]*unitRow{}, byCode: map[string]*unitRow{}, ofKind: map[string][]*unitRow{}}
	for i := range rows {
		r := &rows[i].unitRow
		u.byCode[r.Code] = r
		u.ofKind[rows[i].Kind] = append(u.ofKind[rows[i].Kind], r)
		for _, k := range []string{unitKey(r.Code), unitKey(rows[i].Name)} {
			if prev, ok := u.byKey[k]; ok && prev != r {
				u.byKey[k] = nil
			} else if !ok {
				u.byKey[k] = r
			}
		}
	}
	return u, nil
}

// unitRef is a unit a cell names: written is how, group whether through a
// phrase naming a kind of unit.
type unitRef struct {
	code, written string
	group         bool
}

// maxJoin bounds the comma-separated pieces one name may span ("Bộ Văn
// hóa, Thể thao và Du lịch"; "UBND các tỉnh, thành phố trực thuộc trung
// ương").
const maxJoin = 4

// resolve reads the units a cell names, separated by new lines, semicolons
// or commas (a comma inside a unit's name or a group phrase is kept: the
// longest run of pieces that names something wins). Each name not found is
// an error on the cell, quoting it.
func (u *unitNames) resolve(res *ImportResult, row int, col, cell string) []unitRef {
	var out []unitRef
	for _, part := range strings.FieldsFunc(cell, func(r rune) bool { return r == '\n' || r == '\r' || r == ';' }) {
		var pieces []string
		for _, p := range strings.Split(part, ",") {
			if p = strings.TrimSpace(p); p != "" {
				pieces = append(pieces, p)
			}
		}
		for i := 0; i < len(pieces); {
			found := false
			for j := min(len(pieces), i+maxJoin); j > i && !found; j-- {
				name := strings.Join(pieces[i:j], ", ")
				if kind := groupKind(name); kind != "" {
					for _, r := range u.ofKind[kind] {
						out = append(out, unitRef{code: r.Code, written: name, group: true})
					}
					i, found = j, true
				} else if r, ok := u.byKey[unitKey(name)]; ok {
					if r == nil {
						res.addError(row, col, store.Invalid, fmt.Sprintf("%q chỉ nhiều đơn vị; hãy ghi mã đơn vị", name),
							fmt.Sprintf("%q names several units; write the unit's code", name))
					} else {
						out = append(out, unitRef{code: r.Code, written: name})
					}
					i, found = j, true
				}
			}
			if !found {
				res.addError(row, col, store.NotFound, fmt.Sprintf("không có đơn vị %q", pieces[i]), fmt.Sprintf("no unit %q", pieces[i]))
				i++
			}
		}
	}
	return out
}

// countSharedStrings refuses a workbook whose table of distinct texts holds
// more than MaxImportSharedStrings entries, reading the table as a stream.
func countSharedStrings(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return errImportFile("không đọc được tệp Excel: %v", "cannot read the Excel file: %v", err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, MaxImportUnzipped))
	n := 0
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return nil // the end, or a malformed table that excelize will refuse
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "si" {
			if n++; n > MaxImportSharedStrings {
				return errImportFile("tệp Excel có hơn %d đoạn chữ khác nhau, quá giới hạn của một lần nhập",
					"the Excel file holds more than %d distinct texts, more than one import may", MaxImportSharedStrings)
			}
		}
	}
}
