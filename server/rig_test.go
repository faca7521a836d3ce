package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/catalog"
	"collectif/collective"
	"collectif/directory"
	"collectif/federation"
	"collectif/federation/delivery"
	"collectif/frontend"
	"collectif/jobs"
	"collectif/kv"
	"collectif/model"
	"collectif/openid"
	"collectif/password"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
	"collectif/territory"
)

// rig is a hub's web server on loopback over a real database.
type rig struct {
	t        *testing.T
	db       *store.DB
	accounts *account.Service
	kv       kv.Backend
	srv      *server.Server
	base     string
}

// fastPasswords keeps the rules, not the cost, of argon2id in tests.
var fastPasswords = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var territories *territory.Index

func refData(t testing.TB) *territory.Index {
	if territories == nil {
		var err error
		if territories, err = territory.Load(); err != nil {
			t.Fatal(err)
		}
	}
	return territories
}

type rigOptions struct {
	db        *store.DB
	kv        kv.Backend
	providers []openid.ProviderConfig
	proxies   []string // trusted reverse proxies
	delivery  *delivery.Service
	// fed builds the federation service; nil: one with an insert-only queue.
	fed func(base *url.URL, db *store.DB) *federation.Service
	// catalog, when set, serves the catalog's pages.
	catalog *catalog.Service
	// deps completes the server's dependencies (services a test needs).
	deps func(d *server.Deps)
}

func newRig(t *testing.T, e store.Engine, o rigOptions) *rig {
	t.Helper()
	ctx := context.Background()
	db := o.db
	if db == nil {
		db = storetest.Open(t, e)
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	backend := o.kv
	if backend == nil {
		backend = kv.NewMemory(kv.Options{})
		t.Cleanup(func() { backend.Close() })
	}
	dir := directory.New(db, refData(t))
	accounts := account.New(account.Deps{DB: db, Queue: q, Password: fastPasswords, Directory: dir})
	fe, err := frontend.New()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	var rp *openid.RP
	if len(o.providers) > 0 {
		if rp, err = openid.New(ctx, openid.Options{Providers: o.providers, BaseURL: base.String()}); err != nil {
			t.Fatal(err)
		}
	}
	fed := federation.New(federation.Deps{DB: db, BaseURL: base})
	fed.SetQueue(q)
	if o.fed != nil {
		fed = o.fed(base, db)
	}
	deps := server.Deps{BaseURL: base, Frontend: fe, Collectives: collective.New(db), Accounts: accounts,
		Directory: dir, KV: backend, OpenID: rp, TrustedProxies: o.proxies, Delivery: o.delivery, Federation: fed, Catalog: o.catalog}
	if o.deps != nil {
		o.deps(&deps)
	}
	srv := server.New(deps)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return &rig{t: t, db: db, accounts: accounts, kv: backend, srv: srv, base: base.String()}
}

func (r *rig) user(email string, admin bool) *model.Account {
	r.t.Helper()
	a, err := r.accounts.CreateLocal(context.Background(), access.System(), account.NewLocal{Email: email, Name: "Camille Martin", Password: "un mot de passe long", Admin: admin})
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

// browser is a person's browser: cookies, no JavaScript, redirects followed.
type browser struct {
	t testing.TB
	c *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

type page struct {
	status int
	body   string
	url    string
	header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: string(body), url: resp.Request.URL.String(), header: resp.Header}
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf returns the anti-forgery token of a page's forms.
func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field on %s:\n%s", p.url, p.body)
	}
	return m[1]
}

// login fills the login form as a person would.
func (b *browser) login(base, email, pw string) page {
	b.t.Helper()
	lp := b.get(base + "/login")
	return b.post(base+"/login", url.Values{"_csrf": {lp.csrf(b.t)}, "email": {email}, "password": {pw}})
}

func redisBackend(t *testing.T) kv.Backend {
	u := os.Getenv("COLLECTIF_TEST_REDIS_URL")
	if u == "" {
		t.Skip("COLLECTIF_TEST_REDIS_URL is not set")
	}
	ns := "test-" + model.NewID()
	r, err := kv.NewRedis(context.Background(), u, kv.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.DeletePrefix(context.Background(), "")
		r.Close()
	})
	return r
}

// newBenchRig starts a server for a benchmark and returns its base URL.
func newBenchRig(b *testing.B, db *store.DB, providers []openid.ProviderConfig) string {
	b.Helper()
	ctx := context.Background()
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	dir := directory.New(db, refData(b))
	accounts := account.New(account.Deps{DB: db, Queue: q, Password: fastPasswords, Directory: dir})
	fe, _ := frontend.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	rp, err := openid.New(ctx, openid.Options{Providers: providers, BaseURL: base.String()})
	if err != nil {
		b.Fatal(err)
	}
	backend := kv.NewMemory(kv.Options{})
	srv := server.New(server.Deps{BaseURL: base, Frontend: fe, Collectives: collective.New(db), Accounts: accounts, Directory: dir, KV: backend, OpenID: rp})
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown(context.Background()); backend.Close() })
	return base.String()
}

func benchAccounts(b *testing.B, db *store.DB) *account.Service {
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return account.New(account.Deps{DB: db, Queue: q, Password: fastPasswords, Directory: directory.New(db, refData(b))})
}

func accountNew(email string) account.NewLocal {
	return account.NewLocal{Email: email, Name: "Camille Martin", Password: "un mot de passe long"}
}
