package kv

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the in-process backend used when no Redis is configured: one
// `collectif serve` process, or tests. It mirrors the Redis backend's
// semantics (TTL, types, set TTL rules, limiter, namespace-free bus) so code
// tested against it behaves the same in production. Its state is lost on
// restart and not shared between processes.
type Memory struct {
	opts Options

	mu    sync.Mutex // guards items
	items map[string]*memItem

	lmu    sync.Mutex // guards limits; separate so rate limiting never waits on the store
	limits map[string]*memWindow

	bmu  sync.RWMutex // guards subs; Publish takes it shared
	subs map[string]map[*memSub]struct{}

	closed    atomic.Bool
	closing   chan struct{} // closed by Close: stops the sweeper and subscriptions
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// memItem is either a string value (set == nil) or a set, like a Redis key.
type memItem struct {
	val []byte
	set map[string]struct{}
	exp time.Time // zero: no expiry
}

func (it *memItem) expired(now time.Time) bool {
	return !it.exp.IsZero() && !now.Before(it.exp)
}

// memWindow is the sliding-window log of one limiter key: admission times,
// oldest first, never more than the largest limit used for the key.
type memWindow struct {
	hits   []time.Time
	expire time.Time // newest hit + window: after it the log is empty
}

type memSub struct {
	ch chan Message
}

// NewMemory returns an in-process backend. Close it to stop its sweeper.
func NewMemory(o Options) *Memory {
	o = o.withDefaults()
	m := &Memory{
		opts:    o,
		items:   make(map[string]*memItem),
		limits:  make(map[string]*memWindow),
		subs:    make(map[string]map[*memSub]struct{}),
		closing: make(chan struct{}),
	}
	m.wg.Add(1)
	go m.sweepLoop()
	return m
}

// Name implements Backend.
func (m *Memory) Name() string { return "memory" }

// sweepLoop drops expired keys and idle limiter windows periodically: lazy
// expiry on access alone would keep keys that are never read again (most
// rate-limit keys: one per client IP) forever.
func (m *Memory) sweepLoop() {
	defer m.wg.Done()
	t := time.NewTicker(m.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-m.closing:
			return
		case now := <-t.C:
			m.sweep(now)
		}
	}
}

func (m *Memory) sweep(now time.Time) {
	m.mu.Lock()
	for k, it := range m.items {
		if it.expired(now) {
			delete(m.items, k)
		}
	}
	m.mu.Unlock()

	m.lmu.Lock()
	for k, w := range m.limits {
		if !now.Before(w.expire) {
			delete(m.limits, k)
		}
	}
	m.lmu.Unlock()
}

// live returns the unexpired item at key, deleting it if expired. m.mu held.
func (m *Memory) live(key string, now time.Time) *memItem {
	it, ok := m.items[key]
	if !ok {
		return nil
	}
	if it.expired(now) {
		delete(m.items, key)
		return nil
	}
	return it
}

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl = normTTL(ttl); ttl == 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

func clone(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return append([]byte(nil), b...)
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	if m.closed.Load() {
		return nil, closedErr("get")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.live(key, time.Now())
	if it == nil {
		return nil, ErrNotFound
	}
	if it.set != nil {
		return nil, ErrWrongType
	}
	// A copy, so a caller mutating the result cannot corrupt the stored value.
	return clone(it.val), nil
}

// Set implements Store.
func (m *Memory) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if m.closed.Load() {
		return closedErr("set")
	}
	now := time.Now()
	it := &memItem{val: clone(value), exp: expiry(now, ttl)}
	m.mu.Lock()
	m.items[key] = it
	m.mu.Unlock()
	return nil
}

// SetNX implements Store.
func (m *Memory) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if m.closed.Load() {
		return false, closedErr("setnx")
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live(key, now) != nil {
		return false, nil
	}
	m.items[key] = &memItem{val: clone(value), exp: expiry(now, ttl)}
	return true, nil
}

// GetDel implements Store.
func (m *Memory) GetDel(ctx context.Context, key string) ([]byte, error) {
	if m.closed.Load() {
		return nil, closedErr("getdel")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.live(key, time.Now())
	if it == nil {
		return nil, ErrNotFound
	}
	if it.set != nil {
		return nil, ErrWrongType
	}
	delete(m.items, key)
	return it.val, nil // removed from the map: no copy needed
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, keys ...string) error {
	if m.closed.Load() {
		return closedErr("delete")
	}
	m.mu.Lock()
	for _, k := range keys {
		delete(m.items, k)
	}
	m.mu.Unlock()
	return nil
}

// DeletePrefix implements Store.
func (m *Memory) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	if m.closed.Load() {
		return 0, closedErr("delete prefix")
	}
	now := time.Now()
	n := 0
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, it := range m.items {
		if strings.HasPrefix(k, prefix) {
			if !it.expired(now) {
				n++ // count like Redis, which never sees expired keys
			}
			delete(m.items, k)
		}
	}
	return n, nil
}

