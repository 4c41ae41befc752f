package reports

import (
	"strings"

	"github.com/wcharczuk/go-chart/v2/drawing"

	"p06/store"
	"p06/tasks"
)

// Lang is the language of a chart's or a report's words: Vietnamese by
// default, English with lang=en.
type Lang string

const (
	Vietnamese Lang = "vi"
	English    Lang = "en"
)

// langOf is lang=en|vi when given, else the one Accept-Language prefers
// (store.PrefersEnglish), else Vietnamese.
func langOf(query, accept string) Lang {
	switch strings.ToLower(query) {
	case "en":
		return English
	case "vi":
		return Vietnamese
	}
	if store.PrefersEnglish(accept) {
		return English
	}
	return Vietnamese
}

func msg(l Lang, vi, en string) string {
	if l == English {
		return en
	}
	return vi
}

// statusWords are the statuses in the Government's words, and in English.
var statusWords = map[tasks.Status][2]string{
	tasks.DoneOnTime:      {"Hoàn thành đúng hạn", "Done on time"},
	tasks.DoneLate:        {"Hoàn thành quá hạn", "Done late"},
	tasks.InProgressOK:    {"Đang thực hiện trong hạn", "In progress, within deadline"},
	tasks.Overdue:         {"Quá hạn chưa hoàn thành", "Overdue"},
	tasks.Continuous:      {"Thường xuyên", "Continuous"},
	tasks.StatusCancelled: {"Đã hủy", "Cancelled"},
}

// StatusName is a status in the language.
func StatusName(l Lang, s tasks.Status) string {
	w := statusWords[s]
	return msg(l, w[0], w[1])
}

// statusColors: done green, late light green, in progress blue, overdue red.
var statusColors = map[tasks.Status]drawing.Color{
	tasks.DoneOnTime:      drawing.ColorFromHex("2e7d32"),
	tasks.DoneLate:        drawing.ColorFromHex("9ccc65"),
	tasks.InProgressOK:    drawing.ColorFromHex("1e88e5"),
	tasks.Overdue:         drawing.ColorFromHex("e53935"),
	tasks.Continuous:      drawing.ColorFromHex("8d6e63"),
	tasks.StatusCancelled: drawing.ColorFromHex("bdbdbd"),
}

var stateWords = map[tasks.State][2]string{
	tasks.NotStarted: {"Chưa bắt đầu", "Not started"},
	tasks.InProgress: {"Đang thực hiện", "In progress"},
	tasks.Done:       {"Đã hoàn thành", "Done"},
	tasks.Cancelled:  {"Đã hủy", "Cancelled"},
}

// StateName is a stored state in the language.
func StateName(l Lang, s tasks.State) string {
	w := stateWords[s]
	return msg(l, w[0], w[1])
}

// unitName is the unit's name in the language (the Vietnamese one when it
// has no English name).
func unitName(l Lang, vi, en string) string {
	if l == English && en != "" {
		return en
	}
	return vi
}

// formatDate is d as dd/mm/yyyy (Vietnamese) or yyyy-mm-dd (English); ""
// for none.
func formatDate(l Lang, d store.Date) string {
	if d.IsZero() {
		return ""
	}
	if l == English {
		return d.String()
	}
	return d.Time().Format("02/01/2006")
}
