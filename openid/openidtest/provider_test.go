package openidtest_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"collectif/openid"
	"collectif/openid/openidtest"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// hub is a minimal web server with the hub's login routes, as the web
// server's tests would use openidtest: GET /login/oidc/{id} starts the
// login, its callback opens a session, and / says who is logged in.
type hub struct {
	srv *httptest.Server
	rp  *openid.RP

	mu       sync.Mutex
	pending  map[string]openid.Pending
	sessions map[string]*openid.Identity
}

// startHub starts the hub on loopback with providers built from its base
// URL (the port is only known once it listens).
func startHub(t *testing.T, providers func(baseURL string) []openid.ProviderConfig, now func() time.Time) *hub {
	t.Helper()
	h := &hub{pending: map[string]openid.Pending{}, sessions: map[string]*openid.Identity{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oidc/{id}", h.begin)
	mux.HandleFunc("GET /login/oidc/{id}/callback", h.callback)
	mux.HandleFunc("GET /{$}", h.home)
	h.srv = httptest.NewUnstartedServer(mux)
	t.Cleanup(h.srv.Close)
	base := "http://" + h.srv.Listener.Addr().String()
	rp, err := openid.New(t.Context(), openid.Options{BaseURL: base, Providers: providers(base), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	h.rp = rp
	h.srv.Start()
	return h
}

func (h *hub) begin(w http.ResponseWriter, r *http.Request) {
	authURL, p, err := h.rp.Begin(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	sid := rand.Text()
	h.mu.Lock()
	h.pending[sid] = p
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "login", Value: sid, Path: "/", HttpOnly: true})
	http.Redirect(w, r, authURL, http.StatusFound)
}

func (h *hub) callback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("login")
	if err != nil {
		http.Error(w, "no login in progress", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	p, ok := h.pending[c.Value]
	delete(h.pending, c.Value)
	h.mu.Unlock()
	if !ok {
		http.Error(w, "no login in progress", http.StatusBadRequest)
		return
	}
	id, err := h.rp.Complete(r.Context(), p, r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	sid := rand.Text()
	h.mu.Lock()
	h.sessions[sid] = id
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: sid, Path: "/", HttpOnly: true})
	http.Redirect(w, r, "/", http.StatusFound)
}

func (h *hub) home(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("session")
	if err != nil {
		http.Error(w, "not logged in", http.StatusUnauthorized)
		return
	}
	h.mu.Lock()
	id, ok := h.sessions[c.Value]
	h.mu.Unlock()
	if !ok {
		http.Error(w, "not logged in", http.StatusUnauthorized)
		return
	}
	fmt.Fprintf(w, "%s %s (%s) %s", id.GivenName, id.FamilyName, id.SIRET, id.Key())
}

// get opens rawURL in the browser and returns the final page.
func get(ctx context.Context, t *testing.T, b *openidtest.Browser, rawURL string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// A web server's test: the browser goes from the hub to the provider's
// login page and back to the hub's callback, and ends up logged in.
func TestBrowserLogsIntoWebServer(t *testing.T) {
	ctx := testContext(t)
	op := openidtest.Start(t, openidtest.Options{ProConnect: true})
	h := startHub(t, func(base string) []openid.ProviderConfig {
		op.AddRedirectURI(base + "/login/oidc/proconnect/callback")
		cfg := op.Config("proconnect")
		cfg.PKCE = false
		return []openid.ProviderConfig{cfg}
	}, nil)

	camille := openidtest.DefaultUser()
	b := openidtest.NewBrowser(t)
	status, page := get(ctx, t, b, h.srv.URL+"/login/oidc/proconnect")
	want := "Camille Martin (21380151700011) " + op.Issuer() + "|" + camille.IdpID + "|" + camille.Subject
	if status != http.StatusOK || page != want {
		t.Fatalf("after login: HTTP %d %q, want %q", status, page, want)
	}
	hubURL, _ := url.Parse(h.srv.URL)
	var session bool
	for _, c := range b.Jar.Cookies(hubURL) {
		session = session || c.Name == "session"
	}
	if !session {
		t.Errorf("no session cookie in the browser")
	}

	// Another agent logs in in another browser; the first session stays
	// Camille's.
	op.SetUser(openidtest.User{Subject: "b7", GivenName: "Dominique", UsualName: "Bernard", SIRET: "21380185500015", IdpID: "idp-2"})
	status, page = get(ctx, t, openidtest.NewBrowser(t), h.srv.URL+"/login/oidc/proconnect")
	if want := "Dominique Bernard (21380185500015) " + op.Issuer() + "|idp-2|b7"; status != http.StatusOK || page != want {
		t.Errorf("second agent: HTTP %d %q, want %q", status, page, want)
	}
	if status, page := get(ctx, t, b, h.srv.URL+"/"); status != http.StatusOK || !strings.HasPrefix(page, "Camille ") {
		t.Errorf("first session: HTTP %d %q", status, page)
	}
}

// Two relying parties at one provider, each with its own client: the
// signed userinfo each gets is for its own client.
func TestSecondClient(t *testing.T) {
	ctx := testContext(t)
	op := openidtest.Start(t, openidtest.Options{ProConnect: true})
	h1 := startHub(t, func(base string) []openid.ProviderConfig {
		op.AddRedirectURI(base + "/login/oidc/pc/callback")
		return []openid.ProviderConfig{op.Config("pc")}
	}, nil)
	h2 := startHub(t, func(base string) []openid.ProviderConfig {
		op.AddClient(openidtest.Client{ID: "other-hub", Secret: "other-secret", RedirectURIs: []string{base + "/login/oidc/pc/callback"}})
		cfg := op.ClientConfig("pc", "other-hub")
		if cfg.ClientID != "other-hub" || cfg.ClientSecret != "other-secret" || cfg.Issuer != op.Issuer() {
			t.Errorf("ClientConfig = %+v", cfg)
		}
		return []openid.ProviderConfig{cfg}
	}, nil)
	for _, h := range []*hub{h1, h2} {
		if status, page := get(ctx, t, openidtest.NewBrowser(t), h.srv.URL+"/login/oidc/pc"); status != http.StatusOK || !strings.HasPrefix(page, "Camille ") {
			t.Errorf("%s: HTTP %d %q", h.srv.URL, status, page)
		}
	}
}

// A public client (no secret) logs in with PKCE.
func TestPublicClient(t *testing.T) {
	ctx := testContext(t)
	op := openidtest.Start(t, openidtest.Options{})
	h := startHub(t, func(base string) []openid.ProviderConfig {
		op.AddClient(openidtest.Client{ID: "public-hub", RedirectURIs: []string{base + "/login/oidc/kc/callback"}})
		cfg := op.ClientConfig("kc", "public-hub")
		if cfg.ClientSecret != "" || !cfg.PKCE {
			t.Errorf("ClientConfig of a public client = %+v", cfg)
		}
		return []openid.ProviderConfig{cfg}
	}, nil)
	if status, page := get(ctx, t, openidtest.NewBrowser(t), h.srv.URL+"/login/oidc/kc"); status != http.StatusOK || !strings.HasPrefix(page, "Camille ") {
		t.Errorf("HTTP %d %q", status, page)
	}
}

// A callback URL that was not registered is refused by the provider, which
// does not redirect to it.
func TestUnregisteredRedirectURI(t *testing.T) {
	ctx := testContext(t)
	op := openidtest.Start(t, openidtest.Options{RedirectURIs: []string{"https://hub.collectif.test/login/oidc/kc/callback"}})
	rp, err := openid.New(ctx, openid.Options{BaseURL: "https://elsewhere.collectif.test", Providers: []openid.ProviderConfig{op.Config("kc")}})
	if err != nil {
		t.Fatal(err)
	}
	authURL, _, err := rp.Begin(ctx, "kc")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := openidtest.NewBrowser(t).FollowUntil(ctx, authURL, "https://elsewhere.collectif.test/"); err == nil {
		t.Fatalf("provider redirected to the unregistered %s", u)
	}
}

// With Options.Clock, ID tokens are dated by the provider's clock: a hub
// on the same fake clock accepts them, one on the real clock finds them
// expired.
func TestClock(t *testing.T) {
	ctx := testContext(t)
	past := func() time.Time { return time.Now().Add(-24 * time.Hour) }
	op := openidtest.Start(t, openidtest.Options{Clock: past})
	cfg := op.Config("kc")
	const base = "https://hub.collectif.test"
	op.AddRedirectURI(base + "/login/oidc/kc/callback")
	for _, tc := range []struct {
		name   string
		now    func() time.Time
		wantOK bool
	}{
		{"hub on the provider's clock", past, true},
		{"hub on the real clock", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rp, err := openid.New(ctx, openid.Options{BaseURL: base, Providers: []openid.ProviderConfig{cfg}, Now: tc.now})
			if err != nil {
				t.Fatal(err)
			}
			authURL, p, err := rp.Begin(ctx, "kc")
			if err != nil {
				t.Fatal(err)
			}
			u, err := openidtest.NewBrowser(t).FollowUntil(ctx, authURL, base+"/")
			if err != nil {
				t.Fatal(err)
			}
			_, err = rp.Complete(ctx, p, u.Query())
			if tc.wantOK && err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if !tc.wantOK && !errors.Is(err, openid.ErrIDToken) {
				t.Fatalf("Complete: err = %v, want ErrIDToken (expired)", err)
			}
		})
	}
}

func TestSetLoginError(t *testing.T) {
	ctx := testContext(t)
	op := openidtest.Start(t, openidtest.Options{})
	h := startHub(t, func(base string) []openid.ProviderConfig {
		op.AddRedirectURI(base + "/login/oidc/kc/callback")
		return []openid.ProviderConfig{op.Config("kc")}
	}, nil)
	op.SetLoginError("login_required", "Session expirée")
	status, page := get(ctx, t, openidtest.NewBrowser(t), h.srv.URL+"/login/oidc/kc")
	if status != http.StatusForbidden || !strings.Contains(page, `"login_required"`) || !strings.Contains(page, "Session expirée") {
		t.Errorf("refused login: HTTP %d %q", status, page)
	}
	op.SetLoginError("", "")
	if status, page := get(ctx, t, openidtest.NewBrowser(t), h.srv.URL+"/login/oidc/kc"); status != http.StatusOK {
		t.Errorf("login after SetLoginError(\"\"): HTTP %d %q", status, page)
	}
}
