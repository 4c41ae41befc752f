package rbac

import "testing"

func TestScope(t *testing.T) {
	t.Parallel()
	var empty Scope
	if !empty.Empty() || empty.CanRead("/VN/") || empty.ReadsAll() {
		t.Fatal("the zero scope must read nothing")
	}
	if cond, _ := empty.ReadFilter("u.path"); cond != "1 = 0" {
		t.Fatalf("empty scope filter = %q, want an always-false condition", cond)
	}
	hue := Scope{Read: []string{"/VN/46/"}, Write: []string{"/VN/46/"}}
	if !hue.CanRead("/VN/46/") || !hue.CanRead("/VN/46/474/") || hue.CanRead("/VN/01/") || hue.ReadsAll() {
		t.Fatal("a province scope reads its own subtree only")
	}
	cond, args := Scope{Read: []string{"/VN/01/", "/VN/BCA/"}}.ReadFilter("u.path")
	if cond != "(u.path LIKE ? OR u.path LIKE ?)" || len(args) != 2 || args[0] != "/VN/01/%" {
		t.Fatalf("filter = %q %v", cond, args)
	}
	if !National().ReadsAll() || National().CanWrite("/VN/") {
		t.Fatal("National reads everything and writes nothing")
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	if got := National().Within("/VN/01/"); !got.CanRead("/VN/01/") || got.CanRead("/VN/46/") {
		t.Fatalf("national within Hà Nội = %+v", got)
	}
	hue := Scope{Read: []string{"/VN/46/"}}
	if got := hue.Within("/VN/"); len(got.Read) != 1 || got.Read[0] != "/VN/46/" {
		t.Fatalf("Huế within the nation = %+v", got)
	}
	if got := hue.Within("/VN/01/"); !got.Empty() {
		t.Fatalf("Huế within Hà Nội must be empty, got %+v", got)
	}
}
