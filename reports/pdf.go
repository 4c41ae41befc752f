package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/golang/freetype/truetype"
	"github.com/signintech/gopdf"
	"github.com/wcharczuk/go-chart/v2/roboto"

	"p06/org"
	"p06/store"
	"p06/tasks"
)

// The PDF follows Nghị định 30/2020/NĐ-CP, Phụ lục I: A4, margins of 20 mm
// top and bottom, 30 mm left, 15 mm right; the issuing body on the left and
// the national motto on the right, the number below the one and the place
// and date below the other; the kind of document and its title centred;
// page numbers centred at the top from the second page; "Nơi nhận" and the
// signature at the end.

const (
	mm        = 72 / 25.4
	pageW     = 595.28
	pageH     = 841.89
	marginL   = 30 * mm
	marginR   = 15 * mm
	marginT   = 20 * mm
	marginB   = 20 * mm
	textW     = pageW - marginL - marginR
	bodySize  = 13
	tableSize = 10
)

// PDFFonts reads the PDF's fonts from path (P06_PDF_FONT: a TTF such as
// LiberationSerif-Regular.ttf), with the bold and italic faces beside it
// when their names follow ("-Bold", "-Italic"). Empty path: none (Roboto).
func PDFFonts(path string) (regular, bold, italic []byte, err error) {
	if path == "" {
		return nil, nil, nil, nil
	}
	if regular, err = os.ReadFile(path); err != nil {
		return nil, nil, nil, fmt.Errorf("P06_PDF_FONT: %w", err)
	}
	if err := CheckVietnamese(regular); err != nil {
		return nil, nil, nil, fmt.Errorf("P06_PDF_FONT %s: %w", path, err)
	}
	face := func(style string) []byte {
		if !strings.Contains(path, "Regular") {
			return nil
		}
		b, _ := os.ReadFile(strings.Replace(path, "Regular", style, 1))
		if b != nil && CheckVietnamese(b) != nil {
			return nil
		}
		return b
	}
	return regular, face("Bold"), face("Italic"), nil
}

// vietnameseLetters are the letters of Vietnamese, both cases (NFC).
const vietnameseLetters = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ" +
	"AÀẢÃÁẠĂẰẲẴẮẶÂẦẨẪẤẬBCDĐEÈẺẼÉẸÊỀỂỄẾỆGHIÌỈĨÍỊKLMNOÒỎÕÓỌÔỒỔỖỐỘƠỜỞỠỚỢPQRSTUÙỦŨÚỤƯỪỬỮỨỰVXYỲỶỸÝỴ"

