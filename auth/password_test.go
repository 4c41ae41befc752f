package auth

import (
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := hashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with today's parameters", h)
	}
	if ok, stale := checkPassword(h, "correct horse battery"); !ok || stale {
		t.Fatalf("right password: ok=%v stale=%v", ok, stale)
	}
	if ok, _ := checkPassword(h, "correct horse batterY"); ok {
		t.Fatal("wrong password accepted")
	}
	other, _ := hashPassword("correct horse battery")
	if other == h {
		t.Fatal("two hashes of one password share a salt")
	}
	// A hash made with older, weaker parameters still verifies, and is
	// reported stale so that sign-in re-hashes it.
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("pw-of-2019-x"), salt, 1, 8*1024, 1, 32)
	old := "$argon2id$v=19$m=8192,t=1,p=1$" + b64(salt) + "$" + b64(key)
	if ok, stale := checkPassword(old, "pw-of-2019-x"); !ok || !stale {
		t.Fatalf("old hash: ok=%v stale=%v; want true, true", ok, stale)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=18$m=1,t=1,p=1$AA$AA"} {
		if ok, _ := checkPassword(bad, "x"); ok {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}
