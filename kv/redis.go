package kv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis is the shared backend used when COLLECTIF_REDIS_URL is configured:
// every `collectif serve` process behind the load balancer sees the same
// keys, limiter counts and events.
//
// Key layout, so an operator can read `redis-cli --scan`:
//
//	<ns>:<key>       Store keys and sets
//	<ns>#rl:<key>    limiter windows (sorted sets); '#' keeps them out of
//	                 the Store's key space and of DeletePrefix
//	<ns>:<channel>   bus channels (pub/sub names are not keys)
type Redis struct {
	client    *redis.Client
	opts      Options
	keyPrefix string // "<ns>:"
	rlPrefix  string // "<ns>#rl:"
	// opTimeout bounds the calls that wait for something besides one reply
	// (the startup ping, subscription confirmation).
	opTimeout time.Duration

	// hitPrefix+hitSeq make limiter sorted-set members unique across nodes
	// and calls: two hits in the same server microsecond must not collapse
	// into one member, or the limiter would undercount.
	hitPrefix string
	hitSeq    atomic.Uint64

	sadd  *redis.Script
	allow *redis.Script

	mu        sync.Mutex // guards closed and wg.Add against Close
	closed    bool
	closing   chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// NewRedis connects to the Redis at rawURL (redis:// or rediss://, as
// accepted by redis.ParseURL) and pings it once, so a wrong URL fails at
// start-up, within about a second, with an error wrapping ErrUnavailable.
// A URL that does not parse fails without wrapping ErrUnavailable: retrying
// will not help. Error messages never contain the password.
func NewRedis(ctx context.Context, rawURL string, o Options) (*Redis, error) {
	o = o.withDefaults()
	shown := redactURL(rawURL)
	ropt, err := redis.ParseURL(rawURL)
	if err != nil {
		// url.Error repeats the whole URL, password included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("kv: invalid redis URL %s: %w", shown, err)
	}

	// Explicit Options win over URL query parameters, which win over our
	// defaults; go-redis' own defaults (5s) are too long for a request path.
	pick := func(explicit, fromURL time.Duration) time.Duration {
		switch {
		case explicit > 0:
			return explicit
		case fromURL > 0:
			return fromURL
		default:
			return defaultNetTimeout
		}
	}
	ropt.DialTimeout = pick(o.DialTimeout, ropt.DialTimeout)
	ropt.ReadTimeout = pick(o.ReadTimeout, ropt.ReadTimeout)
	ropt.WriteTimeout = pick(o.WriteTimeout, ropt.WriteTimeout)
	if ropt.PoolTimeout <= 0 {
		ropt.PoolTimeout = ropt.ReadTimeout + ropt.WriteTimeout
	}
	if o.PoolSize > 0 {
		ropt.PoolSize = o.PoolSize
	}
	// One dial attempt per command: go-redis' default of 5 attempts with
	// back-off turns an outage into multi-second stalls per request.
	ropt.DialerRetries = 1
	// No command retries: a retry after a read timeout can execute a command
	// twice (a GetDel would then lose the one-time value, a limiter hit would
	// be counted twice). Stale pooled connections are already detected by
	// go-redis' health check when taken from the pool.
	ropt.MaxRetries = -1
	// Honour callers' deadlines as well as the socket timeouts.
	ropt.ContextTimeoutEnabled = true
	// Maintenance notifications are for managed Redis Enterprise endpoints;
	// against plain Redis the handshake probe only adds a round trip and log noise.
	ropt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}

	var seed [8]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read never fails on supported platforms
	r := &Redis{
		client:    redis.NewClient(ropt),
		opts:      o,
		keyPrefix: o.Namespace + ":",
		rlPrefix:  o.Namespace + "#rl:",
		opTimeout: ropt.DialTimeout + ropt.ReadTimeout + ropt.WriteTimeout,
		hitPrefix: hex.EncodeToString(seed[:]) + ":",
		closing:   make(chan struct{}),
		sadd:      redis.NewScript(saddLua),
		allow:     redis.NewScript(allowLua),
	}

	pctx, cancel := context.WithTimeout(ctx, r.opTimeout)
	defer cancel()
	if err := r.client.Ping(pctx).Err(); err != nil {
		_ = r.client.Close()
		return nil, fmt.Errorf("kv: connect to %s: %w", shown, r.wrap(ctx, "ping", err))
	}
	return r, nil
}

// redactURL returns rawURL without its password, for error messages.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Name implements Backend.
func (r *Redis) Name() string { return "redis" }

// Client exposes the underlying go-redis client for diagnostics (INFO,
// metrics hooks). Keys written through it bypass the namespace.
func (r *Redis) Client() *redis.Client { return r.client }

func (r *Redis) key(k string) string { return r.keyPrefix + k }