// CheckVietnamese checks that the TTF ttf has a glyph for every Vietnamese
// letter, and names those it lacks.
func CheckVietnamese(ttf []byte) error {
	f, err := truetype.Parse(ttf)
	if err != nil {
		return fmt.Errorf("not a TrueType font: %w", err)
	}
	var missing []rune
	for _, r := range vietnameseLetters {
		if f.Index(r) == 0 {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no glyph for %q", string(missing))
	}
	return nil
}

// SetPDFFonts sets the PDF's faces (nil: Roboto for that face).
func (s *Service) SetPDFFonts(regular, bold, italic []byte) {
	s.pdfRegular, s.pdfBold, s.pdfItalic = regular, bold, italic
}

type pdfDoc struct {
	pdf  *gopdf.GoPdf
	y    float64
	err  error
	lang Lang
}

// PDF writes the report as a state report.
func (s *Service) PDF(w io.Writer, r *Report) error {
	d := &pdfDoc{pdf: &gopdf.GoPdf{}, lang: Vietnamese}
	d.pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	d.pdf.SetInfo(gopdf.PdfInfo{Title: r.heading(Vietnamese), Creator: "P06", Producer: "P06"})
	regular := s.pdfRegular
	if regular == nil {
		regular = roboto.Roboto
	}
	faces := map[string][]byte{"": regular, "B": s.pdfBold, "I": s.pdfItalic}
	for style, b := range faces {
		if b == nil {
			b = regular
		}
		opt := gopdf.TtfOption{UseKerning: false}
		switch style {
		case "B":
			opt.Style = gopdf.Bold
		case "I":
			opt.Style = gopdf.Italic
		}
		if err := d.pdf.AddTTFFontDataWithOption("body", b, opt); err != nil {
			return fmt.Errorf("reports: PDF font: %w", err)
		}
	}
	d.pdf.AddPage()
	d.y = marginT
	d.header(r)
	d.body(s, r)
	d.closing(r)
	d.pageNumbers()
	if d.err != nil {
		return d.err
	}
	return d.pdf.Write(w)
}

func (d *pdfDoc) font(style string, size float64) {
	if err := d.pdf.SetFont("body", style, size); err != nil && d.err == nil {
		d.err = err
	}
}

func (d *pdfDoc) width(s string) float64 {
	w, err := d.pdf.MeasureTextWidth(s)
	if err != nil && d.err == nil {
		d.err = err
	}
	return w
}

// centre writes s centred on x at the current y.
func (d *pdfDoc) centre(s string, x float64) {
	d.pdf.SetXY(x-d.width(s)/2, d.y)
	d.pdf.Text(s)
}

// lines splits s into lines of at most w points.
func (d *pdfDoc) lines(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(store.NFC(s), "\n") {
		ls, err := d.pdf.SplitTextWithWordWrap(para, w)
		if err != nil || len(ls) == 0 {
			ls = []string{para}
		}
		out = append(out, ls...)
	}
	return out
}

// ensure starts a new page unless h points fit below y.
func (d *pdfDoc) ensure(h float64) bool {
	if d.y+h <= pageH-marginB {
		return false
	}
	d.pdf.AddPage()
	d.y = marginT + 18 // below the page number
	return true
}

// para writes a paragraph, first line indented, justified left.
func (d *pdfDoc) para(style string, s string) {
	d.font(style, bodySize)
	lh := bodySize * 1.35
	for i, l := range d.lines(s, textW-12) {
		d.ensure(lh)
		x := marginL
		if i == 0 {
			x += 12
		}
		d.pdf.SetXY(x, d.y+bodySize)
		d.pdf.Text(l)
		d.y += lh
	}
	d.y += 4
}

func (d *pdfDoc) heading(s string) {
	d.ensure(bodySize * 4)
	d.y += 6
	d.para("B", s)
}

// header is the two columns above the title, and the title.
func (d *pdfDoc) header(r *Report) {
	leftW := textW * 0.42
	lx := marginL + leftW/2
	rx := marginL + leftW + (textW-leftW)/2
	top, body := issuer(r.Unit)
	y0 := d.y
	d.y = y0 + 12
	d.font("", 12)
	if top != "" {
		d.centre(top, lx)
		d.y += 15
	}
	d.font("B", 12)
	for _, l := range d.lines(body, leftW) {
		d.centre(l, lx)
		d.y += 15
	}
	d.pdf.SetLineWidth(0.5)
	d.pdf.Line(lx-25, d.y-10, lx+25, d.y-10)
	d.y += 8
	d.font("", 13)
	d.centre("Số:        /BC-"+numberSuffix(r.Unit), lx)
	leftEnd := d.y

	d.y = y0 + 12
	d.font("B", 12)
	d.centre("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", rx)
	d.y += 16
	d.font("B", 13)
	motto := "Độc lập - Tự do - Hạnh phúc"
	d.centre(motto, rx)
	mw := d.width(motto)
	d.pdf.Line(rx-mw/2, d.y+3, rx+mw/2, d.y+3)
	d.y += 23
	d.font("I", 13)
	day := store.DateOf(r.MadeAt)
	if r.Frozen != nil {
		day = store.DateOf(r.Frozen.CreatedAt)
	}
	d.centre(fmt.Sprintf("%s, ngày %02d tháng %02d năm %d", place(r.Unit), day.Day, int(day.Month), day.Year), rx)
	d.y = max(leftEnd, d.y) + 34

	d.font("B", 14)
	d.centre("BÁO CÁO", pageW/2+(marginL-marginR)/2)
	d.y += 18
	d.font("B", 13)
	for _, l := range d.lines("Tình hình triển khai Đề án 06 "+r.Period.Title(Vietnamese)+" của "+r.Unit.Name, textW*0.8) {
		d.centre(l, pageW/2+(marginL-marginR)/2)
		d.y += 17
	}
	cx := pageW/2 + (marginL-marginR)/2
	d.pdf.Line(cx-40, d.y-10, cx+40, d.y-10)
	d.y += 10
	if r.Frozen != nil {
		d.font("I", 11)
		d.centre(fmt.Sprintf("(Bản chốt số liệu #%d, lập ngày %s)", r.Frozen.ID, formatDate(Vietnamese, store.DateOf(r.Frozen.CreatedAt))), cx)
		d.y += 16
	}
}

// issuer is the issuing body's two lines: the body above, the unit.
func issuer(u UnitRef) (top, body string) {
	name := strings.ToUpper(u.Name)
	switch u.Kind {
	case org.National:
		return "BỘ CÔNG AN", "TỔ CÔNG TÁC TRIỂN KHAI ĐỀ ÁN 06"
	case org.Province:
		if !strings.HasPrefix(name, "THÀNH PHỐ") && !strings.HasPrefix(name, "TỈNH") {
			name = "TỈNH " + name
		}
		return "ỦY BAN NHÂN DÂN", name
	}
	return "", name
}

func numberSuffix(u UnitRef) string {
	switch u.Kind {
	case org.National:
		return "TCTĐA06"
	case org.Province:
		return "UBND"
	}
	return u.Code
}

// place is the place of the date line: the province, else Hà Nội.
func place(u UnitRef) string {
	if u.Kind == org.Province {
		return strings.TrimPrefix(strings.TrimPrefix(u.Name, "Thành phố "), "Tỉnh ")
	}
	return "Hà Nội"
}

func (d *pdfDoc) body(s *Service, r *Report) {
	vi := Vietnamese
	n := total(r.AtEnd)
	d.heading("I. TÌNH HÌNH THỰC HIỆN NHIỆM VỤ")
	parts := []string{}
	for _, st := range tasks.Statuses {
		if c := r.AtEnd[st]; c > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", strings.ToLower(StatusName(vi, st)), formatNumber(vi, float64(c))))
		}
	}
	summary := fmt.Sprintf("Tính đến hết ngày %s, %s được giao %s nhiệm vụ (%s lượt giao, từ %s văn bản)",
		formatDate(vi, r.AsOf), r.Unit.Name, formatNumber(vi, float64(n)), formatNumber(vi, float64(r.Assignments)),
		formatNumber(vi, float64(r.Documents)))
	if len(parts) > 0 {
		summary += ", trong đó: " + strings.Join(parts, "; ")
	}
	d.para("", summary+".")
	d.table(r.summaryTable(vi), []float64{0.52, 0.16, 0.16, 0.16})
	if len(r.Trend) > 1 {
		l := Lines{Lang: vi, Title: "Số nhiệm vụ quá hạn chưa hoàn thành " + r.Period.Title(vi)}
		sr := Series{Name: "Quá hạn", Color: statusColors[tasks.Overdue]}
		for _, p := range r.Trend {
			l.XLabels = append(l.XLabels, formatDate(vi, p.Day))
			sr.Values = append(sr.Values, float64(p.Overdue))
		}
		l.Series = []Series{sr}
		d.chart(l, 900, 380)
	}
	if r.National() {
		d.heading("II. DANH MỤC NHIỆM VỤ QUÁ HẠN CHƯA HOÀN THÀNH")
		if r.RowsTotal > len(r.Rows) {
			// The XLSX lists as many rows as the report holds (MaxRows).
			d.para("I", fmt.Sprintf("%d lượt giao nhiệm vụ quá hạn chưa hoàn thành được liệt kê; bản XLSX liệt kê %d trong số %d lượt giao, quá hạn trước; danh sách đầy đủ tra cứu trên hệ thống.",
				len(r.pdfRows()), len(r.Rows), r.RowsTotal))
		} else {
			d.para("I", fmt.Sprintf("%d lượt giao nhiệm vụ quá hạn chưa hoàn thành; danh mục đầy đủ %d lượt giao trong bản XLSX.", len(r.pdfRows()), r.RowsTotal))
		}
	} else {
		d.heading("II. DANH MỤC NHIỆM VỤ (QUÁ HẠN TRƯỚC)")
	}
	if !r.National() && r.RowsTotal > len(r.Rows) {
		d.para("I", fmt.Sprintf("Liệt kê %d trong số %d lượt giao nhiệm vụ, các nhiệm vụ quá hạn trước (bản XLSX cũng vậy); danh sách đầy đủ tra cứu trên hệ thống.", len(r.Rows), r.RowsTotal))
	}
	d.table(r.pdfTasksTable(), []float64{0.06, 0.40, 0.14, 0.11, 0.08, 0.21})
	sec := 3
	roman := []string{"", "I", "II", "III", "IV", "V"}
	if r.National() {
		d.heading(roman[sec] + ". SO SÁNH CÁC TỈNH, THÀNH PHỐ VÀ BỘ, NGÀNH")
		sec++
		for _, lv := range []struct {
			kind  org.Kind
			units []UnitCounts
			name  string
		}{{org.Province, r.Provinces, "Tỉnh, thành phố"}, {org.Ministry, r.Ministries, "Bộ, ngành"}} {
			units := make([]*org.Unit, len(lv.units))
			counts := make([]map[tasks.Status]int, len(lv.units))
			for i, u := range lv.units {
				units[i] = &org.Unit{Name: u.Unit.Name, NameEn: u.Unit.NameEn}
				counts[i] = u.Counts
			}
			b := statusBars(vi, lv.kind, r.AsOf, units, counts)
			d.chart(b, 1000, b.DefaultHeight())
			t := unitsTable(vi, lv.name, "", lv.units)
			d.table(t, []float64{0.06, 0.22, 0.08, 0.1, 0.1, 0.1, 0.1, 0.08, 0.07, 0.09})
		}
	}
	d.heading(roman[sec] + ". KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU")
	if len(r.Indicators) == 0 {
		d.para("", "Chưa có số liệu chỉ tiêu của kỳ báo cáo.")
		return
	}
	d.table(r.pdfIndicatorsTable(), []float64{0.1, 0.4, 0.14, 0.14, 0.1, 0.12})
	for _, t := range r.IndicatorTrends {
		d.chart(t.lines(vi, r.Unit.Name), 720, 300)
	}
}

