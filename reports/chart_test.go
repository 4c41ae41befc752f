package reports_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/wcharczuk/go-chart/v2/drawing"

	"p06/reports"
)

// The renderers the indicator charts will use, on plain data: a ranking of
// 63 provinces (one series) readable at its default height, and an
// indicator's line against a dashed target with a missing period.
func TestRankingAndIndicatorShapes(t *testing.T) {
	t.Parallel()
	rank := reports.Bars{Title: "Tỷ lệ hồ sơ trực tuyến toàn trình, quý I/2024", Totals: true,
		Series: []reports.Series{{Name: "Tỷ lệ", Color: drawing.ColorFromHex("1e88e5")}}}
	for i := range 63 {
		rank.Labels = append(rank.Labels, fmt.Sprintf("Tỉnh thứ %d – Đắk Lắk", i+1))
		rank.Series[0].Values = append(rank.Series[0].Values, float64(100-i))
	}
	if rank.MinHeight() > rank.DefaultHeight() || rank.DefaultHeight() < 63*11 {
		t.Fatalf("heights: min %d, default %d", rank.MinHeight(), rank.DefaultHeight())
	}
	var png, svg bytes.Buffer
	if err := rank.Render(&png, reports.PNG, 800, rank.DefaultHeight()); err != nil {
		t.Fatal(err)
	}
	if size := decodePNG(t, png.Bytes()); size != (image.Point{800, rank.DefaultHeight()}) {
		t.Fatalf("ranking size %v", size)
	}
	if err := rank.Render(&svg, reports.SVG, 800, rank.DefaultHeight()); err != nil {
		t.Fatal(err)
	}
	if _, text := svgOf(t, svg.Bytes()); !strings.Contains(text, "Tỉnh thứ 63 – Đắk Lắk") || !strings.Contains(text, "100") {
		t.Fatalf("ranking text: %s", text)
	}

	ind := reports.Lines{Title: "Số tài khoản định danh điện tử <mức 2> & tỷ lệ", XLabels: []string{"2024Q1", "2024Q2", "2024Q3", "2024Q4"},
		Series: []reports.Series{
			{Name: "Thực hiện", Color: drawing.ColorFromHex("1e88e5"), Values: []float64{10, math.NaN(), 30, 45}},
			{Name: "Chỉ tiêu", Color: drawing.ColorFromHex("616161"), Values: []float64{20, 30, 40, 50}, Dashed: true},
		}}
	svg.Reset()
	if err := ind.Render(&svg, reports.SVG, 600, 300); err != nil {
		t.Fatal(err)
	}
	vb, text := svgOf(t, svg.Bytes()) // the title's < and & are escaped
	if vb != "0 0 600 300" || !strings.Contains(text, "<mức 2> & tỷ lệ") || !strings.Contains(text, "Chỉ tiêu") ||
		!strings.Contains(svg.String(), "stroke-dasharray") {
		t.Fatalf("indicator: %s %s", vb, text)
	}
	empty := reports.Lines{Title: "Không có gì", XLabels: []string{"2024"}, Series: []reports.Series{{Name: "x", Values: []float64{0}}}}
	svg.Reset()
	if err := empty.Render(&svg, reports.SVG, 600, 300); err != nil {
		t.Fatal(err)
	}
	if _, text := svgOf(t, svg.Bytes()); !strings.Contains(text, "Không có dữ liệu") {
		t.Fatalf("all-zero line: %s", text)
	}
}

// TestPNGColours: a chart of few colours is written as a paletted PNG, one
// of more than 256 (many anti-aliased lines) as a full-colour one, and both
// show the series' colours exactly where they are drawn.
func TestPNGColours(t *testing.T) {
	t.Parallel()
	blue := drawing.ColorFromHex("1e88e5")
	bars := reports.Bars{Title: "Xếp hạng", Series: []reports.Series{{Name: "Tỷ lệ", Color: blue}}}
	for i := range 63 {
		bars.Labels = append(bars.Labels, fmt.Sprintf("Tỉnh %d", i+1))
		bars.Series[0].Values = append(bars.Series[0].Values, 100)
	}
	var buf bytes.Buffer
	if err := bars.Render(&buf, reports.PNG, 800, bars.DefaultHeight()); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.Paletted); !ok {
		t.Errorf("bars: %T, want a paletted PNG", img)
	}
	// Every row's bar is full: the middle of the plot is the series' colour.
	b := img.Bounds()
	if r, g, bl, _ := img.At(b.Dx()*3/4, b.Dy()/2).RGBA(); [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)} != [3]uint8{blue.R, blue.G, blue.B} {
		t.Errorf("bars: middle pixel %v, want %v", img.At(b.Dx()*3/4, b.Dy()/2), blue)
	}

	lines := reports.Lines{Title: "Nhiều đường", XLabels: []string{"2024Q1", "2024Q2", "2024Q3", "2024Q4"}}
	for i := range 40 {
		c := drawing.Color{R: uint8(i * 6), G: uint8(255 - i*6), B: uint8(i * 3), A: 255}
		lines.Series = append(lines.Series, reports.Series{Name: fmt.Sprint(i), Color: c, Values: []float64{float64(i), float64(40 - i), float64(i * 2), 3}})
	}
	buf.Reset()
	if err := lines.Render(&buf, reports.PNG, 600, 300); err != nil {
		t.Fatal(err)
	}
	if img, err = png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.Paletted); ok || img.Bounds().Size() != (image.Point{600, 300}) {
		t.Errorf("lines: %T %v, want a full-colour 600×300 PNG", img, img.Bounds())
	}
}

