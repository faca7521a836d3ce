package kv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGetSetTTL(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		if _, err := b.Get(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get missing: %v, want ErrNotFound", err)
		}
		if err := b.Set(ctx, "short", []byte("v1"), 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := b.Set(ctx, "forever", []byte("v2"), 0); err != nil {
			t.Fatal(err)
		}
		// Overwriting replaces the TTL too: "reset" first lives 100ms, then forever.
		if err := b.Set(ctx, "reset", []byte("a"), 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := b.Set(ctx, "reset", []byte("b"), time.Hour); err != nil {
			t.Fatal(err)
		}
		got, err := b.Get(ctx, "short")
		if err != nil || string(got) != "v1" {
			t.Fatalf("Get short: %q, %v", got, err)
		}
		// The returned slice is the caller's: mutating it must not change the store.
		got[0] = 'X'
		if again, _ := b.Get(ctx, "short"); string(again) != "v1" {
			t.Fatalf("stored value changed through returned slice: %q", again)
		}

		time.Sleep(150 * time.Millisecond)
		if _, err := b.Get(ctx, "short"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after TTL: %v, want ErrNotFound", err)
		}
		if v, err := b.Get(ctx, "forever"); err != nil || string(v) != "v2" {
			t.Fatalf("Get forever: %q, %v", v, err)
		}
		if v, err := b.Get(ctx, "reset"); err != nil || string(v) != "b" {
			t.Fatalf("Get reset: %q, %v", v, err)
		}
		// Empty values are values, not absence.
		if err := b.Set(ctx, "empty", nil, time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, err := b.Get(ctx, "empty"); err != nil || len(v) != 0 {
			t.Fatalf("Get empty: %q, %v", v, err)
		}
	})
}

func TestSetNX(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		ok, err := b.SetNX(ctx, "idem", []byte("first"), 80*time.Millisecond)
		if err != nil || !ok {
			t.Fatalf("first SetNX: %v, %v", ok, err)
		}
		ok, err = b.SetNX(ctx, "idem", []byte("second"), time.Minute)
		if err != nil || ok {
			t.Fatalf("second SetNX: %v, %v (want false)", ok, err)
		}
		if v, _ := b.Get(ctx, "idem"); string(v) != "first" {
			t.Fatalf("value after refused SetNX: %q", v)
		}
		time.Sleep(120 * time.Millisecond)
		// An expired key counts as absent.
		ok, err = b.SetNX(ctx, "idem", []byte("third"), time.Minute)
		if err != nil || !ok {
			t.Fatalf("SetNX after expiry: %v, %v", ok, err)
		}

		// Concurrent SetNX: exactly one winner.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := b.SetNX(ctx, "race", []byte("x"), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("concurrent SetNX winners = %d, want 1", n)
		}
	})
}

func TestGetDelOneShot(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		for round := 0; round < 3; round++ {
			key := fmt.Sprintf("oidc-pending-%d", round)
			want := []byte("state+nonce+verifier")
			if err := b.Set(ctx, key, want, time.Minute); err != nil {
				t.Fatal(err)
			}
			var winners, misses atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < 100; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					v, err := b.GetDel(ctx, key)
					switch {
					case err == nil:
						if !bytes.Equal(v, want) {
							t.Errorf("winner got %q", v)
						}
						winners.Add(1)
					case errors.Is(err, ErrNotFound):
						misses.Add(1)
					default:
						t.Errorf("GetDel: %v", err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if winners.Load() != 1 || misses.Load() != 99 {
				t.Fatalf("round %d: winners=%d misses=%d, want 1/99", round, winners.Load(), misses.Load())
			}
			if _, err := b.Get(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("key still there after GetDel: %v", err)
			}
		}
		// Expired one-time values are gone too.
		if err := b.Set(ctx, "late", []byte("x"), 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(80 * time.Millisecond)
		if _, err := b.GetDel(ctx, "late"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetDel expired: %v", err)
		}
	})
}

func TestDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		for _, k := range []string{"a", "b", "c"} {
			if err := b.Set(ctx, k, []byte(k), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Delete(ctx, "a", "b", "absent"); err != nil {
			t.Fatal(err)
		}
		if err := b.Delete(ctx); err != nil {
			t.Fatalf("Delete without keys: %v", err)
		}
		for _, k := range []string{"a", "b"} {
			if _, err := b.Get(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s after Delete: %v", k, err)
			}
		}
		if _, err := b.Get(ctx, "c"); err != nil {
			t.Fatalf("c deleted by mistake: %v", err)
		}
	})
}

