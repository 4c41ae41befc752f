package reports

import (
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/golang/freetype/truetype"
	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"

	"p06/store"
)

// The charts take plain data (labels and series of numbers) and draw them
// with go-chart's renderers (PNG through freetype, SVG) and its embedded
// Roboto, which has every Vietnamese letter. The layouts are ours: go-chart's
// stacked bars are proportions, not counts, and its bar chart starts the
// axis at the smallest value; ours start every axis at zero, fit 63 rows of
// labels, and say so when there is nothing to draw.

// drawingVersion is the version of how charts are drawn, part of their ETags: a
// change to the drawing takes a new number, so that a chart a client (or
// this process) kept from before is drawn again.
const drawingVersion = 3

// Format is a chart's file format.
type Format string

const (
	PNG Format = "png"
	SVG Format = "svg"
)

// ContentType is the format's media type.
func (f Format) ContentType() string {
	if f == SVG {
		return "image/svg+xml"
	}
	return "image/png"
}

// Size limits of a chart, in pixels.
const (
	MinWidth, MaxWidth   = 240, 4000
	MinHeight, MaxHeight = 160, 4000
	// minRow is the least height of a row of bars: its label at 9 px.
	minRow = 11
)

// Series is one named series of values, one per label (bars) or per point
// (lines). A NaN value is a point with no value.
type Series struct {
	Name   string
	Values []float64
	Color  drawing.Color
	// Dashed draws a line series dashed (a target, a reference).
	Dashed bool
}

// Bars is a horizontal bar chart: one row per label, each row the stack of
// the series' values, from zero (NaN: none, and no total written). One
// series ranks (ranking.png); several stack (tasks by status per unit).
type Bars struct {
	Title  string
	Labels []string
	Series []Series
	// Totals writes each row's total at the end of its bar.
	Totals bool
	Lang   Lang
}

// Lines is a line chart over evenly spaced points named by XLabels (days,
// periods), from zero.
type Lines struct {
	Title   string
	XLabels []string
	Series  []Series
	Lang    Lang
}

// headerHeight is the space above the plot: the title and, with more than
// one series, the legend.
func headerHeight(series int) int {
	if series > 1 {
		return 62
	}
	return 40
}

const (
	barsBottom  = 34 // the axis' tick labels
	linesBottom = 40
)

// MinHeight is the least height at which every row's label is readable.
func (b Bars) MinHeight() int {
	return max(MinHeight, headerHeight(len(b.Series))+len(b.Labels)*minRow+barsBottom)
}

// DefaultHeight is the chart's height when none is asked for: 22 px a row.
func (b Bars) DefaultHeight() int {
	return min(MaxHeight, max(400, headerHeight(len(b.Series))+len(b.Labels)*22+barsBottom))
}

var (
	fontOnce  sync.Once
	robotoTTF *truetype.Font
	fontErr   error
)

// chartFont is go-chart's embedded Roboto (Medium).
func chartFont() (*truetype.Font, error) {
	fontOnce.Do(func() { robotoTTF, fontErr = chart.GetDefaultFont() })
	return robotoTTF, fontErr
}

// Text is measured, and drawn on a PNG, with freetype faces of the chart
// font kept for the process, one per size (in half pixels), each
// caching the masks of the glyphs it has drawn: go-chart's renderer turns
// every glyph's outline into a path and rasterises it on every drawing,
// which was most of the time of a chart with 63 labels (BENCHMARKS.md). A
// face is not safe for concurrent use, so each has its lock, held for one
// string. SVG text is written by go-chart as text (the reader's browser
// draws it) and measured the same way.
type sizedFace struct {
	sync.Mutex
	face font.Face
}

var faces sync.Map // int (size in half pixels) → *sizedFace

// faceOf is the cached face of the font at size px (72 dpi), rounded to a
// half pixel. The sizes are the charts' own (9 to 16 px: at most 15 faces
// of 0.4–1 MB of glyph masks each), whatever size a chart is asked for.
func faceOf(ft *truetype.Font, size float64) *sizedFace {
	k := int(math.Round(size * 2))
	if f, ok := faces.Load(k); ok {
		return f.(*sizedFace)
	}
	f, _ := faces.LoadOrStore(k, &sizedFace{face: truetype.NewFace(ft, &truetype.Options{
		Size: float64(k) / 2, DPI: 72, Hinting: font.HintingNone,
		// 256 glyphs at 4 horizontal positions: the letters of Vietnamese
		// names and numbers stay cached.
		GlyphCacheEntries: 1024,
	})})
	return f.(*sizedFace)
}

