package reports

import (
	"fmt"

	"p06/tasks"
)

// The report's tables, one description for every format: XLSX writes each
// as a sheet, CSV as a file, the PDF as a section's table.

type cellKind int

const (
	textCell    cellKind = iota
	numberCell           // int or float64, whole
	decimalCell          // float64 with decimals
	dateCell             // store.Date
	percentCell          // float64 percent (45 is 45 %), nil for none
)

type column struct {
	Title string
	Kind  cellKind
	// Width is the XLSX column's width in characters, and the column's
	// share of the PDF table.
	Width float64
}

type table struct {
	Name, File string // sheet name (≤ 31 characters), CSV file name
	Columns    []column
	Rows       [][]any
}

// tables lists the report's tables in the language.
func (r *Report) tables(l Lang) []table {
	ts := []table{r.summaryTable(l), r.tasksTable(l)}
	if r.National() {
		ts = append(ts, unitsTable(l, msg(l, "Tỉnh, thành phố", "Provinces"), "provinces", r.Provinces),
			unitsTable(l, msg(l, "Bộ, ngành", "Ministries"), "ministries", r.Ministries))
	}
	return append(ts, r.indicatorsTable(l))
}

func (r *Report) summaryTable(l Lang) table {
	t := table{Name: msg(l, "Tổng hợp", "Summary"), File: "summary", Columns: []column{
		{msg(l, "Tình trạng nhiệm vụ", "Task status"), textCell, 34},
		{msg(l, "Đầu kỳ", "At start"), numberCell, 12},
		{msg(l, "Cuối kỳ", "At end"), numberCell, 12},
		{msg(l, "Tăng, giảm", "Change"), numberCell, 12},
	}}
	for _, st := range tasks.Statuses {
		a, b := r.AtStart[st], r.AtEnd[st]
		t.Rows = append(t.Rows, []any{StatusName(l, st), a, b, b - a})
	}
	a, b := total(r.AtStart), total(r.AtEnd)
	t.Rows = append(t.Rows, []any{msg(l, "Tổng số nhiệm vụ", "All tasks"), a, b, b - a})
	return t
}

func (r *Report) tasksTable(l Lang) table {
	t := table{Name: msg(l, "Nhiệm vụ", "Tasks"), File: "tasks", Columns: []column{
		{msg(l, "STT", "No."), numberCell, 6},
		{msg(l, "Đơn vị", "Unit"), textCell, 18},
		{msg(l, "Văn bản", "Document"), textCell, 14},
		{msg(l, "Nhiệm vụ", "Task"), textCell, 60},
		{msg(l, "Thời hạn", "Deadline"), textCell, 20},
		{msg(l, "Hạn xử lý", "Due date"), dateCell, 12},
		{msg(l, "Trạng thái", "State"), textCell, 16},
		{msg(l, "Tiến độ", "Progress"), percentCell, 9},
		{msg(l, "Tình trạng", "Status"), textCell, 24},
		{msg(l, "Trễ hạn", "Late"), textCell, 9},
		{msg(l, "Báo cáo gần nhất", "Last report"), dateCell, 13},
		{msg(l, "Nội dung báo cáo", "Report"), textCell, 40},
	}}
	yes, no := msg(l, "Có", "Yes"), msg(l, "Không", "No")
	for i, x := range r.Rows {
		late := no
		if x.Late() {
			late = yes
		}
		t.Rows = append(t.Rows, []any{i + 1, x.UnitName, x.Document, x.Title, x.DeadlineText, x.DueDate,
			StateName(l, x.State), float64(x.Progress), StatusName(l, x.Status), late, x.LastReportOn, x.LastReport})
	}
	return t
}

func unitsTable(l Lang, name, file string, units []UnitCounts) table {
	t := table{Name: name, File: file, Columns: []column{
		{msg(l, "STT", "No."), numberCell, 6},
		{msg(l, "Đơn vị", "Unit"), textCell, 28},
		{msg(l, "Tổng số", "Tasks"), numberCell, 10},
	}}
	for _, st := range tasks.Statuses {
		t.Columns = append(t.Columns, column{StatusName(l, st), numberCell, 14})
	}
	t.Columns = append(t.Columns, column{msg(l, "Tỷ lệ quá hạn", "Overdue share"), percentCell, 12})
	for i, u := range units {
		row := []any{i + 1, unitName(l, u.Unit.Name, u.Unit.NameEn), u.Total()}
		for _, st := range tasks.Statuses {
			row = append(row, u.Counts[st])
		}
		var share any
		if n := u.Total(); n > 0 {
			share = 100 * float64(u.Counts[tasks.Overdue]) / float64(n)
		}
		t.Rows = append(t.Rows, append(row, share))
	}
	return t
}

func (r *Report) indicatorsTable(l Lang) table {
	t := table{Name: msg(l, "Chỉ tiêu", "Indicators"), File: "indicators", Columns: []column{
		{msg(l, "Nhóm", "Group"), textCell, 22},
		{msg(l, "Mã", "Code"), textCell, 9},
		{msg(l, "Chỉ tiêu", "Indicator"), textCell, 46},
		{msg(l, "Đơn vị tính", "Unit"), textCell, 11},
		{msg(l, "Giá trị", "Value"), decimalCell, 15},
		{msg(l, "Chỉ tiêu giao", "Target"), decimalCell, 15},
		{msg(l, "Tỷ lệ đạt", "Attainment"), percentCell, 10},
		{msg(l, "Đơn vị có số liệu", "Units reporting"), numberCell, 10},
		{msg(l, "Đơn vị phải báo cáo", "Units expected"), numberCell, 10},
	}}
	for _, x := range r.Indicators {
		t.Rows = append(t.Rows, []any{unitName(l, x.Group, x.GroupEn), x.Code, unitName(l, x.Name, x.NameEn), x.Unit,
			floatOrNil(x.Value), floatOrNil(x.Target), floatOrNil(x.Attainment), x.Contributing, x.Expected})
	}
	return t
}

// pdfIndicatorsTable is the indicators table narrowed to a page's width:
// the unit of measure with the name, the reporting units as "n/m".
func (r *Report) pdfIndicatorsTable() table {
	t := table{Columns: []column{{Title: "Mã"}, {Title: "Chỉ tiêu"}, {Title: "Giá trị", Kind: decimalCell},
		{Title: "Chỉ tiêu giao", Kind: decimalCell}, {Title: "Tỷ lệ đạt", Kind: percentCell}, {Title: "Đơn vị có số liệu", Kind: numberCell}}}
	for _, x := range r.Indicators {
		name := x.Name
		if x.Unit != "" {
			name += " (" + x.Unit + ")"
		}
		t.Rows = append(t.Rows, []any{x.Code, name, floatOrNil(x.Value), floatOrNil(x.Target), floatOrNil(x.Attainment),
			fmt.Sprintf("%d/%d", x.Contributing, x.Expected)})
	}
	return t
}

func floatOrNil(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
