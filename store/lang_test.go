package store_test

import (
	"testing"

	"p06/store"
)

func TestPrefersEnglish(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                             false,
		"en":                           true,
		"en-US,en;q=0.9":               true,
		"vi":                           false,
		"vi-VN, en;q=0.8":              false,
		"en;q=0.5, vi;q=0.9":           false,
		"fr, en-GB;q=0.7":              true,
		"en;q=0, vi":                   false,
		"en;q=0":                       false,
		"fr, de":                       false,
		"EN":                           true,
		"en;q=abc, vi;q=0.1":           false,
		"en;q=2":                       false,
		"vi;q=0.5, en;q=0.5":           false,
		"en;q=0.5, vi;q=0.5":           true,
		"english":                      false,
		"*":                            false,
		" en ; q = 0.8 , vi ; q = 0.3": true,
	} {
		if got := store.PrefersEnglish(accept); got != want {
			t.Errorf("PrefersEnglish(%q) = %v, want %v", accept, got, want)
		}
	}
}