func TestDeletePrefix(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		// Glob characters in the prefix must be taken literally.
		in := []string{"se*s:1", "se*s:2", "se*s:3"}
		out := []string{"sexs:1", "se?s:1", "other"}
		for _, k := range append(slices.Clone(in), out...) {
			if err := b.Set(ctx, k, []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.SAdd(ctx, "se*s:set", "m", time.Minute); err != nil {
			t.Fatal(err)
		}
		n, err := b.DeletePrefix(ctx, "se*s:")
		if err != nil || n != 4 {
			t.Fatalf("DeletePrefix = %d, %v; want 4", n, err)
		}
		for _, k := range in {
			if _, err := b.Get(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s survived DeletePrefix: %v", k, err)
			}
		}
		for _, k := range out {
			if _, err := b.Get(ctx, k); err != nil {
				t.Fatalf("%s deleted by DeletePrefix: %v", k, err)
			}
		}
	})
}

func TestSets(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		members := func(key string) []string {
			t.Helper()
			m, err := b.SMembers(ctx, key)
			if err != nil {
				t.Fatalf("SMembers %s: %v", key, err)
			}
			slices.Sort(m)
			return m
		}
		if m := members("account:1:sessions"); len(m) != 0 {
			t.Fatalf("absent set: %v", m)
		}
		for _, s := range []string{"s1", "s2", "s3", "s2"} {
			if err := b.SAdd(ctx, "account:1:sessions", s, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if m := members("account:1:sessions"); !slices.Equal(m, []string{"s1", "s2", "s3"}) {
			t.Fatalf("members = %v", m)
		}
		if err := b.SRem(ctx, "account:1:sessions", "s2", "absent"); err != nil {
			t.Fatal(err)
		}
		if m := members("account:1:sessions"); !slices.Equal(m, []string{"s1", "s3"}) {
			t.Fatalf("members after SRem = %v", m)
		}
		if err := b.SRem(ctx, "account:1:sessions", "s1", "s3"); err != nil {
			t.Fatal(err)
		}
		if m := members("account:1:sessions"); len(m) != 0 {
			t.Fatalf("members after removing all = %v", m)
		}
		if err := b.SRem(ctx, "never-existed", "x"); err != nil {
			t.Fatalf("SRem on absent set: %v", err)
		}

		// TTL rule: a new set takes the TTL, a longer one extends it, a
		// shorter one never shortens it.
		steps := []struct {
			key, member string
			ttl         time.Duration
		}{
			{"expires", "a", 80 * time.Millisecond},
			{"extended", "a", 80 * time.Millisecond},
			{"extended", "b", time.Minute},
			{"not-shortened", "a", time.Minute},
			{"not-shortened", "b", 30 * time.Millisecond},
		}
		for _, s := range steps {
			if err := b.SAdd(ctx, s.key, s.member, s.ttl); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(130 * time.Millisecond)
		if m := members("expires"); len(m) != 0 {
			t.Fatalf("expired set still has %v", m)
		}
		if m := members("extended"); !slices.Equal(m, []string{"a", "b"}) {
			t.Fatalf("extended set = %v", m)
		}
		if m := members("not-shortened"); !slices.Equal(m, []string{"a", "b"}) {
			t.Fatalf("not-shortened set = %v", m)
		}
	})
}

func TestWrongType(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		if err := b.SAdd(ctx, "set", "m", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := b.Set(ctx, "str", []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "set"); !errors.Is(err, ErrWrongType) {
			t.Errorf("Get on set: %v", err)
		}
		if _, err := b.GetDel(ctx, "set"); !errors.Is(err, ErrWrongType) {
			t.Errorf("GetDel on set: %v", err)
		}
		if err := b.SAdd(ctx, "str", "m", time.Minute); !errors.Is(err, ErrWrongType) {
			t.Errorf("SAdd on string: %v", err)
		}
		if _, err := b.SMembers(ctx, "str"); !errors.Is(err, ErrWrongType) {
			t.Errorf("SMembers on string: %v", err)
		}
		if err := b.SRem(ctx, "str", "m"); !errors.Is(err, ErrWrongType) {
			t.Errorf("SRem on string: %v", err)
		}
		// Set replaces whatever was there, as in Redis; SetNX sees a set as present.
		if ok, err := b.SetNX(ctx, "set", []byte("v"), time.Minute); err != nil || ok {
			t.Errorf("SetNX on set: %v, %v", ok, err)
		}
		if err := b.Set(ctx, "set", []byte("v"), time.Minute); err != nil {
			t.Errorf("Set over set: %v", err)
		}
	})
}

