package delivery_test

import (
	"context"
	"crypto/rsa"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"collectif/federation/delivery"
	"collectif/federation/signature"
	"collectif/jobs"
	"collectif/store"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// actorKey is the key of the local actor every test delivers for; one key
// for the run, since generating one costs a good part of a second.
func actorKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := signature.GenerateKey()
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

const actor = "https://hub.example/c/alpes"
const keyID = actor + "#main-key"

type keys struct{ k *rsa.PrivateKey }

func (k keys) SigningKey(_ context.Context, a string) (string, *rsa.PrivateKey, error) {
	return a + "#main-key", k.k, nil
}

// hit is one request a sink received.
type hit struct {
	at       time.Time
	method   string
	path     string
	host     string
	header   http.Header
	body     []byte
	verified error // the signature checked with our Verifier
	headers  []string
}

// sink is a remote server on a loopback address that records what it gets
// and answers what its script says.
type sink struct {
	t    testing.TB
	addr string // host:port
	srv  *http.Server

	mu     sync.Mutex
	hits   []hit
	answer func(path string, n int) (status int, header http.Header) // n: the path's request number, from 1
	hold   chan struct{}                                             // when set, requests wait on it
	delay  time.Duration
	cur    int
	maxCur int
	got    chan struct{}
	verify bool
}

func newSink(t testing.TB, ip string) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{t: t, addr: ln.Addr().String(), got: make(chan struct{}, 100000), verify: true}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) url(path string) string { return "http://" + s.addr + path }

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.cur++
	s.maxCur = max(s.maxCur, s.cur)
	hold, delay := s.hold, s.delay
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cur--
		s.mu.Unlock()
	}()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	h := hit{at: time.Now(), method: r.Method, path: r.URL.Path, host: r.Host, header: r.Header.Clone(), body: body}
	if s.verify {
		v := &signature.Verifier{Keys: signature.KeyFetcherFunc(func(_ context.Context, id string, _ bool) (*signature.PublicKey, error) {
			return &signature.PublicKey{ID: id, Owner: actor, Key: &actorKey(s.t).PublicKey}, nil
		})}
		_, h.verified = v.Verify(r.Context(), r, body)
		if p, err := signature.ParseSignatureHeader(r.Header.Get("Signature")); err == nil {
			h.headers = p.Headers
		}
	}
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	s.mu.Lock()
	n := 1
	for _, x := range s.hits {
		if x.path == r.URL.Path {
			n++
		}
	}
	s.hits = append(s.hits, h)
	answer := s.answer
	s.mu.Unlock()
	status := http.StatusAccepted
	if answer != nil {
		var hdr http.Header
		status, hdr = answer(r.URL.Path, n)
		for k, v := range hdr {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(status)
	s.got <- struct{}{}
}

func (s *sink) requests() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.hits...)
}

// wait waits for n more requests, or fails after d.
func (s *sink) wait(n int, d time.Duration) {
	s.t.Helper()
	deadline := time.After(d)
	for range n {
		select {
		case <-s.got:
		case <-deadline:
			s.t.Fatalf("sink %s: %d requests after %s, want %d more", s.addr, len(s.requests()), d, n)
		}
	}
}

// world is a delivery service with its workers over a real database.
type world struct {
	t   testing.TB
	db  *store.DB
	svc *delivery.Service
	q   *jobs.Queue
}

type worldOptions struct {
	backoff []time.Duration
	blocked func(context.Context, string) bool
	perHost int
	workers int
	poll    time.Duration // 0: 20 ms; -1: the queue's default, as in production
}

func newWorld(t testing.TB, db *store.DB, o worldOptions) *world {
	t.Helper()
	ctx := context.Background()
	if _, err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if o.backoff == nil {
		o.backoff = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	}
	w := &world{t: t, db: db}
	w.start(o)
	return w
}

// start builds the service and its queue and starts the workers, as a
// process would.
func (w *world) start(o worldOptions) {
	w.t.Helper()
	if o.workers == 0 {
		o.workers = delivery.DefaultWorkers
	}
	reg := jobs.NewRegistry(testLog(w.t))
	w.svc = delivery.New(delivery.Deps{DB: w.db, Keys: keys{actorKey(w.t)}, Blocked: o.blocked, PerHost: o.perHost, Backoff: o.backoff,
		Client:   delivery.NewClient(delivery.Options{AllowedNets: loopback, UserAgent: delivery.UserAgent("1.2.3", "https://hub.example")}),
		HostWait: 200 * time.Millisecond, BusyDelay: 50 * time.Millisecond})
	delivery.RegisterJobs(reg, w.svc)
	poll := o.poll
	switch poll {
	case 0:
		poll = 20 * time.Millisecond
	case -1:
		poll = 0
	}
	q, err := jobs.New(w.db, reg, jobs.Options{Workers: 1, Queues: map[string]int{delivery.QueueName: o.workers}, PollInterval: poll})
	if err != nil {
		w.t.Fatal(err)
	}
	w.svc.SetQueue(q)
	w.q = q
	if err := q.Start(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { w.stop(10 * time.Second) })
}

func (w *world) stop(grace time.Duration) {
	if w.q == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	w.q.Stop(ctx)
	w.q = nil
}

func (w *world) enqueue(activity string, inboxes ...string) {
	w.t.Helper()
	err := w.db.Tx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return w.svc.Enqueue(ctx, tx, delivery.Delivery{Actor: actor, Activity: []byte(activity), Inboxes: inboxes})
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// count counts the rows of a table.
func (w *world) count(table string) int {
	w.t.Helper()
	var n int
	if err := w.db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// eventually polls cond for at most d.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
