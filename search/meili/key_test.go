package meili

import (
	"regexp"
	"strings"
	"testing"
)

var meiliKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,511}$`)

func FuzzKeyRoundTrip(f *testing.F) {
	for _, s := range []string{
		"resource:01J8Z6K4Q2N3P5R7T9V1W3X5Y7", "member:jean_dupont-2", "a_3a", "_", "__", ":", "é", "x:é/ü?&%", "\x00\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		key, err := encodeKey(id)
		if id == "" || len(id)*3 > maxKeyBytes {
			if err == nil && !meiliKey.MatchString(key) {
				t.Fatalf("encodeKey(%q) = %q, invalid", id, key)
			}
			return
		}
		if err != nil {
			t.Fatalf("encodeKey(%q): %v", id, err)
		}
		if !meiliKey.MatchString(key) {
			t.Fatalf("encodeKey(%q) = %q, not a valid Meilisearch identifier", id, key)
		}
		back, err := decodeKey(key)
		if err != nil || back != id {
			t.Fatalf("decodeKey(encodeKey(%q)) = %q, %v", id, back, err)
		}
	})
}

func TestKeyEncoding(t *testing.T) {
	key, err := encodeKey("resource:01J8Z6K4Q2N3P5R7T9V1W3X5Y7")
	if err != nil || key != "resource_3a01J8Z6K4Q2N3P5R7T9V1W3X5Y7" {
		t.Errorf("encodeKey = %q, %v", key, err)
	}
	// IDs that a naive ':' → '_' replacement would confuse stay distinct.
	a, _ := encodeKey("a:b")
	b, _ := encodeKey("a_b")
	if a == b {
		t.Errorf("a:b and a_b encode alike: %q", a)
	}
	if _, err := encodeKey(""); err == nil {
		t.Error("empty ID accepted")
	}
	if _, err := encodeKey(strings.Repeat(":", 200)); err == nil {
		t.Error("ID too long once encoded accepted")
	}
	for _, bad := range []string{"a_", "a_3", "a_zz"} {
		if _, err := decodeKey(bad); err == nil {
			t.Errorf("decodeKey(%q) accepted", bad)
		}
	}
}
