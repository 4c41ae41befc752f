package reports

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"p06/store"
)

// XLSX writes the report as a workbook: a sheet per table, a title above
// each, the header row frozen with filters on it, dates and numbers as
// Excel dates and numbers, widths that fit Vietnamese text.
func (r *Report) XLSX(w io.Writer, l Lang) error {
	f := excelize.NewFile()
	defer f.Close()
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, Border: borders()})
	if err != nil {
		return err
	}
	dateFmt := "dd/mm/yyyy"
	if l == English {
		dateFmt = "yyyy-mm-dd"
	}
	styles := map[cellKind]int{}
	for k, st := range map[cellKind]*excelize.Style{
		textCell:    {Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}, Border: borders()},
		numberCell:  {Alignment: &excelize.Alignment{Vertical: "top"}, NumFmt: 3, Border: borders()}, // #,##0
		dateCell:    {Alignment: &excelize.Alignment{Vertical: "top"}, CustomNumFmt: &dateFmt, Border: borders()},
		decimalCell: {Alignment: &excelize.Alignment{Vertical: "top"}, NumFmt: 4, Border: borders()}, // #,##0.00
		percentCell: {Alignment: &excelize.Alignment{Vertical: "top"}, NumFmt: 9, Border: borders()}, // 0%
	} {
		if styles[k], err = f.NewStyle(st); err != nil {
			return err
		}
	}
	for i, t := range r.tables(l) {
		if err := writeSheet(f, i, t, r.heading(l), r.subheading(l), title, head, styles); err != nil {
			return err
		}
	}
	f.SetDocProps(&excelize.DocProperties{Title: r.heading(l), Creator: "P06", Language: string(l)})
	return f.Write(w)
}

// headRow is the row of a sheet's column titles, below the report's
// heading and subheading.
const headRow = 4

// writeSheet writes the table t as the workbook's sheet i (the first
// renames the workbook's Sheet1), row by row through excelize's stream
// writer: the filter and the frozen header set up before the rows, each
// cell styled as its column.
func writeSheet(f *excelize.File, i int, t table, heading, subheading string, title, head int, styles map[cellKind]int) error {
	sheet := t.Name
	if i == 0 {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	end, _ := excelize.CoordinatesToCellName(len(t.Columns), headRow+max(1, len(t.Rows)))
	if err := f.AutoFilter(sheet, "A4:"+end, nil); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	// From the last column: excelize lists the column set last first, and
	// the file's columns must be in order.
	for c := len(t.Columns) - 1; c >= 0; c-- {
		if err := sw.SetColWidth(c+1, c+1, fitWidth(t.Columns[c], t.Rows, c)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: headRow, TopLeftCell: "A5", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: title, Value: heading}}); err != nil {
		return err
	}
	if err := sw.SetRow("A2", []any{subheading}); err != nil {
		return err
	}
	cells := make([]any, len(t.Columns))
	for c, col := range t.Columns {
		cells[c] = excelize.Cell{StyleID: head, Value: col.Title}
	}
	if err := sw.SetRow("A4", cells); err != nil {
		return err
	}
	for ri, row := range t.Rows {
		for c, v := range row {
			cells[c] = excelize.Cell{StyleID: styles[t.Columns[c].Kind], Value: xlsxValue(t.Columns[c].Kind, v)}
		}
		cell, _ := excelize.CoordinatesToCellName(1, headRow+1+ri)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func borders() []excelize.Border {
	var b []excelize.Border
	for _, side := range []string{"left", "right", "top", "bottom"} {
		b = append(b, excelize.Border{Type: side, Color: "BFBFBF", Style: 1})
	}
	return b
}

// xlsxValue is the cell's value as Excel should hold it: a date as a date,
// a percent as a fraction (shown with %), nothing as an empty cell.
func xlsxValue(k cellKind, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case store.Date:
		if x.IsZero() {
			return nil
		}
		return x.Time()
	case float64:
		if k == percentCell {
			return x / 100
		}
	}
	return v
}

// fitWidth is a column's width in characters: its longest value or title,
// within the column's own width (long texts wrap).
func fitWidth(col column, rows [][]any, c int) float64 {
	n := utf8.RuneCountInString(col.Title)
	for _, row := range rows {
		if s, ok := row[c].(string); ok {
			n = max(n, utf8.RuneCountInString(s))
		}
	}
	switch col.Kind {
	case dateCell:
		n = max(n, 11)
	case numberCell, percentCell:
		n = max(n, 6)
	case decimalCell:
		n = max(n, 12)
	}
	// Vietnamese letters with two marks are a little wider than their count.
	return math.Min(col.Width, math.Max(6, float64(n)*1.1+2))
}

// heading is the report's title line.
func (r *Report) heading(l Lang) string {
	return msg(l, "Báo cáo tình hình triển khai Đề án 06 – "+r.Unit.Name+" – "+r.Period.Title(l),
		"Project 06 progress report – "+unitName(l, r.Unit.Name, r.Unit.NameEn)+" – "+r.Period.Title(l))
}

// subheading says as of when, and from what.
func (r *Report) subheading(l Lang) string {
	s := msg(l, "Số liệu đến hết ngày "+formatDate(l, r.AsOf), "Figures as of the end of "+formatDate(l, r.AsOf))
	if r.Frozen != nil {
		s += msg(l, fmt.Sprintf(" (bản chốt số liệu #%d, lập ngày %s)", r.Frozen.ID, formatDate(l, store.DateOf(r.Frozen.CreatedAt))),
			fmt.Sprintf(" (frozen snapshot #%d of %s)", r.Frozen.ID, formatDate(l, store.DateOf(r.Frozen.CreatedAt))))
	}
	if r.RowsTotal > len(r.Rows) {
		s += msg(l, fmt.Sprintf("; liệt kê %d/%d nhiệm vụ, quá hạn trước", len(r.Rows), r.RowsTotal),
			fmt.Sprintf("; %d of %d assignments listed, overdue first", len(r.Rows), r.RowsTotal))
	}
	return s
}

// CSV writes each table as a CSV file (UTF-8 with a byte-order mark, which
// Excel needs to read Vietnamese) in a zip.
func (r *Report) CSV(w io.Writer, l Lang) error {
	z := zip.NewWriter(w)
	for _, t := range r.tables(l) {
		fw, err := z.CreateHeader(&zip.FileHeader{Name: t.File + ".csv", Method: zip.Deflate, Modified: r.MadeAt})
		if err != nil {
			return err
		}
		if err := t.writeCSV(fw); err != nil {
			return err
		}
	}
	return z.Close()
}

// writeCSV writes the table as CSV with a BOM: dates as YYYY-MM-DD,
// numbers with a dot for decimals.
func (t table) writeCSV(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Title
	}
	cw.Write(head)
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			switch x := v.(type) {
			case nil:
			case string:
				rec[i] = x
				// A text a spreadsheet would take for a formula (or
				// whose leading tab or CR hides one) stays text.
				if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
					rec[i] = "'" + x
				}
			case int:
				rec[i] = strconv.Itoa(x)
			case float64:
				rec[i] = strconv.FormatFloat(x, 'f', -1, 64)
			case store.Date:
				if !x.IsZero() {
					rec[i] = x.String()
				}
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
