package meili

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxKeyBytes is Meilisearch's limit on a document identifier.
const maxKeyBytes = 511

// encodeKey turns a hub document ID ("resource:01J…") into a Meilisearch
// primary key, which may only hold ASCII letters, digits, '-' and '_'.
// Letters, digits and '-' are kept; every other byte, '_' included, becomes
// '_' and two lowercase hex digits — ':' is "_3a". The mapping is one-to-one,
// so decodeKey gives the ID back exactly, whatever it contains; a plain
// replacement of ':' by '_' would not be, for IDs that already hold '_'.
func encodeKey(id string) (string, error) {
	if id == "" {
		return "", errors.New("empty document ID")
	}
	var b strings.Builder
	b.Grow(len(id) + 4)
	for i := 0; i < len(id); i++ {
		c := id[i]
		if isKeyByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteString(hex2(c))
	}
	if b.Len() > maxKeyBytes {
		return "", fmt.Errorf("document ID %.40q… is too long for a Meilisearch key once encoded", id)
	}
	return b.String(), nil
}

// decodeKey reverses encodeKey.
func decodeKey(key string) (string, error) {
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c != '_' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(key) {
			return "", fmt.Errorf("malformed key %q", key)
		}
		v, err := strconv.ParseUint(key[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("malformed key %q: %w", key, err)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0x0f]})
}
