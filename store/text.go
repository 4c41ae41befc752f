package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode normalisation form C, the form every stored text
// takes, with surrounding space trimmed.
func NFC(s string) string { return strings.TrimSpace(norm.NFC.String(s)) }

// Fold returns s lower-cased, without diacritics and with runs of space
// collapsed: "Thừa Thiên Huế" → "thua thien hue", "Đắk Lắk" → "dak lak". Search
// columns store the folded text and searches fold the query, so "ha noi"
// finds "Hà Nội" on every database without collation support.
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.Map(func(r rune) rune {
		switch r {
		case 'đ', 'Đ':
			return 'd'
		}
		return unicode.ToLower(r)
	}, out)
	return strings.Join(strings.Fields(out), " ")
}
