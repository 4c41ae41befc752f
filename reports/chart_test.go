package reports_test

import (
	"bytes"
	"fmt"
	"image"
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
