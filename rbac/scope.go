// Package rbac decides what a caller may read and write. A Scope is the value
// the domain stores filter with: the org-unit path prefixes a caller may read
// and those it may write. rbac needs nothing from org/: paths are plain text.
package rbac

import (
	"strings"
)

// RootPath is the path of the national unit, the root of the org tree.
const RootPath = "/VN/"

// Scope is the set of org units a caller may read and write, as materialised
// path prefixes ("/VN/01/" covers Hà Nội and every unit below it). The zero
// Scope reads and writes nothing: an empty scope never means "everything".
type Scope struct {
	Read  []string
	Write []string
}

// National reads the whole tree and writes nothing.
func National() Scope { return Scope{Read: []string{RootPath}} }

// Empty reports whether s reads nothing.
func (s Scope) Empty() bool { return len(s.Read) == 0 }

// ReadsAll reports whether s reads the whole tree.
func (s Scope) ReadsAll() bool { return covers(s.Read, RootPath) }

// CanRead reports whether the unit at path is readable.
func (s Scope) CanRead(path string) bool { return covers(s.Read, path) }

// CanWrite reports whether the unit at path is writable.
func (s Scope) CanWrite(path string) bool { return covers(s.Write, path) }

func covers(prefixes []string, path string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// ReadFilter returns an SQL condition that holds for rows whose path column
// col is readable, with its arguments. An empty scope gives a condition that
// is always false.
func (s Scope) ReadFilter(col string) (string, []any) { return filter(s.Read, col) }

func filter(prefixes []string, col string) (string, []any) {
	if len(prefixes) == 0 {
		return "1 = 0", nil
	}
	parts := make([]string, len(prefixes))
	args := make([]any, len(prefixes))
	for i, p := range prefixes {
		parts[i] = col + " LIKE ?"
		args[i] = p + "%"
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// Within narrows s to the subtree at path: what s reads inside that subtree.
// A caller who reads the whole country asking about Hà Nội reads /VN/01/; a
// Huế caller asking about the whole country still reads only /VN/46/.
func (s Scope) Within(path string) Scope {
	return Scope{Read: within(s.Read, path), Write: within(s.Write, path)}
}

func within(prefixes []string, path string) []string {
	var out []string
	for _, p := range prefixes {
		switch {
		case strings.HasPrefix(path, p):
			out = append(out, path)
		case strings.HasPrefix(p, path):
			out = append(out, p)
		}
	}
	return out
}
