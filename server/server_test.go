package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"collectif/access"
	"collectif/collective"
	"collectif/frontend"
	"collectif/model"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
)

func newServer(t *testing.T, db *store.DB) *server.Server {
	t.Helper()
	fe, err := frontend.New()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://hub.test")
	return server.New(server.Deps{
		BaseURL:     base,
		Frontend:    fe,
		Collectives: collective.New(db),
		Ready:       []server.Check{{Name: "database", Check: db.Ping}},
		Metrics:     prometheus.NewRegistry(),
		BodyLimit:   1 << 10,
	})
}

func do(t *testing.T, app *fiber.App, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := app.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestCollectivePagesShowWhatVisitorsMaySee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := collective.New(db)
		if _, err := cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Summary: "Les DSI des Alpes.", Scope: model.ScopeRegional}); err != nil {
			t.Fatal(err)
		}
		for _, g := range []collective.NewGroup{
			{Slug: "poste-linux", Name: "Migration du poste de travail sous Linux", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic},
			{Slug: "cyber", Name: "Cellule cybersécurité", JoinPolicy: model.JoinInvitation, Visibility: model.VisibilityMembers},
		} {
			if _, err := cs.CreateGroup(ctx, access.System(), "alpes", g); err != nil {
				t.Fatal(err)
			}
		}
		app := newServer(t, db).App()

		resp, body := do(t, app, httptest.NewRequest("GET", "/", nil))
		if resp.StatusCode != 200 || !strings.Contains(body, `href="/c/alpes"`) || !strings.Contains(body, "1 groupe de travail") {
			t.Fatalf("home = %d\n%s", resp.StatusCode, body)
		}
		resp, body = do(t, app, httptest.NewRequest("GET", "/c/alpes", nil))
		if resp.StatusCode != 200 || !strings.Contains(body, "<h1>Collectif des Alpes</h1>") || !strings.Contains(body, "Migration du poste de travail sous Linux") {
			t.Fatalf("collective page = %d\n%s", resp.StatusCode, body)
		}
		if strings.Contains(body, "Cellule cybersécurité") {
			t.Fatal("a members-only working group is shown to a visitor")
		}
	})
}

func TestErrorsAreClearAndSafe(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := newServer(t, db)
	app := srv.App()
	app.Get("/boom", func(c *fiber.Ctx) error { panic("secret internal detail") })

	resp, body := do(t, app, httptest.NewRequest("GET", "/c/nowhere", nil))
	if resp.StatusCode != 404 || !strings.Contains(body, "Page introuvable") && !strings.Contains(body, "collectif introuvable") {
		t.Fatalf("unknown collective = %d\n%s", resp.StatusCode, body)
	}
	resp, body = do(t, app, httptest.NewRequest("GET", "/api/v1/nothing-here", nil))
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if resp.StatusCode != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "not_found" || e.Error.Message == "" {
		t.Fatalf("API 404 = %d %s", resp.StatusCode, body)
	}

	resp, body = do(t, app, httptest.NewRequest("GET", "/boom", nil))
	if resp.StatusCode != 500 || strings.Contains(body, "secret") || !strings.Contains(body, resp.Header.Get("X-Request-Id")) {
		t.Fatalf("panic = %d, body must carry the request ID and no internal text:\n%s", resp.StatusCode, body)
	}

	// Over a real connection: fasthttp answers 413 and closes it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	r, err := http.Post("http://"+ln.Addr().String()+"/", "text/plain", strings.NewReader(strings.Repeat("x", 4096)))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 413 {
		t.Fatalf("a body over the limit = %d, want 413", r.StatusCode)
	}
}

func TestRequestIDsAndHeaders(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	app := newServer(t, db).App()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-ID", "proxy-given-id-123")
	resp, _ := do(t, app, req)
	if got := resp.Header.Get("X-Request-Id"); got != "proxy-given-id-123" {
		t.Fatalf("a sane request ID from the proxy was replaced: %q", got)
	}
	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-ID", "<script>alert(1)</script>")
	resp, _ = do(t, app, req)
	if got := resp.Header.Get("X-Request-Id"); strings.ContainsAny(got, "<>()") || len(got) < 8 {
		t.Fatalf("a hostile request ID was kept: %q", got)
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "same-origin",
		"X-Frame-Options":           "DENY",
		"Strict-Transport-Security": "max-age=31536000",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "http") {
		t.Errorf("CSP = %q: must allow no other origin", csp)
	}
}

func TestStaticAssetsAreHashedAndCachedForever(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	app := newServer(t, db).App()
	_, page := do(t, app, httptest.NewRequest("GET", "/", nil))
	i := strings.Index(page, `href="/static/style.`)
	if i < 0 {
		t.Fatalf("no hashed stylesheet link in\n%s", page)
	}
	href := page[i+6 : i+6+strings.Index(page[i+6:], `"`)]
	resp, css := do(t, app, httptest.NewRequest("GET", href, nil))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(css, "prefers-color-scheme") {
		t.Fatalf("stylesheet = %d %v", resp.StatusCode, resp.Header)
	}
	req := httptest.NewRequest("GET", href, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp, _ := do(t, app, req); resp.StatusCode != 304 {
		t.Fatalf("revalidation = %d, want 304", resp.StatusCode)
	}
	if resp, _ := do(t, app, httptest.NewRequest("GET", "/static/style.css", nil)); resp.StatusCode != 404 {
		t.Fatalf("an unhashed name = %d, want 404", resp.StatusCode)
	}
}

func TestReadyzNamesTheFailedDependency(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	fe, _ := frontend.New()
	base, _ := url.Parse("http://hub.test")
	srv := server.New(server.Deps{BaseURL: base, Frontend: fe, Collectives: collective.New(db), Ready: []server.Check{
		{Name: "database", Check: db.Ping},
		{Name: "redis", Check: func(context.Context) error { return context.DeadlineExceeded }},
	}})
	resp, body := do(t, srv.App(), httptest.NewRequest("GET", "/readyz", nil))
	if resp.StatusCode != 503 || !strings.Contains(body, `"redis":"error`) || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("/readyz = %d %s", resp.StatusCode, body)
	}
}
