package reports_test

import (
	"os"
	"strings"
	"testing"

	"github.com/wcharczuk/go-chart/v2/roboto"

	"p06/reports"
)

// The fallback font, go-chart's Roboto, draws every Vietnamese letter, and
// a font that lacks some is refused with the letters named.
func TestFontsHaveVietnamese(t *testing.T) {
	t.Parallel()
	if err := reports.CheckVietnamese(roboto.Roboto); err != nil {
		t.Fatalf("Roboto: %v", err)
	}
	const serif = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
	if _, err := os.Stat(serif); err == nil {
		regular, bold, italic, err := reports.PDFFonts(serif)
		if err != nil || regular == nil || bold == nil || italic == nil {
			t.Fatalf("Liberation Serif: %v", err)
		}
	}
	if _, _, _, err := reports.PDFFonts("/nonexistent.ttf"); err == nil {
		t.Fatal("a missing font file was accepted")
	}
	if err := reports.CheckVietnamese([]byte("not a font")); err == nil || !strings.Contains(err.Error(), "TrueType") {
		t.Fatalf("garbage: %v", err)
	}
}
