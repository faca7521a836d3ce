package delivery_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/federation/delivery"
	"collectif/store"
	"collectif/store/storetest"
)

const note = `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://hub.example/activities/1","type":"Create","actor":"https://hub.example/c/alpes","object":{"type":"Note","content":"Bonjour"}}`

func hostsOf(t *testing.T, w *world) map[string]delivery.HostStatus {
	t.Helper()
	pg, err := w.svc.Hosts(context.Background(), access.System(), delivery.HostFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]delivery.HostStatus{}
	for _, h := range pg.Items {
		out[h.Host] = h
	}
	return out
}

func TestDeliverySignedAndDeduplicated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, worldOptions{})
		a := newSink(t, "127.0.0.2")
		b := newSink(t, "127.0.0.3")
		blocked := newSink(t, "127.0.0.4")
		w.svc.SetBlocked(func(_ context.Context, host string) bool { return host == "127.0.0.4" })
		w.enqueue(note,
			a.url("/inbox"), a.url("/inbox"), strings.Replace(a.url("/inbox"), "http://", "HTTP://", 1), // one inbox, three spellings
			a.url("/users/bob/inbox"), b.url("/inbox"), blocked.url("/inbox"), "not a URL", "ftp://x/inbox")
		a.wait(2, 20*time.Second)
		b.wait(1, 20*time.Second)
		eventually(t, 10*time.Second, "the activity is forgotten once delivered", func() bool {
			return w.count("delivery_activities") == 0 && w.count("delivery_targets") == 0
		})
		if n := len(a.requests()); n != 2 {
			t.Fatalf("sink a got %d requests, want 2 (one per distinct inbox)", n)
		}
		if n := len(blocked.requests()); n != 0 {
			t.Fatalf("the blocked host got %d requests", n)
		}
		sum := sha256.Sum256([]byte(note))
		for _, h := range append(a.requests(), b.requests()...) {
			if h.verified != nil {
				t.Fatalf("%s: the signature does not verify: %v", h.path, h.verified)
			}
			if !slices.Equal(h.headers, []string{"(request-target)", "host", "date", "digest"}) {
				t.Fatalf("signed headers = %v", h.headers)
			}
			if got := h.header.Get("Digest"); got != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
				t.Fatalf("Digest = %q", got)
			}
			if h.header.Get("Content-Type") != delivery.ContentType || h.header.Get("User-Agent") != "collectif/1.2.3 (+https://hub.example)" ||
				string(h.body) != note || h.method != "POST" {
				t.Fatalf("request = %s %s %q %q", h.method, h.header.Get("Content-Type"), h.header.Get("User-Agent"), h.body)
			}
			if !strings.Contains(h.header.Get("Signature"), `keyId="`+keyID+`"`) {
				t.Fatalf("Signature = %s", h.header.Get("Signature"))
			}
		}
		hs := hostsOf(t, w)
		if h := hs[a.addr]; h.Delivered != 2 || h.LastSuccessAt == nil || h.ConsecutiveFailures != 0 || h.Pending != 0 {
			t.Fatalf("status of %s = %+v", a.addr, h)
		}
	})
}

func TestSignedGet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, worldOptions{})
		s := newSink(t, "127.0.0.2")
		s.answer = func(string, int) (int, http.Header) { return 200, nil }
		if _, err := w.svc.Get(context.Background(), actor, s.url("/users/alice?page=1")); err != nil {
			t.Fatal(err)
		}
		h := s.requests()[0]
		if h.verified != nil || !slices.Equal(h.headers, []string{"(request-target)", "host", "date"}) || h.method != "GET" {
			t.Fatalf("signed GET: %v %v", h.verified, h.headers)
		}
		if h.header.Get("Accept") != delivery.Accept || h.header.Get("User-Agent") == "" {
			t.Fatalf("headers = %v", h.header)
		}
		s.answer = func(string, int) (int, http.Header) { return 410, nil }
		_, err := w.svc.Get(context.Background(), "", s.url("/gone"))
		var se *delivery.StatusError
		if !errors.As(err, &se) || se.Code != 410 {
			t.Fatalf("GET of a gone actor: %v", err)
		}
		if s.requests()[1].header.Get("Signature") != "" {
			t.Fatal("a GET without actor was signed")
		}
	})
}

func TestRetriesThenSuccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, worldOptions{})
		s := newSink(t, "127.0.0.2")
		s.answer = func(_ string, n int) (int, http.Header) {
			if n < 3 {
				return 500, nil
			}
			return 202, nil
		}
		w.enqueue(note, s.url("/inbox"))
		s.wait(3, 20*time.Second)
		eventually(t, 10*time.Second, "the delivery is done", func() bool { return w.count("delivery_targets") == 0 })
		h := hostsOf(t, w)[s.addr]
		if h.Delivered != 1 || h.Failed != 0 || h.ConsecutiveFailures != 0 || len(h.RecentErrors) != 2 || h.RecentErrors[0].Final ||
			h.RecentErrors[0].Status != 500 || h.LastFailureAt == nil || h.LastSuccessAt == nil {
			t.Fatalf("status = %+v", h)
		}
	})
}

func TestPermanentFailuresAndGivingUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, worldOptions{})
		s := newSink(t, "127.0.0.2")
		s.answer = func(path string, _ int) (int, http.Header) {
			switch path {
			case "/404":
				return 404, nil
			case "/410":
				return 410, nil
			case "/408":
				return 408, nil
			}
			return 503, nil
		}
		w.enqueue(note, s.url("/404"), s.url("/410"), s.url("/408"), s.url("/503"))
		// 404 and 410 once each; 408 and 503 at every attempt (4).
		s.wait(2+2*w.svc.Attempts(), 20*time.Second)
		eventually(t, 10*time.Second, "every inbox is given up", func() bool { return w.count("delivery_targets") == 0 })
		time.Sleep(100 * time.Millisecond) // a stray retry would show now
		count := map[string]int{}
		for _, h := range s.requests() {
			count[h.path]++
		}
		if count["/404"] != 1 || count["/410"] != 1 || count["/408"] != w.svc.Attempts() || count["/503"] != w.svc.Attempts() {
			t.Fatalf("requests per inbox = %v", count)
		}
		h := hostsOf(t, w)[s.addr]
		if h.Failed != 4 || h.Delivered != 0 || h.ConsecutiveFailures != 2+2*w.svc.Attempts() || h.LastSuccessAt != nil {
			t.Fatalf("status = %+v", h)
		}
		final := 0
		for _, e := range h.RecentErrors {
			if e.Final {
				final++
			}
			if e.Activity != "https://hub.example/activities/1" || e.Error == "" {
				t.Fatalf("error entry = %+v", e)
			}
		}
		if final != 4 {
			t.Fatalf("%d final errors in %+v", final, h.RecentErrors)
		}
		pg, err := w.svc.Hosts(context.Background(), access.System(), delivery.HostFilter{Failing: true})
		if err != nil || len(pg.Items) != 1 || pg.Items[0].Host != s.addr {
			t.Fatalf("failing hosts = %+v %v", pg, err)
		}
		if _, err := w.svc.Hosts(context.Background(), access.Account("01J0000000000000000000000A", false), delivery.HostFilter{}); err == nil {
			t.Fatal("a member who is not an administrator read the deliveries")
		}
	})
}

func TestTooManyRequestsHonoursRetryAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, worldOptions{})
		s := newSink(t, "127.0.0.2")
		s.answer = func(_ string, n int) (int, http.Header) {
			if n == 1 {
				return 429, http.Header{"Retry-After": {"2"}}
			}
			return 202, nil
		}
		// Two inboxes of one host, each answered 429 at first.
		w.enqueue(note, s.url("/a"), s.url("/b"))
		s.wait(4, 30*time.Second)
		first := map[string]time.Time{}
		for _, h := range s.requests() {
			if t0, ok := first[h.path]; !ok {
				first[h.path] = h.at
			} else if gap := h.at.Sub(t0); gap < 2*time.Second {
				t.Fatalf("retried %s after %s, Retry-After said 2s", h.path, gap)
			}
		}
		eventually(t, 10*time.Second, "delivered after the wait", func() bool { return w.count("delivery_targets") == 0 })
	})
}