func TestLimiterExactUnderConcurrency(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		const calls, limit = 200, 50
		var allowed atomic.Int32
		remaining := make(chan int, calls)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < calls; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				d, err := b.Allow(ctx, "login:203.0.113.7", limit, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
					remaining <- d.Remaining
					if d.RetryAfter != 0 {
						t.Errorf("allowed with RetryAfter %s", d.RetryAfter)
					}
				} else if d.RetryAfter <= 0 || d.RetryAfter > time.Minute || d.Remaining != 0 {
					t.Errorf("refused decision %+v", d)
				}
			}()
		}
		close(start)
		wg.Wait()
		close(remaining)
		if n := allowed.Load(); n != limit {
			t.Fatalf("allowed %d of %d, want exactly %d", n, calls, limit)
		}
		// Each admission saw a distinct count: Remaining is a permutation of 0..limit-1.
		var rs []int
		for r := range remaining {
			rs = append(rs, r)
		}
		slices.Sort(rs)
		for i, r := range rs {
			if r != i {
				t.Fatalf("Remaining values %v, want 0..%d", rs, limit-1)
			}
		}
		// Keys are independent.
		if d, err := b.Allow(ctx, "login:198.51.100.1", limit, time.Minute); err != nil || !d.Allowed || d.Remaining != limit-1 {
			t.Fatalf("other key: %+v, %v", d, err)
		}
	})
}

func TestLimiterSharedAcrossNodes(t *testing.T) {
	nodes := redisNodes(t, 2)
	ctx := ctxT(t)
	const perNode, limit = 100, 50
	var allowed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, n := range nodes {
		for i := 0; i < perNode; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				d, err := n.Allow(ctx, "api:token-42", limit, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if n := allowed.Load(); n != limit {
		t.Fatalf("two nodes allowed %d, want exactly %d", n, limit)
	}
}

func TestLimiterRetryAfterAndSliding(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		// Hits at t0 and t0+gap; margins of about window-gap absorb scheduling delays.
		const window, gap = 400 * time.Millisecond, 150 * time.Millisecond
		allow := func() Decision {
			t.Helper()
			d, err := b.Allow(ctx, "k", 2, window)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		t0 := time.Now()
		if d := allow(); !d.Allowed || d.Remaining != 1 {
			t.Fatalf("1st: %+v", d)
		}
		time.Sleep(gap)
		if d := allow(); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("2nd: %+v", d)
		}
		d := allow()
		if d.Allowed {
			t.Fatalf("3rd allowed: %+v", d)
		}
		// The first hit leaves the window at t0+window: that is the real wait.
		if d.RetryAfter <= 0 || d.RetryAfter > window-gap || d.RetryAfter < window-time.Since(t0)-20*time.Millisecond {
			t.Fatalf("RetryAfter = %s, want about %s", d.RetryAfter, window-time.Since(t0))
		}
		time.Sleep(d.RetryAfter + 15*time.Millisecond)
		// Sliding, not fixed: exactly one slot freed (the 2nd hit is still in the window).
		if d := allow(); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("after RetryAfter: %+v", d)
		}
		if d := allow(); d.Allowed || d.RetryAfter <= 0 {
			t.Fatalf("window not sliding: %+v", d)
		}
		// Lowering the limit for a key with more hits waits for enough of them to leave.
		d, err := b.Allow(ctx, "k", 1, window)
		if err != nil || d.Allowed || d.RetryAfter <= 0 {
			t.Fatalf("lower limit: %+v, %v", d, err)
		}
	})
}

func TestLimiterInvalidArgs(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		if _, err := b.Allow(ctx, "k", 0, time.Second); err == nil {
			t.Error("limit 0 accepted")
		}
		if _, err := b.Allow(ctx, "k", 1, 0); err == nil {
			t.Error("window 0 accepted")
		}
	})
}

// recv waits for one message, failing after a bounded delay.
func recv(t *testing.T, ch <-chan Message) Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return m
	case <-time.After(2 * time.Second):
		t.Fatal("no message within 2s")
	}
	return Message{}
}

func expectClosed(t *testing.T, ch <-chan Message) {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("subscription channel not closed within 2s")
		}
	}
}