// wrap turns a go-redis error into this package's vocabulary. Everything that
// is not a server reply (dial failures, timeouts, EOFs, an exhausted pool) is
// a transport problem and wraps ErrUnavailable, as are the server replies
// that mean "not now" (loading, failover, out of memory).
func (r *Redis) wrap(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return ErrNotFound
	case errors.Is(err, redis.ErrClosed):
		return closedErr(op)
	case redis.HasErrorPrefix(err, "WRONGTYPE"):
		return fmt.Errorf("kv: redis %s: %w: %w", op, ErrWrongType, err)
	case errors.Is(ctx.Err(), context.Canceled):
		// The caller gave up (client went away); Redis may be fine.
		return fmt.Errorf("kv: redis %s: %w", op, err)
	case isServerReply(err) && !isTransientReply(err):
		return fmt.Errorf("kv: redis %s: %w", op, err)
	default:
		return fmt.Errorf("kv: redis %s: %w: %w", op, ErrUnavailable, err)
	}
}

func isServerReply(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

func isTransientReply(err error) bool {
	for _, p := range []string{"LOADING", "BUSY", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "OOM", "max number of clients"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := r.client.Get(ctx, r.key(key)).Bytes()
	if err != nil {
		return nil, r.wrap(ctx, "get", err)
	}
	return b, nil
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return r.wrap(ctx, "set", r.client.Set(ctx, r.key(key), value, normTTL(ttl)).Err())
}

// SetNX implements Store.
func (r *Redis) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	ok, err := r.client.SetNX(ctx, r.key(key), value, normTTL(ttl)).Result()
	if err != nil {
		return false, r.wrap(ctx, "setnx", err)
	}
	return ok, nil
}

// GetDel implements Store with GETDEL (Redis >= 6.2), atomic on the server.
func (r *Redis) GetDel(ctx context.Context, key string) ([]byte, error) {
	b, err := r.client.GetDel(ctx, r.key(key)).Bytes()
	if err != nil {
		return nil, r.wrap(ctx, "getdel", err)
	}
	return b, nil
}

// Delete implements Store.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.key(k)
	}
	return r.wrap(ctx, "delete", r.client.Del(ctx, full...).Err())
}

// globEscape quotes the characters SCAN MATCH treats as a pattern, so a
// prefix is matched literally.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// DeletePrefix implements Store with SCAN + UNLINK: incremental, so it never
// blocks Redis like KEYS or FLUSHDB would, and confined to the namespace.
func (r *Redis) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	match := globEscape(r.key(prefix)) + "*"
	var cursor uint64
	total := 0
	for {
		keys, next, err := r.client.Scan(ctx, cursor, match, 1000).Result()
		if err != nil {
			return total, r.wrap(ctx, "scan", err)
		}
		if len(keys) > 0 {
			n, err := r.client.Unlink(ctx, keys...).Result()
			if err != nil {
				return total, r.wrap(ctx, "unlink", err)
			}
			total += int(n)
		}
		if next == 0 {
			return total, nil
		}
		cursor = next
	}
}

// saddLua adds a member and applies the TTL rule of Store.SAdd in one
// round trip, atomically (a plain SADD + PEXPIRE pair could shorten the TTL
// set by a concurrent caller, or leave a set without TTL on a crash between
// the two).
const saddLua = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  if existed == 0 then
    redis.call('PEXPIRE', KEYS[1], ttl)
  else
    local cur = redis.call('PTTL', KEYS[1])
    if cur >= 0 and cur < ttl then
      redis.call('PEXPIRE', KEYS[1], ttl)
    end
  end
end
return 1
`

// SAdd implements Store.
func (r *Redis) SAdd(ctx context.Context, key, member string, ttl time.Duration) error {
	ms := normTTL(ttl).Milliseconds()
	return r.wrap(ctx, "sadd", r.sadd.Run(ctx, r.client, []string{r.key(key)}, member, ms).Err())
}

// SMembers implements Store.
func (r *Redis) SMembers(ctx context.Context, key string) ([]string, error) {
	m, err := r.client.SMembers(ctx, r.key(key)).Result()
	if err != nil {
		return nil, r.wrap(ctx, "smembers", err)
	}
	return m, nil
}

// SRem implements Store.
func (r *Redis) SRem(ctx context.Context, key string, members ...string) error {
	if len(members) == 0 {
		return nil
	}
	args := make([]any, len(members))
	for i, m := range members {
		args[i] = m
	}
	return r.wrap(ctx, "srem", r.client.SRem(ctx, r.key(key), args...).Err())
}

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error {
	return r.wrap(ctx, "ping", r.client.Ping(ctx).Err())
}

// allowLua is the sliding-window log: one sorted set per key whose scores
// are admission times in microseconds of the *server* clock, so nodes with
// skewed clocks still share one exact window. Being a single script, the
// prune-count-add sequence cannot interleave with another node's.
//
// Numbers are formatted with %d because Lua 5.1's tostring uses %.14g, which
// would turn a microsecond timestamp into "1.7e+15" and lose precision.
//
// KEYS[1] window key; ARGV[1] limit, ARGV[2] window (µs), ARGV[3] unique member.
// Returns {allowed (0/1), remaining, retry_after (µs)}.
const allowLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window))
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], string.format('%d', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil(window / 1000)))
  return {1, limit - count - 1, 0}
end
local idx = count - limit
local hit = redis.call('ZRANGE', KEYS[1], idx, idx, 'WITHSCORES')
local retry = tonumber(hit[2]) + window - now
if retry < 1 then retry = 1 end
return {0, 0, retry}
`

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit int, window time.Duration) (Decision, error) {
	if err := checkLimit(limit, window); err != nil {
		return Decision{}, err
	}
	member := r.hitPrefix + strconv.FormatUint(r.hitSeq.Add(1), 36)
	res, err := r.allow.Run(ctx, r.client, []string{r.rlPrefix + key},
		limit, window.Microseconds(), member).Int64Slice()
	if err != nil {
		return Decision{}, r.wrap(ctx, "allow", err)
	}
	if len(res) != 3 {
		return Decision{}, fmt.Errorf("kv: redis allow: unexpected reply %v", res)
	}
	return Decision{
		Allowed:    res[0] == 1,
		Remaining:  int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Microsecond,
	}, nil
}

