package e2e

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/config"
	"collectif/demo"
	"collectif/hub"
	"collectif/model"
)

// The password of every account the tests create.
const testPassword = "un mot de passe de recette assez long"

// rig is one hub, as `collectif serve` builds it, on loopback with an empty
// data directory and the demonstration data.
type rig struct {
	t    *testing.T
	hub  *hub.Hub
	base string // http://127.0.0.1:port, no trailing slash
}

// newRig starts a hub for the test and stops it when the test ends.
func newRig(t *testing.T) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"COLLECTIF_DATA_DIR":         t.TempDir(),
		"COLLECTIF_ADDR":             "127.0.0.1:0",
		"COLLECTIF_BASE_URL":         base,
		"COLLECTIF_WORKERS":          "2",
		"COLLECTIF_SHUTDOWN_TIMEOUT": "5s",
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	// Warnings and errors of the hub go to the test log; the rest is noise.
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// A bound against a hang, not a speed check: with the race detector on
	// a busy machine, the demo (catalog and events included) takes a while.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h, err := hub.Open(ctx, cfg, log, hub.Options{Workers: true})
	if err != nil {
		ln.Close()
		t.Fatalf("hub.Open: %v", err)
	}
	if _, err := demo.Load(ctx, h.DemoDeps()); err != nil {
		ln.Close()
		h.Close()
		t.Fatalf("demo.Load: %v", err)
	}

	serveCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(serveCtx, ln) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("hub stopped with: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the hub did not stop within 15 s")
		}
	})
	r := &rig{t: t, hub: h, base: base}
	r.waitHealthy()
	return r
}

func (r *rig) waitHealthy() {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(r.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the hub does not answer /healthz: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// person is a local account the tests log in with.
type person struct {
	ID, Email, Name string
}

// localAccount creates a local account with testPassword.
func (r *rig) localAccount(email, name string) person {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := r.hub.Accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: email, Name: name, Password: testPassword})
	if err != nil {
		r.t.Fatalf("create %s: %v", email, err)
	}
	return person{ID: a.ID, Email: a.Email, Name: a.Name}
}

// owner creates a local account that owns the "alpes" collective.
func (r *rig) owner(email, name string) person {
	r.t.Helper()
	p := r.localAccount(email, name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.hub.Collectives.Join(ctx, access.System(), "alpes", p.ID, model.RoleOwner); err != nil {
		r.t.Fatalf("make %s owner of alpes: %v", p.Email, err)
	}
	return p
}

// candidate creates a local account that has asked to join slug.
func (r *rig) candidate(email, name, slug, message string) person {
	r.t.Helper()
	p := r.localAccount(email, name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := r.hub.Collectives.RequestMembership(ctx, access.Account(p.ID, false), slug, message); err != nil {
		r.t.Fatalf("%s asks to join %s: %v", p.Email, slug, err)
	}
	return p
}

// testWriter sends the hub's log lines to the test log, until the test ends.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