// SAdd implements Store.
func (m *Memory) SAdd(ctx context.Context, key, member string, ttl time.Duration) error {
	if m.closed.Load() {
		return closedErr("sadd")
	}
	now := time.Now()
	ttl = normTTL(ttl)
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.live(key, now)
	if it == nil {
		it = &memItem{set: make(map[string]struct{}), exp: expiry(now, ttl)}
		m.items[key] = it
	} else if it.set == nil {
		return ErrWrongType
	} else if ttl > 0 && !it.exp.IsZero() && it.exp.Before(now.Add(ttl)) {
		it.exp = now.Add(ttl)
	}
	it.set[member] = struct{}{}
	return nil
}

// SMembers implements Store.
func (m *Memory) SMembers(ctx context.Context, key string) ([]string, error) {
	if m.closed.Load() {
		return nil, closedErr("smembers")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.live(key, time.Now())
	if it == nil {
		return []string{}, nil
	}
	if it.set == nil {
		return nil, ErrWrongType
	}
	out := make([]string, 0, len(it.set))
	for s := range it.set {
		out = append(out, s)
	}
	return out, nil
}

// SRem implements Store.
func (m *Memory) SRem(ctx context.Context, key string, members ...string) error {
	if m.closed.Load() {
		return closedErr("srem")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.live(key, time.Now())
	if it == nil {
		return nil
	}
	if it.set == nil {
		return ErrWrongType
	}
	for _, s := range members {
		delete(it.set, s)
	}
	if len(it.set) == 0 {
		delete(m.items, key) // as Redis: an empty set does not exist
	}
	return nil
}

// Ping implements Store.
func (m *Memory) Ping(ctx context.Context) error {
	if m.closed.Load() {
		return closedErr("ping")
	}
	return nil
}

// Allow implements Limiter with a sliding-window log, the same algorithm as
// the Redis script.
func (m *Memory) Allow(ctx context.Context, key string, limit int, window time.Duration) (Decision, error) {
	if err := checkLimit(limit, window); err != nil {
		return Decision{}, err
	}
	if m.closed.Load() {
		return Decision{}, closedErr("allow")
	}
	now := time.Now()
	m.lmu.Lock()
	defer m.lmu.Unlock()
	w := m.limits[key]
	if w == nil {
		w = &memWindow{}
		m.limits[key] = w
	}
	// Drop hits that left the window: a hit at t counts while t > now-window.
	cut := now.Add(-window)
	i := 0
	for i < len(w.hits) && !w.hits[i].After(cut) {
		i++
	}
	if i > 0 {
		// Shift in place rather than reslice so the backing array does not
		// creep forward and get reallocated on every refill.
		n := copy(w.hits, w.hits[i:])
		w.hits = w.hits[:n]
	}
	count := len(w.hits)
	if count < limit {
		w.hits = append(w.hits, now)
		w.expire = now.Add(window)
		return Decision{Allowed: true, Remaining: limit - count - 1}, nil
	}
	// Refused: one more event fits once enough of the oldest hits leave the
	// window for the count to drop below limit (count may exceed limit if a
	// smaller limit is now used for the same key).
	retry := w.hits[count-limit].Add(window).Sub(now)
	if retry <= 0 {
		retry = time.Nanosecond
	}
	return Decision{Allowed: false, Remaining: 0, RetryAfter: retry}, nil
}

// Publish implements Bus: fan-out to this process's subscribers.
func (m *Memory) Publish(ctx context.Context, channel string, payload []byte) error {
	if m.closed.Load() {
		return closedErr("publish")
	}
	m.bmu.RLock()
	defer m.bmu.RUnlock()
	for s := range m.subs[channel] {
		// Each subscriber gets its own copy, as with Redis, so one consumer
		// mutating a payload cannot affect another.
		msg := Message{Channel: channel, Payload: clone(payload)}
		select {
		case s.ch <- msg:
		default: // full buffer: drop (documented on Bus) rather than block the publisher
		}
	}
	return nil
}

// Subscribe implements Bus.
func (m *Memory) Subscribe(ctx context.Context, channels ...string) (<-chan Message, error) {
	if len(channels) == 0 {
		return nil, errors.New("kv: subscribe: no channel")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	channels = dedupe(channels)
	s := &memSub{ch: make(chan Message, m.opts.BusBuffer)}

	m.bmu.Lock()
	// Checked under the lock so Close, which takes it too, cannot miss us.
	if m.closed.Load() {
		m.bmu.Unlock()
		return nil, closedErr("subscribe")
	}
	for _, c := range channels {
		if m.subs[c] == nil {
			m.subs[c] = make(map[*memSub]struct{})
		}
		m.subs[c][s] = struct{}{}
	}
	m.wg.Add(1)
	m.bmu.Unlock()

	go func() {
		defer m.wg.Done()
		select {
		case <-ctx.Done():
		case <-m.closing:
		}
		// Closing under the write lock: no Publish (read lock) can be sending.
		m.bmu.Lock()
		for _, c := range channels {
			delete(m.subs[c], s)
			if len(m.subs[c]) == 0 {
				delete(m.subs, c)
			}
		}
		close(s.ch)
		m.bmu.Unlock()
	}()
	return s.ch, nil
}

// Close implements Store: stops the sweeper and closes subscriptions. Later
// calls fail with ErrClosed.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() {
		m.bmu.Lock()
		m.closed.Store(true)
		m.bmu.Unlock()
		close(m.closing)
	})
	m.wg.Wait()
	return nil
}
