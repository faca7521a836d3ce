package twohub

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/config"
	"collectif/hub"
	"collectif/store"
	"collectif/store/storetest"
)

// hangGuard bounds every wait for something asynchronous (a delivery, a
// job): generous, as the machine running the tests may be busy. Waits poll
// every pollEvery and end as soon as the condition holds.
const (
	hangGuard = 60 * time.Second
	pollEvery = 100 * time.Millisecond
)

// adminPassword is the password of each hub's instance administrator.
const adminPassword = "un mot de passe assez long"

// testCA is a certificate authority made for one test run, and the
// certificate it signs for localhost and 127.0.0.1.
type testCA struct {
	file string // the CA certificate, PEM, for COLLECTIF_FEDERATION_CA_FILE
	pool *x509.CertPool
	cert tls.Certificate // the server's certificate and key
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "collectif test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{file: filepath.Join(t.TempDir(), "ca.pem"), pool: x509.NewCertPool()}
	ca.pool.AddCert(caCert)
	if err := os.WriteFile(ca.file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	ca.cert = tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}
	return ca
}

// node is one running hub.
type node struct {
	t       *testing.T
	name    string
	h       *hub.Hub
	base    string // its COLLECTIF_BASE_URL
	host    string // host[:port] of base, as handles name it
	client  *http.Client
	adminID string
	token   string // API token (read, write) of the instance administrator
}

type nodeOptions struct {
	engine store.Engine
	tls    *testCA // serve over https with its certificate
	trust  *testCA // trust it for federation requests (COLLECTIF_FEDERATION_CA_FILE)
}

// startNode runs a hub as `collectif serve` does, with its workers, on a
// loopback port: over TLS, as https://localhost:PORT, when o.tls is set (a
// host name, so that other hubs reach it over https), over plain http as
// http://127.0.0.1:PORT otherwise. Both allow federation on 127.0.0.0/8.
func startNode(t *testing.T, name string, o nodeOptions) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	base := "http://127.0.0.1:" + port
	if o.tls != nil {
		base = "https://localhost:" + port
	}
	env := map[string]string{
		"COLLECTIF_ADDR":                    ln.Addr().String(),
		"COLLECTIF_BASE_URL":                base,
		"COLLECTIF_DATA_DIR":                t.TempDir(),
		"COLLECTIF_FEDERATION_ALLOWED_NETS": "127.0.0.0/8",
		"COLLECTIF_WORKERS":                 "4",
	}
	if o.engine == store.Postgres {
		env["COLLECTIF_DATABASE_URL"] = storetest.NewSchema(t)
	}
	if o.trust != nil {
		env["COLLECTIF_FEDERATION_CA_FILE"] = o.trust.file
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})).With("hub", name)
	ctx, cancel := context.WithCancel(context.Background())
	h, err := hub.Open(ctx, cfg, log, hub.Options{Workers: true, Version: "twohub"})
	if err != nil {
		cancel()
		t.Fatalf("hub %s: %v", name, err)
	}
	n := &node{t: t, name: name, h: h, base: base, host: strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")}
	tr := &http.Transport{}
	if o.tls != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{o.tls.cert}, MinVersion: tls.VersionTLS12})
		tr.TLSClientConfig = &tls.Config{RootCAs: o.tls.pool}
	}
	n.client = &http.Client{Transport: tr, Timeout: hangGuard}
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("hub %s stopped: %v", name, err)
			}
		case <-time.After(hangGuard):
			t.Errorf("hub %s did not stop", name)
		}
		if t.Failed() {
			t.Logf("logs of hub %s:\n%s", name, logs.tail(150))
		}
	})
	a, err := h.Accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: "admin@" + name + ".example",
		Name: "Admin " + strings.ToUpper(name), Password: adminPassword, Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	n.adminID = a.ID
	if n.token, _, err = h.Accounts.CreateToken(ctx, access.System(), a.ID, "twohub", "read,write"); err != nil {
		t.Fatal(err)
	}
	return n
}

// admin is the instance administrator acting through the domain (for what
// the API does not offer).
func (n *node) admin() access.Principal { return access.Account(n.adminID, true) }

