package kv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedisEnv names the variable that enables the Redis half of every test,
// e.g. COLLECTIF_TEST_REDIS_URL=redis://127.0.0.1:6379/0.
const testRedisEnv = "COLLECTIF_TEST_REDIS_URL"

func testRedisURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(testRedisEnv)
	if u == "" {
		tb.Skipf("%s not set: Redis backend not tested", testRedisEnv)
	}
	return u
}

// uniqueNS returns a fresh namespace of fixed length, so that the cleanup
// pattern "<ns>*" of one test can never match another test's keys.
func uniqueNS(tb testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return "kvtest-" + hex.EncodeToString(b[:])
}

func newTestMemory(tb testing.TB, o Options) *Memory {
	m := NewMemory(o)
	tb.Cleanup(func() { _ = m.Close() })
	return m
}

// newTestRedis connects one "node" in namespace ns. The first node created
// for a namespace registers the key cleanup, which runs after every node of
// the test is closed (Cleanup is LIFO) and checks nothing is left behind.
func newTestRedis(tb testing.TB, ns string, o Options) *Redis {
	tb.Helper()
	url := testRedisURL(tb)
	o.Namespace = ns
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r, err := NewRedis(ctx, url, o)
	if err != nil {
		tb.Fatalf("NewRedis: %v", err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// cleanupNamespace deletes every key of ns (Store keys and limiter windows)
// with a separate client once the test is over.
func cleanupNamespace(tb testing.TB, ns string) {
	url := testRedisURL(tb)
	tb.Cleanup(func() {
		opt, err := redis.ParseURL(url)
		if err != nil {
			tb.Errorf("cleanup: %v", err)
			return
		}
		c := redis.NewClient(opt)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var cursor uint64
		for i := 0; i < 10000; i++ { // bounded: a test namespace holds a few hundred keys
			keys, next, err := c.Scan(ctx, cursor, globEscape(ns)+"*", 1000).Result()
			if err != nil {
				tb.Errorf("cleanup scan: %v", err)
				return
			}
			if len(keys) > 0 {
				if err := c.Del(ctx, keys...).Err(); err != nil {
					tb.Errorf("cleanup del: %v", err)
					return
				}
			}
			if next == 0 {
				return
			}
			cursor = next
		}
	})
}

// redisNode returns a Redis backend in a fresh namespace, cleaned up after the test.
func redisNode(tb testing.TB) *Redis {
	ns := uniqueNS(tb)
	cleanupNamespace(tb, ns)
	return newTestRedis(tb, ns, Options{})
}

// redisNodes returns n independent clients ("nodes") sharing one fresh namespace.
func redisNodes(tb testing.TB, n int) []*Redis {
	ns := uniqueNS(tb)
	cleanupNamespace(tb, ns)
	out := make([]*Redis, n)
	for i := range out {
		out[i] = newTestRedis(tb, ns, Options{})
	}
	return out
}

// eachBackend runs fn against the in-process backend, and against Redis
// when testRedisEnv is set (the subtest is reported as skipped otherwise).
func eachBackend(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		fn(t, newTestMemory(t, Options{}))
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		fn(t, redisNode(t))
	})
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// tcpProxy forwards a loopback port to Redis and can be stopped and restarted
// on the same port, to simulate Redis going away and coming back without
// touching the shared server.
type tcpProxy struct {
	t        *testing.T
	addr     string
	upstream string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newTCPProxy(t *testing.T, upstream string) *tcpProxy {
	p := &tcpProxy{t: t, upstream: upstream, conns: make(map[net.Conn]struct{})}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start(addr string) {
	var ln net.Listener
	var err error
	// The port was ours a moment ago; retry briefly in case the kernel is slow to release it.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy listen %s: %v", addr, err)
	}
	p.mu.Lock()
	p.ln = ln
	p.addr = ln.Addr().String()
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.DialTimeout("tcp", p.upstream, time.Second)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			if p.ln != ln { // stopped meanwhile: stop must not miss these
				p.mu.Unlock()
				_, _ = c.Close(), up.Close()
				return
			}
			p.conns[c], p.conns[up] = struct{}{}, struct{}{}
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				defer p.wg.Done()
				_, _ = io.Copy(dst, src)
				_ = dst.Close()
				_ = src.Close()
			}
			p.wg.Add(2)
			go pipe(c, up)
			go pipe(up, c)
		}
	}()
}

// stop closes the listener and every forwarded connection: to the client it
// looks like Redis died.
func (p *tcpProxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *tcpProxy) restart() { p.start(p.addr) }

// redisAddr extracts host:port from the test Redis URL.
func redisAddr(t *testing.T) string {
	opt, err := redis.ParseURL(testRedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return opt.Addr
}

// within fails the test if fn takes longer than d: degradation must be fast.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if el := time.Since(start); el > d {
		t.Errorf("%s took %s, want < %s", what, el, d)
	}
}

func mustUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want ErrUnavailable", what)
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("%s: got %v, want an error wrapping ErrUnavailable", what, err)
	}
}
