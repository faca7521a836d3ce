package signature

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

const (
	// DefaultKeyTTL is how long CachedFetcher keeps a key when TTL is zero.
	// A rotated key is picked up at once through refresh; the TTL bounds
	// how long a key its owner withdrew (because it leaked) stays accepted.
	DefaultKeyTTL = time.Hour
	// DefaultMaxKeys bounds the cache when MaxEntries is zero: about the
	// number of remote actors a busy hub hears from in an hour, a few
	// megabytes of memory.
	DefaultMaxKeys = 10000
	// fetchTimeout bounds a shared fetch: it runs detached from the
	// context of the request that started it (see FetchKey), so it needs a
	// bound of its own.
	fetchTimeout = 30 * time.Second
)

// CachedFetcher is a KeyFetcher keeping fetched keys in memory, bounded in
// number (least recently used evicted first) and in age. Concurrent fetches
// of one keyId share one call to Fetch. Errors are not cached. A refresh
// bypasses the cache and replaces the entry. The zero value (with Fetch set)
// is ready; a CachedFetcher must not be copied once used.
type CachedFetcher struct {
	// Fetch obtains a key from the network: the signed GET of keyId and the
	// check of its owner, written by the caller.
	Fetch func(ctx context.Context, keyID string) (*PublicKey, error)
	// TTL is how long a key is served from the cache; zero means
	// DefaultKeyTTL.
	TTL time.Duration
	// MaxEntries bounds the number of keys kept; zero means DefaultMaxKeys.
	MaxEntries int

	now func() time.Time // tests set it; nil means time.Now

	mu      sync.Mutex
	entries map[string]*list.Element // of *cacheEntry
	lru     list.List                // front: most recently used
	group   singleflight.Group
}

type cacheEntry struct {
	keyID   string
	key     *PublicKey
	fetched time.Time
}

// FetchKey returns the key keyID names, from the cache unless refresh is
// set or the cached copy is older than TTL. The returned key is shared:
// callers must not modify it. ctx bounds the wait, not the fetch: Fetch
// gets a context of its own, without ctx's values, ending after 30 s.
func (c *CachedFetcher) FetchKey(ctx context.Context, keyID string, refresh bool) (*PublicKey, error) {
	if c.Fetch == nil {
		return nil, errors.New("signature: CachedFetcher has no Fetch")
	}
	if !refresh {
		if pk, ok := c.lookup(keyID); ok {
			return pk, nil
		}
	}
	// A refresh joins a fetch already under way for the same key: that
	// fetch started after the cached copy was found wanting, so its result
	// is as fresh as a new one would be.
	//
	// The fetch is shared, so it does not run under the context of the
	// request that happened to start it: others waiting on it must not fail
	// because that one gave up, and the fetch may outlive that request,
	// whose context may then be recycled (under Fiber's adaptor it is the
	// fasthttp.RequestCtx itself). Not even its values are kept.
	ch := c.group.DoChan(keyID, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		defer cancel()
		pk, err := c.Fetch(fctx, keyID)
		if err != nil {
			return nil, err
		}
		if pk == nil {
			return nil, errors.New("fetch returned no key")
		}
		c.store(keyID, pk)
		return pk, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, fmt.Errorf("fetching key %q: %w", keyID, res.Err)
		}
		return res.Val.(*PublicKey), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("fetching key %q: %w", keyID, ctx.Err())
	}
}

// Cached returns the key cached for keyID, if any and younger than TTL,
// without fetching it.
func (c *CachedFetcher) Cached(keyID string) (*PublicKey, bool) { return c.lookup(keyID) }

// Add caches a key obtained elsewhere (e.g. read from a database of known
// actors), as if it had just been fetched.
func (c *CachedFetcher) Add(pk *PublicKey) { c.store(pk.ID, pk) }

// Len returns the number of keys cached.
func (c *CachedFetcher) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func (c *CachedFetcher) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func (c *CachedFetcher) ttl() time.Duration {
	if c.TTL > 0 {
		return c.TTL
	}
	return DefaultKeyTTL
}

func (c *CachedFetcher) maxEntries() int {
	if c.MaxEntries > 0 {
		return c.MaxEntries
	}
	return DefaultMaxKeys
}

func (c *CachedFetcher) lookup(keyID string) (*PublicKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[keyID]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if c.clock().Sub(e.fetched) >= c.ttl() {
		c.lru.Remove(el)
		delete(c.entries, keyID)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.key, true
}

func (c *CachedFetcher) store(keyID string, pk *PublicKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]*list.Element)
	}
	now := c.clock()
	if el, ok := c.entries[keyID]; ok {
		e := el.Value.(*cacheEntry)
		e.key, e.fetched = pk, now
		c.lru.MoveToFront(el)
		return
	}
	c.entries[keyID] = c.lru.PushFront(&cacheEntry{keyID: keyID, key: pk, fetched: now})
	for c.lru.Len() > c.maxEntries() {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).keyID)
	}
}
