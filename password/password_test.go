package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery staple", Default)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=47104,t=1,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the default parameters", h)
	}
	cases := []struct {
		name   string
		pw     string
		want   Params
		ok     bool
		rehash bool
	}{
		{"right password", "correct horse battery staple", Default, true, false},
		{"wrong password", "correct horse battery stapler", Default, false, false},
		{"empty password", "", Default, false, false},
		{"stronger parameters wanted", "correct horse battery staple", Params{Memory: 64 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, rehash, err := Verify(c.pw, h, c.want)
			if err != nil || ok != c.ok || rehash != c.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v", ok, rehash, err, c.ok, c.rehash)
			}
		})
	}
	h2, _ := Hash("correct horse battery staple", Default)
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, enc := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA"} {
		if _, _, err := Verify("whatever-password", enc, Default); err != ErrMalformed {
			t.Errorf("Verify(%q) err = %v, want ErrMalformed", enc, err)
		}
	}
}

func TestCheck(t *testing.T) {
	cases := map[string]error{
		"short":                  ErrTooShort,
		"douze-caract":           nil,
		"éééééééééééé":           nil, // 12 runes, 24 bytes
		strings.Repeat("a", 257): ErrTooLong,
	}
	for pw, want := range cases {
		if got := Check(pw); got != want {
			t.Errorf("Check(%q) = %v, want %v", pw[:min(len(pw), 20)], got, want)
		}
	}
}

// BenchmarkVerify measures one login's password check with the default
// parameters.
func BenchmarkVerify(b *testing.B) {
	h, _ := Hash("correct horse battery staple", Default)
	b.ReportAllocs()
	for b.Loop() {
		Verify("correct horse battery staple", h, Default)
	}
}

func TestDecoy(t *testing.T) {
	d, err := Decoy(Default)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := Hash("x", Default)
	if strings.Count(d, "$") != strings.Count(h, "$") || len(d) != len(h) || !strings.HasPrefix(d, "$argon2id$v=19$m=47104,t=1,p=1$") {
		t.Fatalf("decoy %q is not shaped like a hash with the default parameters (%q)", d, h)
	}
	for _, pw := range []string{"", "x", "no account has this password"} {
		ok, rehash, err := Verify(pw, d, Default)
		if ok || rehash || err != nil {
			t.Fatalf("Verify(%q, decoy) = %v, %v, %v; want no match and no error", pw, ok, rehash, err)
		}
	}
	if d2, _ := Decoy(Default); d2 == d {
		t.Fatal("two decoys are equal")
	}
}