// pdfRows are the rows the PDF lists: every one of a unit's, the overdue
// ones of the nation's (the rest are in the XLSX).
func (r *Report) pdfRows() []tasks.ReportRow {
	if !r.National() {
		return r.Rows
	}
	var out []tasks.ReportRow
	for _, x := range r.Rows {
		if x.Status == tasks.Overdue {
			out = append(out, x)
		}
	}
	return out
}

// pdfTasksTable is the tasks table narrowed to a page's width: the task
// with its document and unit in one cell.
func (r *Report) pdfTasksTable() table {
	t := table{Columns: []column{{Title: "STT", Kind: numberCell}, {Title: "Nhiệm vụ"}, {Title: "Thời hạn"},
		{Title: "Tiến độ", Kind: percentCell}, {Title: "Trễ hạn", Kind: numberCell}, {Title: "Tình trạng, báo cáo gần nhất"}}}
	for i, x := range r.pdfRows() {
		task := x.Title + "\n(" + x.Document
		if r.Unit.Code != x.UnitCode {
			task += "; " + x.UnitName
		}
		task += ")"
		due := x.DeadlineText
		if !x.DueDate.IsZero() {
			due += "\n" + formatDate(Vietnamese, x.DueDate)
		}
		late := ""
		if x.Late() {
			late = "Có"
		}
		st := StatusName(Vietnamese, x.Status)
		if !x.LastReportOn.IsZero() {
			st += "\n" + formatDate(Vietnamese, x.LastReportOn) + ": " + cut(x.LastReport, 160)
		}
		t.Rows = append(t.Rows, []any{fmt.Sprint(i + 1), task, due, fmt.Sprintf("%d%%", x.Progress), late, st})
	}
	return t
}