// api sends a JSON request with the administrator's token (or none when
// token is "") and decodes the answer.
func (n *node) api(method, path, token string, body any) (int, map[string]any) {
	n.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.base+path, r)
	if err != nil {
		n.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := n.client.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	if m == nil {
		m = map[string]any{"_body": string(b)}
	}
	return resp.StatusCode, m
}

// mustAPI is api that fails the test on an unexpected status.
func (n *node) mustAPI(want int, method, path string, body any) map[string]any {
	n.t.Helper()
	code, m := n.api(method, path, n.token, body)
	if code != want {
		n.t.Fatalf("%s %s%s = %d %v, want %d", method, n.name, path, code, m, want)
	}
	return m
}

// page GETs an HTML page as an anonymous visitor.
func (n *node) page(path string) (int, string) {
	n.t.Helper()
	resp, err := n.client.Get(n.base + path)
	if err != nil {
		n.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// activity GETs an ActivityStreams document.
func (n *node) activity(iri string) (int, map[string]any) {
	n.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, iri, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := n.client.Do(req)
	if err != nil {
		n.t.Fatalf("GET %s: %v", iri, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// browser is someone with a session on one hub.
type browser struct {
	n *node
	c *http.Client
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login opens a session on n with the login form.
func (n *node) login(email, password string) *browser {
	n.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{n: n, c: &http.Client{Jar: jar, Transport: n.client.Transport, Timeout: hangGuard}}
	code, body := b.post("/login", "/login", url.Values{"email": {email}, "password": {password}})
	if code != 200 || !strings.Contains(body, email) {
		n.t.Fatalf("login on %s: %d\n%s", n.name, code, body)
	}
	return b
}

func (b *browser) get(path string) (int, string) {
	b.n.t.Helper()
	resp, err := b.c.Get(b.n.base + path)
	if err != nil {
		b.n.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post sends a form to action with the CSRF token of page, and follows
// the redirection.
func (b *browser) post(page, action string, form url.Values) (int, string) {
	b.n.t.Helper()
	code, body := b.get(page)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.n.t.Fatalf("no CSRF field on %s (%d):\n%s", page, code, body)
	}
	form.Set("_csrf", m[1])
	resp, err := b.c.PostForm(b.n.base+action, form)
	if err != nil {
		b.n.t.Fatalf("POST %s: %v", action, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// waitFor polls cond every 100 ms until it holds, and fails the test
// after the hang guard, saying what was awaited and what last was seen.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	last := ""
	for {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still waiting for %s; last seen: %s", hangGuard, what, last)
		}
		time.Sleep(pollEvery)
	}
}

// pageHas waits until the page at path on n contains every want.
func (n *node) pageHas(path string, want ...string) string {
	n.t.Helper()
	var body string
	waitFor(n.t, n.name+path+" showing "+strings.Join(want, ", "), func() (bool, string) {
		var code int
		code, body = n.page(path)
		for _, w := range want {
			if code != 200 || !strings.Contains(body, w) {
				return false, "status " + http.StatusText(code) + ", no " + w
			}
		}
		return true, ""
	})
	return body
}

// pageLacks waits until the page at path on n contains none of lack.
func (n *node) pageLacks(path string, lack ...string) {
	n.t.Helper()
	waitFor(n.t, n.name+path+" no longer showing "+strings.Join(lack, ", "), func() (bool, string) {
		code, body := n.page(path)
		for _, w := range lack {
			if code != 200 || strings.Contains(body, w) {
				return false, "status " + http.StatusText(code) + ", still " + w
			}
		}
		return true, ""
	})
}

// logBuffer keeps a hub's logs to show them when a test fails.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := strings.Split(strings.TrimRight(l.b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// twoHubs starts hub A, the regional one, over TLS (SQLite), and hub B,
// the national one, over plain http on PostgreSQL when the tests have one
// (SQLite otherwise), trusting A's certificate authority.
func twoHubs(t *testing.T) (a, b *node) {
	t.Helper()
	ca := newTestCA(t)
	engineB := store.SQLite
	if os.Getenv(storetest.EnvDatabaseURL) != "" {
		engineB = store.Postgres
	}
	a = startNode(t, "a", nodeOptions{engine: store.SQLite, tls: ca})
	b = startNode(t, "b", nodeOptions{engine: engineB, trust: ca})
	return a, b
}