var (
	white     = drawing.ColorWhite
	ink       = drawing.ColorFromHex("212121")
	inkLight  = drawing.ColorFromHex("616161")
	gridColor = drawing.ColorFromHex("e0e0e0")
	axisColor = drawing.ColorFromHex("9e9e9e")
)

// canvas draws on a go-chart renderer in pixels (72 dpi, so a font size
// is its height in pixels). For a PNG it also holds the renderer's image
// (img): rectangles, whose edges fall on whole pixels, are filled on it
// directly rather than rasterised as paths (the same pixels), and save
// encodes it.
type canvas struct {
	r    chart.Renderer
	img  *image.RGBA
	w, h int
	font *truetype.Font
	// The text's face and colour (setText).
	face *sizedFace
	ink  image.Image
}

// rgbaOf is a chart.RGBACollector: go-chart's raster renderer hands its
// image to one when saving, instead of encoding it.
type rgbaOf struct {
	io.Writer
	img *image.RGBA
}

func (g *rgbaOf) SetRGBA(i *image.RGBA) { g.img = i }

func newCanvas(f Format, w, h int) (*canvas, error) {
	ft, err := chartFont()
	if err != nil {
		return nil, err
	}
	provider := chart.PNG
	if f == SVG {
		provider = escapedSVG
	}
	r, err := provider(w, h)
	if err != nil {
		return nil, err
	}
	r.SetDPI(72)
	c := &canvas{r: r, w: w, h: h, font: ft}
	if f == PNG {
		var g rgbaOf
		if err := r.Save(&g); err != nil {
			return nil, err
		}
		c.img = g.img
	}
	c.rect(0, 0, w, h, white)
	return c, nil
}

func (c *canvas) rect(x0, y0, x1, y1 int, fill drawing.Color) {
	if c.img != nil {
		draw.Draw(c.img, image.Rect(x0, y0, x1, y1), image.NewUniform(color.RGBA{fill.R, fill.G, fill.B, fill.A}), image.Point{}, draw.Over)
		return
	}
	c.r.ResetStyle()
	c.r.SetFillColor(fill)
	c.r.SetStrokeWidth(0)
	c.r.SetStrokeColor(drawing.ColorTransparent)
	c.r.MoveTo(x0, y0)
	c.r.LineTo(x1, y0)
	c.r.LineTo(x1, y1)
	c.r.LineTo(x0, y1)
	c.r.Close()
	c.r.Fill()
}

func (c *canvas) line(x0, y0, x1, y1 int, color drawing.Color, width float64, dash []float64) {
	c.r.ResetStyle()
	c.r.SetStrokeColor(color)
	c.r.SetStrokeWidth(width)
	c.r.SetStrokeDashArray(dash)
	c.r.MoveTo(x0, y0)
	c.r.LineTo(x1, y1)
	c.r.Stroke()
}

func (c *canvas) setText(size float64, col drawing.Color) {
	c.face = faceOf(c.font, size)
	if c.img != nil {
		c.ink = image.NewUniform(color.RGBA{col.R, col.G, col.B, col.A})
		return
	}
	c.r.ResetStyle()
	c.r.SetFont(c.font)
	c.r.SetFontSize(size)
	c.r.SetFontColor(col)
}

// width is s's advance at the current face, in whole pixels.
func (c *canvas) width(s string) int {
	c.face.Lock()
	defer c.face.Unlock()
	return font.MeasureString(c.face.face, s).Ceil()
}