// TestPNGLabelsConcurrently: the labels' glyphs are drawn from faces shared
// by the process (reports/chart.go, faceOf); charts drawn at once come out
// byte for byte as one drawn alone, and every row's label is inked.
func TestPNGLabelsConcurrently(t *testing.T) {
	t.Parallel()
	bars := reports.Bars{Title: "Xếp hạng tỉnh, thành phố", Series: []reports.Series{{Name: "Tỷ lệ", Color: drawing.ColorFromHex("1e88e5")}}}
	for i := range 63 {
		bars.Labels = append(bars.Labels, fmt.Sprintf("%d. Thừa Thiên Huế", i+1))
		bars.Series[0].Values = append(bars.Series[0].Values, float64(63-i))
	}
	h := bars.DefaultHeight()
	render := func() []byte {
		var buf bytes.Buffer
		if err := bars.Render(&buf, reports.PNG, 800, h); err != nil {
			t.Error(err)
		}
		return buf.Bytes()
	}
	alone := render()
	got := make([][]byte, 8)
	done := make(chan int)
	for i := range got {
		go func() { got[i] = render(); done <- i }()
	}
	for range got {
		<-done
	}
	for i, b := range got {
		if !bytes.Equal(b, alone) {
			t.Fatalf("chart %d drawn at the same time as others differs from one drawn alone", i)
		}
	}
	img, err := png.Decode(bytes.NewReader(alone))
	if err != nil {
		t.Fatal(err)
	}
	// Each row's band left of the bars holds dark pixels (the label's ink).
	top, row := 40, float64(h-40-34)/63
	for i := range 63 {
		dark := 0
		for y := top + int(float64(i)*row); y < top+int(float64(i+1)*row); y++ {
			for x := 0; x < 150; x++ {
				if r, g, b, _ := img.At(x, y).RGBA(); r+g+b < 3*0x6000 {
					dark++
				}
			}
		}
		if dark < 20 {
			t.Fatalf("row %d's label has %d dark pixels", i+1, dark)
		}
	}
}

// TestLegendWraps: on a narrow chart the legend goes on as many lines as
// it needs: every series' swatch is drawn in the picture, above the plot.
func TestLegendWraps(t *testing.T) {
	t.Parallel()
	var series []reports.Series
	for i, name := range []string{"Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Đang thực hiện trong hạn", "Quá hạn chưa hoàn thành", "Thường xuyên", "Đã hủy"} {
		// Only the last has bars: the others' colours can only be swatches.
		v := []float64{0, 0}
		if i == 5 {
			v = []float64{3, 2}
		}
		series = append(series, reports.Series{Name: name, Color: drawing.Color{R: uint8(40 * i), G: 200, B: uint8(255 - 40*i), A: 255}, Values: v})
	}
	bars := reports.Bars{Title: "Nhiệm vụ theo tình trạng", Labels: []string{"Bộ Công an", "Bộ Y tế"}, Series: series}
	for _, w := range []int{240, 400, 900} {
		var buf bytes.Buffer
		if err := bars.Render(&buf, reports.PNG, w, 400); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range series {
			found := false
			for y := 0; y < 400 && !found; y++ {
				for x := 0; x < w && !found; x++ {
					r, g, b, _ := img.At(x, y).RGBA()
					found = [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)} == [3]uint8{s.Color.R, s.Color.G, s.Color.B}
				}
			}
			if !found {
				t.Errorf("%d px wide: no swatch of %q", w, s.Name)
			}
		}
	}
}
