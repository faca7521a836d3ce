package signature

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for TTL tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingFetch returns a Fetch serving a fresh *PublicKey per call and the
// call counter.
func countingFetch() (func(context.Context, string) (*PublicKey, error), *atomic.Int64) {
	var n atomic.Int64
	return func(_ context.Context, id string) (*PublicKey, error) {
		c := n.Add(1)
		return &PublicKey{ID: id, Owner: fmt.Sprintf("owner-%d", c), Key: []byte("k")}, nil
	}, &n
}

func TestCachedFetcherHitsAndRefresh(t *testing.T) {
	fetch, n := countingFetch()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := &CachedFetcher{Fetch: fetch, TTL: time.Minute, now: clock.now}
	ctx := context.Background()

	a, err := c.FetchKey(ctx, "k1", false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.FetchKey(ctx, "k1", false)
	if a != b || n.Load() != 1 {
		t.Fatalf("second lookup fetched again (%d fetches)", n.Load())
	}
	r, _ := c.FetchKey(ctx, "k1", true)
	if r == a || n.Load() != 2 {
		t.Fatalf("refresh served the cache (%d fetches)", n.Load())
	}
	if got, _ := c.FetchKey(ctx, "k1", false); got != r {
		t.Fatal("refresh did not replace the entry")
	}
	clock.add(59 * time.Second)
	if got, _ := c.FetchKey(ctx, "k1", false); got != r || n.Load() != 2 {
		t.Fatal("entry expired early")
	}
	clock.add(2 * time.Second)
	if got, _ := c.FetchKey(ctx, "k1", false); got == r || n.Load() != 3 {
		t.Fatal("expired entry served")
	}
}

func TestCachedFetcherBounded(t *testing.T) {
	fetch, n := countingFetch()
	c := &CachedFetcher{Fetch: fetch, MaxEntries: 2}
	ctx := context.Background()
	for _, id := range []string{"a", "b", "a", "c"} { // "b" is least recent when "c" comes
		if _, err := c.FetchKey(ctx, id, false); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2 || n.Load() != 3 {
		t.Fatalf("len %d, fetches %d", c.Len(), n.Load())
	}
	_, _ = c.FetchKey(ctx, "a", false)
	if n.Load() != 3 {
		t.Fatal("most recent entry evicted")
	}
	_, _ = c.FetchKey(ctx, "b", false)
	if n.Load() != 4 {
		t.Fatal("least recent entry kept")
	}
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
}

// TestCachedFetcherCollapses: concurrent lookups of one key, refreshes
// among them, make one fetch.
func TestCachedFetcherCollapses(t *testing.T) {
	var n atomic.Int64
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	c := &CachedFetcher{Fetch: func(_ context.Context, id string) (*PublicKey, error) {
		n.Add(1)
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		return &PublicKey{ID: id, Owner: "o", Key: []byte("k")}, nil
	}}
	const callers = 32
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.FetchKey(context.Background(), "k", i%4 == 0); err != nil {
				errs <- err
			}
		}()
	}
	<-started
	time.Sleep(50 * time.Millisecond) // let the others join the flight
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n.Load() != 1 {
		t.Fatalf("%d fetches for %d concurrent lookups, want 1", n.Load(), callers)
	}
}

func TestCachedFetcherErrorsAndCancel(t *testing.T) {
	boom := errors.New("404")
	calls := 0
	c := &CachedFetcher{Fetch: func(context.Context, string) (*PublicKey, error) {
		calls++
		return nil, boom
	}}
	for range 2 {
		if _, err := c.FetchKey(context.Background(), "k", false); !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
	}
	if calls != 2 {
		t.Fatalf("error cached: %d calls", calls)
	}

	// A caller whose context ends stops waiting; the fetch it started goes
	// on for the others and fills the cache.
	release := make(chan struct{})
	done := make(chan struct{})
	slow := &CachedFetcher{Fetch: func(ctx context.Context, id string) (*PublicKey, error) {
		defer close(done)
		<-release
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return &PublicKey{ID: id, Owner: "o", Key: []byte("k")}, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := slow.FetchKey(ctx, "k", false); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	close(release)
	<-done
	deadline := time.Now().Add(2 * time.Second)
	for slow.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if slow.Len() != 1 {
		t.Fatal("detached fetch did not fill the cache")
	}

	if _, err := (&CachedFetcher{}).FetchKey(context.Background(), "k", false); err == nil {
		t.Fatal("no Fetch accepted")
	}
}