func cut(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}

// table draws t with columns of the given shares of the text width; rows
// that do not fit go to the next page, under the header repeated.
func (d *pdfDoc) table(t table, shares []float64) {
	d.font("", tableSize)
	lh := tableSize * 1.25
	pad := 3.0
	widths := make([]float64, len(t.Columns))
	for i := range widths {
		widths[i] = shares[i] * textW
	}
	cellLines := func(row []string, style string) ([][]string, float64) {
		d.font(style, tableSize)
		out := make([][]string, len(row))
		h := 0.0
		for i, c := range row {
			out[i] = d.lines(c, widths[i]-2*pad)
			h = max(h, float64(len(out[i]))*lh+2*pad)
		}
		return out, h
	}
	draw := func(cells [][]string, h float64, style string, fill bool) {
		x := marginL
		d.pdf.SetLineWidth(0.5)
		for i, c := range cells {
			if fill {
				d.pdf.SetFillColor(230, 236, 245)
				d.pdf.RectFromUpperLeftWithStyle(x, d.y, widths[i], h, "FD")
			} else {
				d.pdf.RectFromUpperLeftWithStyle(x, d.y, widths[i], h, "D")
			}
			// gopdf draws text with the fill colour.
			d.pdf.SetFillColor(0, 0, 0)
			d.pdf.SetTextColor(0, 0, 0)
			d.font(style, tableSize)
			for j, l := range c {
				lx := x + pad
				if style == "B" || t.Columns[i].Kind != textCell {
					lx = x + (widths[i]-d.width(l))/2
				}
				d.pdf.SetXY(lx, d.y+pad+float64(j)*lh+tableSize)
				d.pdf.Text(l)
			}
			x += widths[i]
		}
		d.y += h
	}
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Title
	}
	hc, hh := cellLines(head, "B")
	d.ensure(hh + 3*lh)
	draw(hc, hh, "B", true)
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = pdfCell(t.Columns[i].Kind, v)
		}
		rc, rh := cellLines(cells, "")
		if d.ensure(rh) {
			draw(hc, hh, "B", true)
		}
		draw(rc, rh, "", false)
	}
	d.y += 10
}

