package kv

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Callers test them with errors.Is: every error returned by
// this package wraps at most these plus the underlying cause.
var (
	// ErrNotFound: the key is absent or has expired.
	ErrNotFound = errors.New("kv: not found")
	// ErrUnavailable: the backend could not be reached or did not answer in
	// time. The operation may or may not have been applied; see doc.go for
	// what callers should do.
	ErrUnavailable = errors.New("kv: backend unavailable")
	// ErrClosed: the backend was closed by its owner. Errors carrying it also
	// wrap ErrUnavailable, so request handlers racing a shutdown degrade the
	// same way as during an outage.
	ErrClosed = errors.New("kv: backend closed")
	// ErrWrongType: a string operation on a set key or the reverse, a bug in
	// the caller's key naming.
	ErrWrongType = errors.New("kv: wrong type for key")
)

// Store holds short-lived keys. A ttl <= 0 means "no expiry" (Set, SetNX) or
// "leave the expiry alone" (SAdd); every real caller should pass a ttl so that
// forgotten keys disappear by themselves.
type Store interface {
	// Get returns the value of key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key, replacing any previous value and TTL.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// SetNX stores value only if key is absent, and reports whether it did.
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	// GetDel atomically reads and deletes key: of concurrent callers, exactly
	// one gets the value, the others ErrNotFound.
	GetDel(ctx context.Context, key string) ([]byte, error)
	// Delete removes keys; absent keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// DeletePrefix removes every key starting with prefix (SCAN on Redis,
	// never FLUSHDB) and returns how many were removed. It is not atomic
	// with respect to keys written while it runs.
	DeletePrefix(ctx context.Context, prefix string) (int, error)

	// SAdd adds member to the set at key. A ttl > 0 gives a new set that TTL
	// and extends, never shortens, the TTL of an existing one, so an index
	// such as "sessions of an account" lives as long as its newest member.
	SAdd(ctx context.Context, key, member string, ttl time.Duration) error
	// SMembers returns the members of the set at key, in no particular
	// order; an absent set is empty, not an error.
	SMembers(ctx context.Context, key string) ([]string, error)
	// SRem removes members from the set at key; the set disappears when it
	// becomes empty.
	SRem(ctx context.Context, key string, members ...string) error

	// Ping checks that the backend answers (readiness probes).
	Ping(ctx context.Context) error
	// Close releases connections and background goroutines and closes the
	// channels of live subscriptions.
	Close() error
}

// Decision is the outcome of one Limiter.Allow call.
type Decision struct {
	// Allowed: the event was counted and may proceed.
	Allowed bool
	// Remaining is how many more events the window admits right now.
	Remaining int
	// RetryAfter is, when refused, the wait until one more event will be
	// admitted (> 0); zero when allowed. Suitable for a Retry-After header
	// once rounded up to whole seconds.
	RetryAfter time.Duration
}

// Limiter is a sliding-window rate limiter: at most limit events are allowed
// for key in any interval of length window. It is exact: with Redis the
// check-and-count is one Lua script using the server's clock, so concurrent
// callers on several nodes share one count and never overshoot.
//
// A key costs memory for each event it admitted within the last window (at
// most limit entries), so it suits per-client limits up to a few thousand
// events per window; idle keys expire after one window.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (Decision, error)
}

// Message is one event received from a Bus.
type Message struct {
	Channel string // as passed to Publish, without the namespace
	Payload []byte
}

// Bus carries cross-node events. Delivery is at most once and best effort:
// nothing is stored, a node that is disconnected misses what is published
// meanwhile, and a subscriber that does not drain its channel loses messages
// once its buffer (Options.BusBuffer) is full rather than stall publishers.
// Events are therefore hints (invalidate, refresh), never the only copy of
// anything.
type Bus interface {
	// Publish sends payload to every current subscriber of channel, on every
	// node sharing the backend.
	Publish(ctx context.Context, channel string, payload []byte) error
	// Subscribe returns once the subscription is active, so a message
	// published after it returns is delivered. The channel is closed when ctx
	// ends or the backend is closed.
	Subscribe(ctx context.Context, channels ...string) (<-chan Message, error)
}

// Backend is what the hub holds: one value that is at once Store, Limiter and
// Bus.
type Backend interface {
	Store
	Limiter
	Bus
	// Name is "redis" or "memory", for logs and health endpoints.
	Name() string
}

// Options tunes both implementations; the zero value is usable.
type Options struct {
	// Namespace prefixes every Redis key and bus channel, so several hubs or
	// test runs can share one Redis. Default "collectif". The in-process
	// backend is private to its process and needs none.
	Namespace string

	// DialTimeout, ReadTimeout and WriteTimeout bound each Redis network
	// step (defaults 500ms each, unless the URL sets dial_timeout etc.).
	// They are short on purpose: a hub waiting on a dead Redis for seconds
	// is worse than one that degrades at once.
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// PoolSize is the Redis connection pool size (go-redis default when 0).
	PoolSize int

	// SweepInterval is how often the in-process backend drops expired keys
	// and idle limiter windows (default 30s), which bounds its memory.
	SweepInterval time.Duration

	// BusBuffer is the per-subscription channel buffer (default 256).
	BusBuffer int
}

const (
	defaultNamespace     = "collectif"
	defaultNetTimeout    = 500 * time.Millisecond
	defaultSweepInterval = 30 * time.Second
	defaultBusBuffer     = 256
)

func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = defaultSweepInterval
	}
	if o.BusBuffer <= 0 {
		o.BusBuffer = defaultBusBuffer
	}
	return o
}

// Compile-time proof that both implementations are complete backends.
var (
	_ Backend = (*Memory)(nil)
	_ Backend = (*Redis)(nil)
)

// checkLimit rejects arguments that can only come from a programming error,
// identically for both backends.
func checkLimit(limit int, window time.Duration) error {
	if limit <= 0 {
		return fmt.Errorf("kv: rate limit must be > 0, got %d", limit)
	}
	if window < time.Microsecond {
		return fmt.Errorf("kv: rate window must be >= 1µs, got %s", window)
	}
	return nil
}

// normTTL maps a TTL to what both backends store: <= 0 means none, and a
// positive TTL below Redis' 1ms PX resolution is rounded up rather than
// silently becoming "no expiry".
func normTTL(ttl time.Duration) time.Duration {
	switch {
	case ttl <= 0:
		return 0
	case ttl < time.Millisecond:
		return time.Millisecond
	default:
		return ttl
	}
}

func closedErr(op string) error {
	return fmt.Errorf("kv: %s: %w: %w", op, ErrClosed, ErrUnavailable)
}

// dedupe returns channels without repeats, keeping order, so a channel named
// twice is delivered once (as Redis does).
func dedupe(channels []string) []string {
	seen := make(map[string]struct{}, len(channels))
	out := make([]string, 0, len(channels))
	for _, c := range channels {
		if _, ok := seen[c]; ok {
			continue
		}
		seen[c] = struct{}{}
		out = append(out, c)
	}
	return out
}