func TestBus(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		subCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		ch, err := b.Subscribe(subCtx, "cache.invalidate", "notify", "notify")
		if err != nil {
			t.Fatal(err)
		}
		other, err := b.Subscribe(ctx, "notify")
		if err != nil {
			t.Fatal(err)
		}
		payload := []byte(`{"collective":42}`)
		if err := b.Publish(ctx, "cache.invalidate", payload); err != nil {
			t.Fatal(err)
		}
		payload[0] = 'X' // the publisher may reuse its buffer
		if err := b.Publish(ctx, "unrelated", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(ctx, "notify", []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, ch); m.Channel != "cache.invalidate" || string(m.Payload) != `{"collective":42}` {
			t.Fatalf("got %+v", m)
		}
		// "notify" was named twice but is delivered once.
		if m := recv(t, ch); m.Channel != "notify" || string(m.Payload) != "hello" {
			t.Fatalf("got %+v", m)
		}
		if m := recv(t, other); m.Channel != "notify" || string(m.Payload) != "hello" {
			t.Fatalf("second subscriber got %+v", m)
		}
		select {
		case m := <-ch:
			t.Fatalf("unexpected message %+v", m)
		case <-time.After(50 * time.Millisecond):
		}

		cancel()
		expectClosed(t, ch)
		if _, err := b.Subscribe(ctx); err == nil {
			t.Error("Subscribe without channel accepted")
		}
		// Close ends the remaining subscriptions.
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		expectClosed(t, other)
	})
}

func TestBusAcrossNodes(t *testing.T) {
	nodes := redisNodes(t, 2)
	stranger := redisNode(t) // same Redis, another namespace: must hear nothing
	ctx := ctxT(t)
	a, b := nodes[0], nodes[1]
	ch, err := a.Subscribe(ctx, "collective.updated")
	if err != nil {
		t.Fatal(err)
	}
	sch, err := stranger.Subscribe(ctx, "collective.updated")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := b.Publish(ctx, "collective.updated", fmt.Appendf(nil, "id=%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		if m := recv(t, ch); string(m.Payload) != fmt.Sprintf("id=%d", i) || m.Channel != "collective.updated" {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	select {
	case m := <-sch:
		t.Fatalf("other namespace received %+v", m)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestClosedBackend(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		ctx := ctxT(t)
		_, err := b.Get(ctx, "k")
		if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Get after Close: %v", err)
		}
		if _, err := b.Allow(ctx, "k", 1, time.Second); !errors.Is(err, ErrClosed) {
			t.Fatalf("Allow after Close: %v", err)
		}
		if _, err := b.Subscribe(ctx, "c"); !errors.Is(err, ErrClosed) {
			t.Fatalf("Subscribe after Close: %v", err)
		}
		if err := b.Ping(ctx); !errors.Is(err, ErrClosed) {
			t.Fatalf("Ping after Close: %v", err)
		}
	})
}

func TestNames(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		want := map[string]bool{"memory": true, "redis": true}
		if !want[b.Name()] {
			t.Fatalf("Name() = %q", b.Name())
		}
		if err := b.Ping(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMemorySweepBoundsMemory(t *testing.T) {
	m := newTestMemory(t, Options{SweepInterval: 20 * time.Millisecond})
	ctx := ctxT(t)
	for i := 0; i < 100; i++ {
		k := fmt.Sprintf("k%d", i)
		if err := m.Set(ctx, k, []byte("v"), 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Allow(ctx, k, 5, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Set(ctx, "keep", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		m.mu.Lock()
		items := len(m.items)
		m.mu.Unlock()
		m.lmu.Lock()
		limits := len(m.limits)
		m.lmu.Unlock()
		if items == 1 && limits == 0 {
			return // never read again, yet gone
		}
		if time.Now().After(deadline) {
			t.Fatalf("after sweeping: %d items, %d limiter windows; want 1, 0", items, limits)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A subscriber that stops reading loses messages but blocks nobody, and gets
// new messages again once it drains its channel.
func TestBusSlowSubscriber(t *testing.T) {
	run := func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		ch, err := b.Subscribe(ctx, "flood")
		if err != nil {
			t.Fatal(err)
		}
		within(t, 10*time.Second, "publishing to a full subscriber", func() {
			for i := 0; i < 200; i++ {
				if err := b.Publish(ctx, "flood", []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
		})
		time.Sleep(50 * time.Millisecond) // let in-flight messages land, then drain
		for drained := false; !drained; {
			select {
			case <-ch:
			default:
				drained = true
			}
		}
		if err := b.Publish(ctx, "flood", []byte("fresh")); err != nil {
			t.Fatal(err)
		}
		for {
			if m := recv(t, ch); string(m.Payload) == "fresh" {
				return
			}
		}
	}
	t.Run("memory", func(t *testing.T) {
		run(t, newTestMemory(t, Options{BusBuffer: 2}))
	})
	t.Run("redis", func(t *testing.T) {
		ns := uniqueNS(t)
		cleanupNamespace(t, ns)
		run(t, newTestRedis(t, ns, Options{BusBuffer: 2}))
	})
}
