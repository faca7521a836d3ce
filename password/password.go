// Package password hashes and checks local account passwords with argon2id
// (RFC 9106), stored as PHC strings so that the parameters can be raised
// later: a hash made with weaker ones is reported for re-hashing at the next
// successful login.
//
// It imports only the standard library and golang.org/x/crypto.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// Default follows OWASP's password storage advice for argon2id (46 MiB,
// one pass, one lane): about 50 ms on a small server core, and the memory
// cost is what makes guessing on GPUs expensive.
var Default = Params{Memory: 46 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits on what a person may choose.
const (
	MinLength = 12  // ANSSI's advice for a password alone
	MaxLength = 256 // hashing longer input is a denial-of-service lever
)

// ErrTooShort and ErrTooLong are returned by Check.
var (
	ErrTooShort = fmt.Errorf("le mot de passe doit compter au moins %d caractères", MinLength)
	ErrTooLong  = fmt.Errorf("le mot de passe ne peut dépasser %d caractères", MaxLength)
)

// ErrMalformed is returned for a stored hash that is not an argon2id PHC string.
var ErrMalformed = errors.New("password: malformed hash")

// Check returns an error when pw may not be used as a password.
func Check(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return ErrTooShort
	case len(pw) > MaxLength:
		return ErrTooLong
	}
	return nil
}

// Hash hashes pw with p and a random salt.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Decoy returns a well-formed hash with p's parameters that no password
// matches (its salt and key are random), made without running argon2:
// verifying a password against it costs as much as against a real hash.
// It serves logins for unknown accounts, so that timing does not tell which
// accounts exist, without a hash computed (and its memory taken) at start.
func Decoy(p Params) (string, error) {
	buf := make([]byte, p.SaltLen+p.KeyLen)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(buf[:p.SaltLen]), b64.EncodeToString(buf[p.SaltLen:])), nil
}

// Verify reports whether pw matches encoded, and whether encoded was made
// with parameters other than want (then the caller should store a new hash).
func Verify(pw, encoded string, want Params) (ok, rehash bool, err error) {
	if len(pw) > MaxLength {
		return false, false, nil
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, false, ErrMalformed
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, false, ErrMalformed
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) == 0 || p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 1<<22 {
		return false, false, ErrMalformed
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	rehash = p.Memory != want.Memory || p.Time != want.Time || p.Threads != want.Threads ||
		uint32(len(salt)) != want.SaltLen || uint32(len(key)) != want.KeyLen
	return true, rehash, nil
}
