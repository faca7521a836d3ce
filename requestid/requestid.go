// Package requestid carries the ID of the request that caused some work in a
// context, so that logs of the request and of the jobs it enqueued can be
// joined. It imports only the standard library.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/base32"
)

type key struct{}

// New returns a fresh random ID (16 characters).
func New() string {
	var b [10]byte
	rand.Read(b[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, key{}, id)
}

// From returns the ID in ctx, or "".
func From(ctx context.Context) string {
	s, _ := ctx.Value(key{}).(string)
	return s
}
