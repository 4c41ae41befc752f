package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Code classifies an error for clients. The GraphQL error presenter puts it in
// extensions.code.
type Code string

const (
	NotFound        Code = "NOT_FOUND"
	Forbidden       Code = "FORBIDDEN"
	Invalid         Code = "INVALID"
	Conflict        Code = "CONFLICT"
	Unauthenticated Code = "UNAUTHENTICATED"
	Internal        Code = "INTERNAL"
)

// Error is an error a user can act on: a code, a message in Vietnamese, the same
// message in English, and the input field it concerns, if any.
type Error struct {
	Code    Code
	Message string // Vietnamese
	English string // English; empty means "same as Message"
	Field   string // input field path, e.g. "input.deadline"
}

func (e *Error) Error() string { return e.Message }

// Errorf makes an Error whose Vietnamese and English texts are the same format
// applied to the same arguments in two languages.
func Errorf(code Code, vi, en string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(vi, args...), English: fmt.Sprintf(en, args...)}
}

// ErrorCode returns the code of err: the Code of an *Error in its chain, or
// Internal for anything else.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// IsNoRows reports whether err says a query found no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// IsUniqueViolation reports whether err is a unique-constraint failure on
// SQLite or PostgreSQL (SQLSTATE 23505).
func IsUniqueViolation(err error) bool {
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint failed") || strings.Contains(m, "23505")
}

// ErrBusy is the error of a change that could not get its locks in time.
var ErrBusy = &Error{Code: Conflict, Message: "hệ thống đang bận ghi dữ liệu khác; vui lòng thử lại sau giây lát",
	English: "the system is busy writing other data; please try again in a moment"}

// IsBusy reports whether err says the database was locked by another writer
// for longer than the busy timeout (SQLite), or a lock could not be had or a
// deadlock was broken (PostgreSQL 55P03, 40P01).
func IsBusy(err error) bool {
	m := err.Error()
	return strings.Contains(m, "SQLITE_BUSY") || strings.Contains(m, "database is locked") ||
		strings.Contains(m, "55P03") || strings.Contains(m, "40P01")
}

// AsBusy is ErrBusy when err is such a lock wait (IsBusy), else err: what a
// write that could not get its locks tells its caller.
func AsBusy(err error) error {
	if err != nil && IsBusy(err) {
		return ErrBusy
	}
	return err
}

// Clip is s as an error message may quote it: its first 40 bytes (whole
// runes), "…" when there were more, so that a huge input is not echoed.
func Clip(s string) string {
	const most = 40
	if len(s) <= most {
		return s
	}
	n := most
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