func TestPerHostConcurrencyBound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, worldOptions{perHost: 2})
		s := newSink(t, "127.0.0.2")
		s.delay = 30 * time.Millisecond
		other := newSink(t, "127.0.0.3")
		other.delay = 30 * time.Millisecond
		var inboxes []string
		for i := range 6 {
			inboxes = append(inboxes, s.url(fmt.Sprintf("/users/%d/inbox", i)), other.url(fmt.Sprintf("/users/%d/inbox", i)))
		}
		for i := range 5 {
			w.enqueue(strings.Replace(note, "activities/1", fmt.Sprintf("activities/%d", i), 1), inboxes...)
		}
		s.wait(30, 60*time.Second)
		other.wait(30, 60*time.Second)
		s.mu.Lock()
		m1 := s.maxCur
		s.mu.Unlock()
		other.mu.Lock()
		m2 := other.maxCur
		other.mu.Unlock()
		if m1 > 2 || m2 > 2 {
			t.Fatalf("at most %d and %d requests at once, want at most 2 per host", m1, m2)
		}
		if m1 < 2 {
			t.Logf("the bound was never reached (%d at once)", m1)
		}
		eventually(t, 10*time.Second, "nothing pending", func() bool { return w.count("delivery_targets") == 0 })
	})
}

func TestNothingLostAcrossRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, worldOptions{})
		s := newSink(t, "127.0.0.2")
		s.hold = make(chan struct{}) // the remote hangs: deliveries are in flight when the process stops
		var inboxes []string
		for i := range 20 {
			inboxes = append(inboxes, s.url(fmt.Sprintf("/users/%d/inbox", i)))
		}
		w.enqueue(note, inboxes...)
		eventually(t, 20*time.Second, "deliveries in flight", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.cur > 0
		})
		w.stop(200 * time.Millisecond) // the grace ends: requests in flight are cancelled
		if n := w.count("delivery_targets"); n != 20 {
			t.Fatalf("%d inboxes left after the stop, want 20", n)
		}
		s.mu.Lock()
		s.hold = nil
		s.mu.Unlock()
		w.start(worldOptions{backoff: []time.Duration{10 * time.Millisecond}})
		eventually(t, 30*time.Second, "every inbox delivered after the restart", func() bool { return w.count("delivery_targets") == 0 })
		got := map[string]bool{}
		for _, h := range s.requests() {
			got[h.path] = true
		}
		if len(got) != 20 {
			t.Fatalf("%d inboxes reached, want 20", len(got))
		}
		if w.count("delivery_activities") != 0 {
			t.Fatal("the activity is kept after its last delivery")
		}
	})
}

func TestEnqueueRefusesBadActivity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, worldOptions{})
		err := db.Tx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
			return w.svc.Enqueue(ctx, tx, delivery.Delivery{Actor: actor, Activity: []byte("not json"), Inboxes: []string{"https://a.example/inbox"}})
		})
		if err == nil {
			t.Fatal("an activity that is not JSON was accepted")
		}
		// Rolled back with the caller's transaction: nothing is sent.
		err = db.Tx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
			if err := w.svc.Enqueue(ctx, tx, delivery.Delivery{Actor: actor, Activity: []byte(note), Inboxes: []string{"https://a.example/inbox"}}); err != nil {
				return err
			}
			return errors.New("the caller's change failed")
		})
		if err == nil || w.count("delivery_activities") != 0 || w.count("delivery_targets") != 0 {
			t.Fatalf("after a rollback: %v, %d activities", err, w.count("delivery_activities"))
		}
	})
}
