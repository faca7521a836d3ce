package model

import (
	"crypto/rand"
	"time"

	"github.com/oklog/ulid/v2"
)

// NewID returns a new ULID as text. IDs sort by creation time, and the 80
// random bits come straight from crypto/rand (no monotonic increment inside a
// millisecond), so an ID seen from outside tells nothing about its neighbours.
func NewID() string {
	return ulid.MustNew(ulid.Timestamp(time.Now()), rand.Reader).String()
}

// ValidID reports whether s has the shape of an ID made by NewID.
func ValidID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}