// Publish implements Bus.
func (r *Redis) Publish(ctx context.Context, channel string, payload []byte) error {
	return r.wrap(ctx, "publish", r.client.Publish(ctx, r.key(channel), payload).Err())
}

// Subscribe implements Bus with Redis pub/sub. go-redis owns the connection:
// it pings it every few seconds and, when Redis goes away and comes back,
// reconnects and resubscribes by itself; messages published in between are
// lost (see Bus).
func (r *Redis) Subscribe(ctx context.Context, channels ...string) (<-chan Message, error) {
	if len(channels) == 0 {
		return nil, errors.New("kv: subscribe: no channel")
	}
	channels = dedupe(channels)
	names := make([]string, len(channels))
	for i, c := range channels {
		names[i] = r.key(c)
	}

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, closedErr("subscribe")
	}
	r.wg.Add(1) // under mu: Close cannot start waiting before this is counted
	r.mu.Unlock()
	ok := false
	defer func() {
		if !ok {
			r.wg.Done()
		}
	}()

	sctx, cancel := context.WithTimeout(ctx, r.opTimeout)
	defer cancel()
	ps := r.client.Subscribe(sctx) // no channel yet: no I/O, so errors surface below
	if err := ps.Subscribe(sctx, names...); err != nil {
		_ = ps.Close()
		return nil, r.wrap(ctx, "subscribe", err)
	}
	in := ps.ChannelWithSubscriptions(redis.WithChannelSize(r.opts.BusBuffer))

	// Wait for Redis to confirm every channel, so the caller can rely on
	// receiving what is published after Subscribe returns. Redis sends the
	// confirmations before any message, but keep any message seen early.
	var early []*redis.Message
	for confirmed := 0; confirmed < len(names); {
		select {
		case m, open := <-in:
			if !open {
				return nil, closedErr("subscribe")
			}
			switch m := m.(type) {
			case *redis.Subscription:
				if m.Kind == "subscribe" {
					confirmed++
				}
			case *redis.Message:
				early = append(early, m)
			}
		case <-r.closing:
			_ = ps.Close()
			return nil, closedErr("subscribe")
		case <-sctx.Done():
			_ = ps.Close()
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil, fmt.Errorf("kv: redis subscribe: %w", ctx.Err())
			}
			return nil, fmt.Errorf("kv: redis subscribe: no confirmation within %s: %w: %w",
				r.opTimeout, ErrUnavailable, sctx.Err())
		}
	}

	out := make(chan Message, r.opts.BusBuffer)
	ok = true
	go func() {
		defer r.wg.Done()
		r.forward(ctx, in, out, early)
		_ = ps.Close()
		close(out)
		// Drain until go-redis closes its channel: its reader goroutine could
		// otherwise sit for a minute on a send to a full buffer nobody reads.
		for range in {
		}
	}()
	return out, nil
}

// forward copies messages from go-redis to the subscriber until ctx ends,
// the backend closes or the subscription dies.
func (r *Redis) forward(ctx context.Context, in <-chan any, out chan<- Message, early []*redis.Message) {
	send := func(m *redis.Message) {
		msg := Message{Channel: strings.TrimPrefix(m.Channel, r.keyPrefix), Payload: []byte(m.Payload)}
		select {
		case out <- msg:
		default: // slow consumer: drop, as the in-process Bus does (see Bus)
		}
	}
	for _, m := range early {
		send(m)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.closing:
			return
		case m, open := <-in:
			if !open {
				return
			}
			if msg, isMsg := m.(*redis.Message); isMsg {
				send(msg)
			}
			// *redis.Subscription after a reconnect: nothing to do.
		}
	}
}

// Close implements Store: ends subscriptions, then closes the pool.
func (r *Redis) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.closing)
		r.wg.Wait()
		r.closeErr = r.client.Close()
	})
	return r.closeErr
}
