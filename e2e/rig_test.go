package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/config"
	"collectif/demo"
	"collectif/event"
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
	data string // the hub's data directory (its mails are files there)
}

// newRig starts a hub for the test and stops it when the test ends.
func newRig(t *testing.T) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	data := t.TempDir()
	env := map[string]string{
		"COLLECTIF_DATA_DIR":         data,
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
	r := &rig{t: t, hub: h, base: base, data: data}
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

// The SIREN of the city of Échirolles, an organization of the demo that
// declares software in the catalog.
const echirollesSIREN = "213801517"

// ctx is a context for one setup step of a test.
func (r *rig) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// echirolles answers the directory entry of the demo's city.
func (r *rig) echirolles() *model.Organization {
	r.t.Helper()
	ctx, cancel := r.ctx()
	defer cancel()
	o, err := r.hub.Directory.Ensure(ctx, echirollesSIREN)
	if err != nil {
		r.t.Fatalf("the demo's Échirolles: %v", err)
	}
	return o
}

// agent creates a local account that works for the demo's city of
// Échirolles: it may declare the city's software in the catalog.
func (r *rig) agent(email, name string) person {
	r.t.Helper()
	p := r.localAccount(email, name)
	r.employ(p)
	return p
}

// employ makes p work for the demo's city of Échirolles.
func (r *rig) employ(p person) {
	r.t.Helper()
	ctx, cancel := r.ctx()
	defer cancel()
	if err := r.hub.Accounts.SetOrganization(ctx, access.System(), p.ID, r.echirolles().ID); err != nil {
		r.t.Fatalf("%s works for Échirolles: %v", p.Email, err)
	}
}

// organizer makes p an owner of slug: the organizer of its events and the
// moderator of its federation.
func (r *rig) organizer(p person, slug string) {
	r.t.Helper()
	ctx, cancel := r.ctx()
	defer cancel()
	if err := r.hub.Collectives.Join(ctx, access.System(), slug, p.ID, model.RoleOwner); err != nil {
		r.t.Fatalf("make %s owner of %s: %v", p.Email, slug, err)
	}
}

// admin creates a local account that administers the hub.
func (r *rig) admin(email, name string) person {
	r.t.Helper()
	ctx, cancel := r.ctx()
	defer cancel()
	a, err := r.hub.Accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: email, Name: name, Password: testPassword, Admin: true})
	if err != nil {
		r.t.Fatalf("create the administrator %s: %v", email, err)
	}
	return person{ID: a.ID, Email: a.Email, Name: a.Name}
}

// demoEvents answers the IDs of the demo's two events: the past
// conference (with a programme of two days) and the upcoming webinar (with
// registration open).
func (r *rig) demoEvents() (conference, webinar string) {
	r.t.Helper()
	ctx, cancel := r.ctx()
	defer cancel()
	l, err := r.hub.Events.List(ctx, access.System(), event.Filter{Collective: "national"})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, v := range l.Items {
		switch {
		case strings.HasPrefix(v.Title, "Rencontres annuelles"):
			conference = v.ID
		case strings.HasPrefix(v.Title, "Webinaire"):
			webinar = v.ID
		}
	}
	if conference == "" || webinar == "" {
		r.t.Fatalf("the demo has no conference or no webinar among %d events", len(l.Items))
	}
	return conference, webinar
}

// usageOf answers the ID of the demo's declaration of software by the city
// of Échirolles.
func (r *rig) usageOf(software string) string {
	r.t.Helper()
	ctx, cancel := r.ctx()
	defer cancel()
	v, err := r.hub.Catalog.Get(ctx, access.System(), software)
	if err != nil {
		r.t.Fatal(err)
	}
	org := r.echirolles().ID
	for _, u := range v.Usages {
		if u.OrganizationID == org {
			return u.ID
		}
	}
	r.t.Fatalf("Échirolles declares no use of %s in the demo", software)
	return ""
}

var privateLinkRE = regexp.MustCompile(`https?://[^\s"<>]+(/evenements/inscription/[A-Za-z0-9_-]+)`)

// privateLink waits for the confirmation mail of a registration to email
// (the hub's workers send it, as files in its data directory) and answers
// the path of the private link it holds.
func (r *rig) privateLink(email string) string {
	r.t.Helper()
	// A bound against a hang: the workers also index the demo.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		files, _ := filepath.Glob(filepath.Join(r.data, "mail", "event-confirmation-*.eml"))
		for _, f := range files {
			if link := linkIn(r.t, f, email); link != "" {
				return link
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no confirmation mail to %s within 3 min (%d confirmation mails)", email, len(files))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// linkIn answers the private link of the mail in file when it is to email.
func linkIn(t *testing.T, file, email string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if !strings.Contains(strings.ToLower(msg.Header.Get("To")), strings.ToLower(email)) {
		return ""
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	part, err := multipart.NewReader(msg.Body, params["boundary"]).NextPart()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	text, _ := io.ReadAll(part)
	m := privateLinkRE.FindSubmatch(text)
	if m == nil {
		t.Fatalf("no private link in the mail to %s:\n%s", email, text)
	}
	return string(m[1])
}
