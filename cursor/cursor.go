// Package cursor encodes the position of a page in a list ordered by time
// then ID (keyset pagination): stable when rows are added, cheap on large
// tables, and opaque to clients, which send back the "next" value they got.
//
// It imports fault/ only.
package cursor

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"collectif/fault"
)

// Key is the last row of a page: the next page starts after it.
type Key struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// Encode returns the opaque text of k.
func Encode(k Key) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor sent by a client; "" is the first page (zero Key).
// A malformed cursor is a fault naming the field "cursor".
func Decode(s string) (Key, error) {
	var k Key
	if s == "" {
		return k, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 200 || json.Unmarshal(b, &k) != nil || k.ID == "" || k.At.IsZero() {
		return Key{}, fault.Field("cursor", "curseur de pagination invalide : reprenez la valeur « next » d'une réponse précédente")
	}
	return k, nil
}

// Limit returns n bounded to [1, max], def when n <= 0.
func Limit(n, def, max int) int {
	switch {
	case n <= 0:
		return def
	case n > max:
		return max
	}
	return n
}