// text writes s with its baseline at y: left-aligned at x (align 0),
// centred on x (1) or ending at x (2).
func (c *canvas) text(s string, x, y, align int) {
	switch align {
	case 1:
		x -= c.width(s) / 2
	case 2:
		x -= c.width(s)
	}
	if c.img == nil {
		c.r.Text(s, x, y)
		return
	}
	c.face.Lock()
	defer c.face.Unlock()
	d := font.Drawer{Dst: c.img, Src: c.ink, Face: c.face.face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// fit cuts s with an ellipsis to at most w pixels at the current font.
func (c *canvas) fit(s string, w int) string {
	if c.width(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 1 {
		rs = rs[:len(rs)-1]
		if t := strings.TrimSpace(string(rs)) + "…"; c.width(t) <= w {
			return t
		}
	}
	return "…"
}

// save writes the chart: an SVG as go-chart writes it, a PNG with at most
// 256 colours (a chart's flat fills and the text's anti-aliasing on them
// usually are) as a paletted PNG, which Go writes without its per-row
// filters and with a quarter of the bytes to compress, else as RGBA; both
// at BestSpeed (see BENCHMARKS.md).
func (c *canvas) save(out io.Writer) error {
	if c.img == nil {
		return c.r.Save(out)
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: pngBuffers}
	if p := paletted(c.img); p != nil {
		return enc.Encode(out, p)
	}
	return enc.Encode(out, c.img)
}

// pngBuffers keeps the PNG encoders' buffers between charts.
var pngBuffers = new(pngPool)

type pngPool struct{ sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.Pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.Pool.Put(b) }

// paletted is img as a paletted image, the same pixels, or nil if it has
// more than 256 colours. Runs of one colour (most of a chart) skip the
// palette's lookup.
func paletted(img *image.RGBA) *image.Paletted {
	out := image.NewPaletted(img.Rect, nil)
	index := make(map[uint32]uint8, 256)
	last, at := uint32(0), -1
	w := img.Rect.Dx()
	for y := 0; y < img.Rect.Dy(); y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		dst := out.Pix[y*out.Stride : y*out.Stride+w]
		for x := range dst {
			p := row[4*x : 4*x+4 : 4*x+4]
			k := uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
			if k != last || at < 0 {
				i, ok := index[k]
				if !ok {
					if len(out.Palette) == 256 {
						return nil
					}
					i = uint8(len(out.Palette))
					index[k] = i
					out.Palette = append(out.Palette, color.RGBA{p[0], p[1], p[2], p[3]})
				}
				last, at = k, int(i)
			}
			dst[x] = uint8(at)
		}
	}
	return out
}

// header writes the title (cut to fit) and the legend of series, on as
// many lines as the width needs, and returns the space it takes above the
// plot: headerHeight's for a legend of one line, 22 px more a line.
func (c *canvas) header(title string, series []Series) int {
	c.setText(16, ink)
	c.text(c.fit(title, c.w-20), c.w/2, 26, 1)
	if len(series) < 2 {
		return headerHeight(len(series))
	}
	c.setText(11, ink)
	// An entry is its swatch (16 px with its gap), its name, 14 px after.
	var lines [][]int
	width := []int{}
	line, used := []int{}, 0
	for i, s := range series {
		w := 16 + c.width(s.Name) + 14
		if len(line) > 0 && used+w > c.w-20 {
			lines, width = append(lines, line), append(width, used)
			line, used = nil, 0
		}
		line, used = append(line, i), used+w
	}
	lines, width = append(lines, line), append(width, used)
	for n, line := range lines {
		x, y := max(10, (c.w-width[n])/2), 41+22*n
		for _, i := range line {
			s := series[i]
			c.rect(x, y, x+11, y+11, s.Color)
			c.setText(11, ink)
			c.text(c.fit(s.Name, c.w-46), x+16, y+10, 0)
			x += 16 + c.width(s.Name) + 14
		}
	}
	return headerHeight(len(series)) + 22*(len(lines)-1)
}

// noData writes the message in the middle of the plot.
func (c *canvas) noData(lang Lang) {
	c.setText(14, inkLight)
	c.text(msg(lang, "Không có dữ liệu", "No data"), c.w/2, c.h/2, 1)
}

// niceScale is the axis from zero: a step of 1, 2, 2.5 or 5 × 10ⁿ giving
// about five ticks (whole numbers from 1 up), and the first tick reaching m.
func niceScale(m float64) (top, step float64) {
	if m <= 0 || math.IsNaN(m) {
		return 1, 0.2
	}
	raw := m / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if step = f * p; step >= raw {
			break
		}
	}
	if m >= 1 && step < 1 {
		step = 1
	}
	return math.Ceil(m/step-1e-9) * step, step
}

// Render draws the chart at the size asked.
func (b Bars) Render(out io.Writer, f Format, w, h int) error {
	b.Title = store.NFC(b.Title)
	c, err := newCanvas(f, w, h)
	if err != nil {
		return err
	}
	b.Series = nfcNames(b.Series)
	y0 := c.header(b.Title, b.Series)
	totals := make([]float64, len(b.Labels))
	has := make([]bool, len(b.Labels)) // a row with a value (NaN: none)
	most := 0.0
	for i := range b.Labels {
		for _, s := range b.Series {
			if i < len(s.Values) && !math.IsNaN(s.Values[i]) {
				has[i] = true
			}
			if i < len(s.Values) && s.Values[i] > 0 {
				totals[i] += s.Values[i]
			}
		}
		most = max(most, totals[i])
	}
	if len(b.Labels) == 0 || most == 0 {
		c.noData(b.Lang)
		return c.save(out)
	}
	top, step := niceScale(most)
	y1 := h - barsBottom
	y0 = min(y0, y1-20) // a legend of many lines on a small chart
	row := float64(y1-y0) / float64(len(b.Labels))
	size := math.Max(9, math.Min(13, row*0.72))
	c.setText(size, ink)
	labels := make([]string, len(b.Labels))
	labelW := 0
	for i, l := range b.Labels {
		labels[i] = c.fit(store.NFC(l), w*2/5)
		labelW = max(labelW, c.width(labels[i]))
	}
	c.setText(10, inkLight)
	totalW := 0
	if b.Totals {
		totalW = c.width(formatNumber(b.Lang, most)) + 8
	}
	x0 := 10 + labelW + 8
	x1 := w - 16 - totalW
	if x1-x0 < 60 {
		x1 = x0 + 60
	}
	scale := float64(x1-x0) / top
	// Grid and tick labels.
	c.setText(10, inkLight)
	right := math.MinInt // where the last tick label written ends
	for v := 0.0; v <= top+step/2; v += step {
		x := x0 + int(math.Round(v*scale))
		c.line(x, y0, x, y1, gridColor, 1, nil)
		c.setText(10, inkLight)
		// On a narrow chart a label that would touch the last is left out.
		if l := formatNumber(b.Lang, v); x-c.width(l)/2 > right+4 {
			c.text(l, x, y1+16, 1)
			right = x + c.width(l)/2
		}
	}
	thick := max(1, min(36, int(row*0.7))) // a few rows: bars, not blocks
	for i := range b.Labels {
		cy := y0 + int((float64(i)+0.5)*row)
		c.setText(size, ink)
		c.text(labels[i], x0-8, cy+int(size*0.35), 2)
		x := float64(x0)
		for _, s := range b.Series {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			nx := x + s.Values[i]*scale
			c.rect(int(math.Round(x)), cy-thick/2, max(int(math.Round(x))+1, int(math.Round(nx))), cy-thick/2+thick, s.Color)
			x = nx
		}
		if b.Totals && has[i] {
			c.setText(math.Min(size, 11), ink)
			c.text(formatNumber(b.Lang, totals[i]), int(math.Round(x))+4, cy+int(math.Min(size, 11)*0.35), 0)
		}
	}
	c.line(x0, y0, x0, y1, axisColor, 1, nil)
	c.line(x0, y1, x1, y1, axisColor, 1, nil)
	return c.save(out)
}

// Render draws the chart at the size asked.
func (l Lines) Render(out io.Writer, f Format, w, h int) error {
	c, err := newCanvas(f, w, h)
	if err != nil {
		return err
	}
	l.Series = nfcNames(l.Series)
	y0 := c.header(store.NFC(l.Title), l.Series) + 6
	most, any := 0.0, false
	for _, s := range l.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				most = max(most, v)
				any = any || v != 0
			}
		}
	}
	if len(l.XLabels) == 0 || !any {
		c.noData(l.Lang)
		return c.save(out)
	}
	top, step := niceScale(most)
	y1 := h - linesBottom
	y0 = min(y0, y1-20) // a legend of many lines on a small chart
	c.setText(10, inkLight)
	yLabelW := c.width(formatNumber(l.Lang, top))
	x0 := 14 + yLabelW
	x1 := w - 24
	scale := float64(y1-y0) / top
	for v := 0.0; v <= top+step/2; v += step {
		y := y1 - int(math.Round(v*scale))
		c.line(x0, y, x1, y, gridColor, 1, nil)
		c.setText(10, inkLight)
		c.text(formatNumber(l.Lang, v), x0-6, y+4, 2)
	}
	n := len(l.XLabels)
	xAt := func(i int) int {
		if n == 1 {
			return (x0 + x1) / 2
		}
		return x0 + int(math.Round(float64(i)*float64(x1-x0)/float64(n-1)))
	}
	// X labels: every k-th, so that none overlaps the next.
	c.setText(10, inkLight)
	widest := 0
	for _, s := range l.XLabels {
		widest = max(widest, c.width(store.NFC(s)))
	}
	every := 1
	if n > 1 {
		gap := float64(x1-x0) / float64(n-1)
		every = max(1, int(math.Ceil(float64(widest+12)/gap)))
	}
	var shown []int
	for i := 0; i < n; i += every {
		shown = append(shown, i)
	}
	if last := shown[len(shown)-1]; last != n-1 {
		if n-1-last < every {
			shown = shown[:len(shown)-1] // the last day matters more
		}
		shown = append(shown, n-1)
	}
	for _, i := range shown {
		x := xAt(i)
		c.line(x, y1, x, y1+4, axisColor, 1, nil)
		c.setText(10, inkLight)
		lbl := store.NFC(l.XLabels[i])
		lw := c.width(lbl)
		lx := min(max(x-lw/2, 2), w-2-lw)
		c.text(lbl, lx, y1+17, 0)
	}
	c.line(x0, y1, x1, y1, axisColor, 1, nil)
	for _, s := range l.Series {
		var dash []float64
		if s.Dashed {
			dash = []float64{6, 4}
		}
		c.r.ResetStyle()
		c.r.SetStrokeColor(s.Color)
		c.r.SetStrokeWidth(2)
		c.r.SetStrokeDashArray(dash)
		started := false
		for i, v := range s.Values {
			if i >= n || math.IsNaN(v) {
				continue
			}
			x, y := xAt(i), y1-int(math.Round(v*scale))
			if !started {
				c.r.MoveTo(x, y)
				started = true
			} else {
				c.r.LineTo(x, y)
			}
		}
		c.r.Stroke()
		if n <= 40 {
			for i, v := range s.Values {
				if i < n && !math.IsNaN(v) {
					c.r.ResetStyle()
					c.r.SetFillColor(s.Color)
					c.r.SetStrokeColor(s.Color)
					c.r.Circle(2.5, xAt(i), y1-int(math.Round(v*scale)))
					c.r.FillStroke()
				}
			}
		}
	}
	return c.save(out)
}

