package tasks

import (
	"strings"
	"testing"
	"time"

	"p06/store"
)

func TestTetDate(t *testing.T) {
	t.Parallel()
	// Dates of mùng 1 Tết as published for Vietnam (UTC+7).
	tests := []struct {
		year int
		want string
	}{
		{2000, "2000-02-05"},
		{2001, "2001-01-24"},
		{2007, "2007-02-17"}, // China (UTC+8): 18 February
		{2013, "2013-02-10"},
		{2015, "2015-02-19"},
		{2017, "2017-01-28"},
		{2020, "2020-01-25"},
		{2021, "2021-02-12"},
		{2022, "2022-02-01"},
		{2023, "2023-01-22"},
		{2024, "2024-02-10"},
		{2025, "2025-01-29"},
		{2026, "2026-02-17"},
		// The new moon falls at 23:07 in Vietnam on 2 February 2030, 00:07 on
		// the 3rd in China: Vietnam's Tết is a day before China's.
		{2030, "2030-02-02"},
		{2050, "2050-01-23"},
	}
	for _, tc := range tests {
		got, err := TetDate(tc.year)
		if err != nil {
			t.Errorf("TetDate(%d): %v", tc.year, err)
			continue
		}
		if got != store.MustDate(tc.want) {
			t.Errorf("TetDate(%d) = %s, want %s", tc.year, got, tc.want)
		}
	}
}

// TestTetDateShape checks every year in range against facts of the calendar:
// Tết falls between 21 January and 20 February, and a lunar year has 12 or 13
// months of 29 or 30 days.
func TestTetDateShape(t *testing.T) {
	t.Parallel()
	lengths := map[int]bool{353: true, 354: true, 355: true, 383: true, 384: true, 385: true}
	var prev store.Date
	for y := 2000; y <= 2050; y++ {
		tet, err := TetDate(y)
		if err != nil {
			t.Fatalf("TetDate(%d): %v", y, err)
		}
		if tet.Before(store.NewDate(y, time.January, 21)) || tet.After(store.NewDate(y, time.February, 20)) {
			t.Errorf("TetDate(%d) = %s, outside 21/1–20/2", y, tet)
		}
		if !prev.IsZero() && !lengths[prev.DaysUntil(tet)] {
			t.Errorf("lunar year %d has %d days (%s to %s)", y-1, prev.DaysUntil(tet), prev, tet)
		}
		prev = tet
	}
}

func TestTetDateOutOfRange(t *testing.T) {
	t.Parallel()
	for _, y := range []int{1999, 2051} {
		if d, err := TetDate(y); err == nil {
			t.Errorf("TetDate(%d) = %s, want an error", y, d)
		} else if !strings.Contains(err.Error(), "2000–2050") {
			t.Errorf("TetDate(%d) error = %q, want it to give the range", y, err)
		}
	}
}

func TestCanChi(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year int
		want string
	}{
		{1984, "Giáp Tý"},
		{2000, "Canh Thìn"},
		{2007, "Đinh Hợi"},
		{2009, "Kỷ Sửu"},
		{2023, "Quý Mão"},
		{2024, "Giáp Thìn"},
		{2025, "Ất Tỵ"},
		{2026, "Bính Ngọ"},
		{2030, "Canh Tuất"},
		{2043, "Quý Hợi"},
	}
	for _, tc := range tests {
		if got := CanChi(tc.year); got != tc.want {
			t.Errorf("CanChi(%d) = %q, want %q", tc.year, got, tc.want)
		}
	}
}
