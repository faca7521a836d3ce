package kv

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests need no Redis: they check that a wrong or dead endpoint fails
// fast with ErrUnavailable instead of hanging a request.

func TestNewRedisClosedPortFailsFast(t *testing.T) {
	addr := closedPort(t)
	var err error
	within(t, 5*time.Second, "NewRedis on a closed port", func() {
		_, err = NewRedis(context.Background(), "redis://:s3cret@"+addr+"/0", Options{})
	})
	mustUnavailable(t, "NewRedis", err)
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error should name the address: %v", err)
	}
}

// A server that accepts connections and never answers (a hung Redis, a
// firewall swallowing packets): the read timeout must fire.
func TestNewRedisSilentServerFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})

	within(t, 5*time.Second, "NewRedis on a silent server", func() {
		_, err = NewRedis(context.Background(), "redis://"+ln.Addr().String(), Options{
			ReadTimeout: 200 * time.Millisecond,
		})
	})
	mustUnavailable(t, "NewRedis", err)
}

func TestNewRedisInvalidURL(t *testing.T) {
	for _, u := range []string{
		"http://127.0.0.1:6379",
		"redis://user:p@ss word@127.0.0.1:6379/%zz",
		"redis://127.0.0.1:6379/notadb",
	} {
		var err error
		within(t, 2*time.Second, "NewRedis with an invalid URL", func() {
			_, err = NewRedis(context.Background(), u, Options{})
		})
		if err == nil {
			t.Fatalf("%q accepted", u)
		}
		// Not ErrUnavailable: retrying a malformed URL cannot succeed.
		if errors.Is(err, ErrUnavailable) {
			t.Errorf("%q: configuration error reported as unavailability: %v", u, err)
		}
		if strings.Contains(err.Error(), "ss word") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestNewRedisHonoursCallerContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewRedis(ctx, "redis://"+closedPort(t), Options{})
	if err == nil {
		t.Fatal("NewRedis with a cancelled context succeeded")
	}
}

// proxiedRedis connects to the test Redis through a proxy the test can cut.
func proxiedRedis(t *testing.T) (*Redis, *tcpProxy) {
	t.Helper()
	raw := testRedisURL(t)
	p := newTCPProxy(t, redisAddr(t))
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.addr
	ns := uniqueNS(t)
	cleanupNamespace(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r, err := NewRedis(ctx, u.String(), Options{Namespace: ns, ReadTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, p
}

// Redis dies under a running node: every call fails fast with
// ErrUnavailable, and the node recovers by itself when Redis returns.
func TestRedisOutageAndRecovery(t *testing.T) {
	r, p := proxiedRedis(t)
	ctx := ctxT(t)
	if err := r.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}

	p.stop()
	within(t, 5*time.Second, "calls during the outage", func() {
		_, err := r.Get(ctx, "k")
		mustUnavailable(t, "Get", err)
		mustUnavailable(t, "Set", r.Set(ctx, "k", []byte("v"), time.Minute))
		_, err = r.GetDel(ctx, "k")
		mustUnavailable(t, "GetDel", err)
		_, err = r.Allow(ctx, "k", 10, time.Minute)
		mustUnavailable(t, "Allow", err)
		mustUnavailable(t, "Publish", r.Publish(ctx, "c", nil))
		mustUnavailable(t, "Ping", r.Ping(ctx))
	})
	_, err := r.Get(ctx, "k")
	if errors.Is(err, ErrNotFound) {
		t.Fatal("an outage must never look like a missing key")
	}

	p.restart()
	deadline := time.Now().Add(3 * time.Second)
	for {
		v, err := r.Get(ctx, "k")
		if err == nil {
			if string(v) != "v" {
				t.Fatalf("after recovery: %q", v)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered within 3s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A subscription survives an outage: go-redis reconnects and resubscribes.
func TestBusReconnects(t *testing.T) {
	r, p := proxiedRedis(t)
	publisher := newTestRedis(t, r.opts.Namespace, Options{}) // direct, unaffected by the proxy
	ctx := ctxT(t)
	ch, err := r.Subscribe(ctx, "live")
	if err != nil {
		t.Fatal(err)
	}
	if err := publisher.Publish(ctx, "live", []byte("before")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, ch); string(m.Payload) != "before" {
		t.Fatalf("got %+v", m)
	}

	p.stop()
	time.Sleep(100 * time.Millisecond) // let the subscriber notice the dead connection
	p.restart()

	// Messages published before the resubscription are lost (documented), so
	// publish until one arrives, within a bound.
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := publisher.Publish(ctx, "live", []byte("after")); err != nil {
			t.Fatal(err)
		}
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatal("subscription closed by the outage")
			}
			if string(m.Payload) == "after" {
				return
			}
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatal("no message after Redis came back within 5s")
		}
	}
}