func pdfCell(k cellKind, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return formatNumber(Vietnamese, float64(x))
	case float64:
		if k == percentCell {
			return formatNumber(Vietnamese, x) + "%"
		}
		return formatNumber(Vietnamese, x)
	case store.Date:
		return formatDate(Vietnamese, x)
	}
	return fmt.Sprint(v)
}

// chart renders c as a PNG of w×h pixels and places it across the text
// width.
func (d *pdfDoc) chart(c renderable, w, h int) {
	var buf bytes.Buffer
	if err := c.Render(&buf, PNG, w, h); err != nil {
		if d.err == nil {
			d.err = err
		}
		return
	}
	dw := textW
	dh := dw * float64(h) / float64(w)
	if dh > pageH-marginT-marginB-30 {
		dh = pageH - marginT - marginB - 30
		dw = dh * float64(w) / float64(h)
	}
	d.ensure(dh + 6)
	img, err := gopdf.ImageHolderByBytes(buf.Bytes())
	if err == nil {
		err = d.pdf.ImageByHolder(img, marginL+(textW-dw)/2, d.y, &gopdf.Rect{W: dw, H: dh})
	}
	if err != nil && d.err == nil {
		d.err = err
	}
	d.y += dh + 8
}

// closing is "Nơi nhận" on the left and the signature on the right.
func (d *pdfDoc) closing(r *Report) {
	d.ensure(110)
	d.y += 12
	y0 := d.y
	d.font("B", 12)
	d.pdf.SetXY(marginL, d.y+12)
	d.pdf.Text("Nơi nhận:")
	d.font("", 11)
	for _, l := range []string{"- Văn phòng Chính phủ;", "- Bộ Công an (C06);", "- Lưu: VT."} {
		d.y += 14
		d.pdf.SetXY(marginL, d.y+12)
		d.pdf.Text(l)
	}
	rx := marginL + textW*0.7
	d.y = y0 + 12
	top, _ := issuer(r.Unit)
	d.font("B", 13)
	sign := "THỦ TRƯỞNG ĐƠN VỊ"
	if top == "ỦY BAN NHÂN DÂN" {
		sign = "TM. ỦY BAN NHÂN DÂN"
	}
	d.centre(sign, rx)
	d.y += 16
	d.font("I", 12)
	d.centre("(Ký, ghi rõ họ tên, đóng dấu)", rx)
	d.y += 60
}

// pageNumbers writes each page's number centred at its top, from the
// second page.
func (d *pdfDoc) pageNumbers() {
	n := d.pdf.GetNumberOfPages()
	d.font("", 13)
	for p := 2; p <= n; p++ {
		if err := d.pdf.SetPage(p); err != nil {
			if d.err == nil {
				d.err = err
			}
			return
		}
		s := fmt.Sprint(p)
		d.pdf.SetXY(pageW/2+(marginL-marginR)/2-d.width(s)/2, marginT-16+13)
		d.pdf.Text(s)
	}
}
