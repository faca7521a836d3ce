package kv

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
)

// fiberOpTimeout bounds each call made through the Fiber adapter: Fiber's
// Storage interface carries no context, and a middleware must not hold a
// request forever. The backends' own network timeouts are shorter still.
const fiberOpTimeout = 2 * time.Second

// defaultFiberPrefix is used when FiberStorage gets an empty prefix, so that
// Fiber's Reset can never wipe the whole namespace.
const defaultFiberPrefix = "fiber:"

// FiberStorage adapts s to fiber.Storage so Fiber's session, limiter, cache
// and idempotency middlewares can share the hub's backend. Keys are stored
// as prefix+key inside s's namespace (an empty prefix becomes "fiber:");
// give each middleware its own prefix, e.g. "sess:" and "rl:".
//
// Close is a no-op: the adapter is only a view, the backend belongs to
// whoever created it and is closed by them.
func FiberStorage(s Store, prefix string) fiber.Storage {
	if prefix == "" {
		prefix = defaultFiberPrefix
	}
	return &fiberStorage{s: s, prefix: prefix}
}

type fiberStorage struct {
	s      Store
	prefix string
}

func fiberCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), fiberOpTimeout)
}

// Get returns nil, nil when the key does not exist, as Fiber expects.
func (f *fiberStorage) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	ctx, cancel := fiberCtx()
	defer cancel()
	b, err := f.s.Get(ctx, f.prefix+key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return b, err
}

// Set stores val with expiration exp (0: none). Empty keys or values are
// ignored without an error, per the fiber.Storage contract.
func (f *fiberStorage) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	ctx, cancel := fiberCtx()
	defer cancel()
	return f.s.Set(ctx, f.prefix+key, val, exp)
}

// Delete removes key; a missing key is not an error.
func (f *fiberStorage) Delete(key string) error {
	if key == "" {
		return nil
	}
	ctx, cancel := fiberCtx()
	defer cancel()
	return f.s.Delete(ctx, f.prefix+key)
}

// Reset deletes only the keys under this adapter's prefix (SCAN on Redis,
// never FLUSHDB, which would take the other hubs' data with it).
func (f *fiberStorage) Reset() error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*fiberOpTimeout)
	defer cancel()
	_, err := f.s.DeletePrefix(ctx, f.prefix)
	return err
}

// Close does nothing: see FiberStorage.
func (f *fiberStorage) Close() error { return nil }