// nfcNames is a copy of series with their names in NFC: a chart does not
// change what it was given (one Bars may be drawn by several requests).
func nfcNames(series []Series) []Series {
	out := make([]Series, len(series))
	for i, s := range series {
		s.Name = store.NFC(s.Name)
		out[i] = s
	}
	return out
}

// escapedSVG is go-chart's SVG renderer with text escaped for XML: go-chart
// writes text as it is, so a "<" or "&" in a name would break the file.
func escapedSVG(w, h int) (chart.Renderer, error) {
	r, err := chart.SVG(w, h)
	if err != nil {
		return nil, err
	}
	return svgText{r}, nil
}

type svgText struct{ chart.Renderer }

func (s svgText) Text(body string, x, y int) { s.Renderer.Text(html.EscapeString(body), x, y) }

// formatNumber writes v with the language's thousands separator ("1.234"
// in Vietnamese, "1,234" in English) and at most one decimal.
func formatNumber(lang Lang, v float64) string {
	neg := v < 0
	v = math.Abs(v)
	whole := int64(v)
	frac := int64(math.Round((v - float64(whole)) * 10))
	if frac == 10 {
		whole, frac = whole+1, 0
	}
	digits := fmt.Sprint(whole)
	sep, dec := ".", ","
	if lang == English {
		sep, dec = ",", "."
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(d)
	}
	if frac != 0 {
		b.WriteString(dec)
		b.WriteString(fmt.Sprint(frac))
	}
	return b.String()
}
