package store

import (
	"strconv"
	"strings"
)

// PrefersEnglish reports whether an Accept-Language header prefers English
// to Vietnamese, the two languages the API speaks. Of the header's English
// (en, en-GB…) and Vietnamese (vi, vi-VN…) tags, the one of highest
// quality wins (q, 1 when not given; the first listed on a tie); q=0 means
// "not this one", and a malformed q counts as 0. Vietnamese is the
// default: with neither language, or both refused.
func PrefersEnglish(accept string) bool {
	best, en := 0.0, false
	for _, part := range strings.Split(accept, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		var isEn bool
		switch {
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			isEn = true
		case tag == "vi" || strings.HasPrefix(tag, "vi-"):
		default:
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(p, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				f = 0
			}
			q = f
		}
		if q > best {
			best, en = q, isEn
		}
	}
	return en
}
