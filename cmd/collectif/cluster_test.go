package main_test

// Several `collectif serve` processes on one PostgreSQL and one Redis behave
// as one hub; one node keeps serving when its Redis goes away. Each test
// starts its own redis-server on a free loopback port, so that it can stop
// it, and so that no other test shares its keys or rate-limit counts.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/store"
	"collectif/store/storetest"
)

// redisServer is a redis-server of the test's own, without persistence.
type redisServer struct {
	port string
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	r := &redisServer{port: port}
	r.start(t)
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *redisServer) url() string { return "redis://127.0.0.1:" + r.port + "/0" }

// start runs redis-server on r.port and waits until it answers PING.
func (r *redisServer) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command("redis-server", "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { c.Wait(); close(done) }(r.cmd, r.done)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r.ping() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redis-server on port %s does not answer", r.port)
}

func (r *redisServer) ping() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+r.port, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprint(c, "PING\r\n")
	b := make([]byte, 7)
	n, _ := io.ReadFull(c, b)
	return string(b[:n]) == "+PONG\r\n"
}

// stop kills redis-server (as a crash would) and waits for it to exit.
func (r *redisServer) stop(t *testing.T) {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Kill()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Errorf("redis-server %d did not exit", r.cmd.Process.Pid)
	}
	r.cmd = nil
}

// browser is a visitor with cookies; the jar ignores ports, so one browser
// carries its session cookie to every node on 127.0.0.1.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (b *browser) get(u string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post sends a form from page (for its CSRF token) to action.
func (b *browser) post(page, action string, form url.Values) (int, string) {
	b.t.Helper()
	code, body := b.get(page)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF field on %s (%d):\n%s", page, code, body)
	}
	form.Set("_csrf", m[1])
	resp, err := b.c.PostForm(action, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", action, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func (b *browser) login(node *server, email, password string) {
	b.t.Helper()
	code, body := b.post(node.base+"/login", node.base+"/login", url.Values{"email": {email}, "password": {password}})
	if code != 200 || !strings.Contains(body, email) {
		b.t.Fatalf("login on %s: %d\n%s", node.base, code, body)
	}
}

func api(t *testing.T, method, u, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestTwoNodesAsOneHub runs two `collectif serve` on the same PostgreSQL
// schema and the same Redis, each with its own data dir as on two machines.
func TestTwoNodesAsOneHub(t *testing.T) {
	if os.Getenv(storetest.EnvDatabaseURL) == "" {
		t.Skip("needs " + storetest.EnvDatabaseURL)
	}
	rd := startRedis(t)
	h := newEnv(t, store.Postgres) // a fresh, empty schema
	h["COLLECTIF_REDIS_URL"] = rd.url()
	hb := hubEnv{}
	for k, v := range h {
		hb[k] = v
	}
	hb["COLLECTIF_DATA_DIR"] = t.TempDir()
	// The command-line tools run beside, as on an administration machine:
	// the embedded search index of a data dir is one process's.
	tool := hubEnv{}
	for k, v := range h {
		tool[k] = v
	}
	tool["COLLECTIF_DATA_DIR"] = t.TempDir()

	// Both start at once on the empty schema: one applies the migrations
	// under the lock, the other waits, finds them applied, and serves.
	type started struct {
		s   *server
		err error
	}
	ch := make(chan started, 2)
	for _, env := range []hubEnv{h, hb} {
		go func() {
			s, err := env.launch(t)
			ch <- started{s, err}
		}()
	}
	var nodes []*server
	for range 2 {
		r := <-ch
		if r.err != nil {
			t.Fatalf("a node did not start beside the other on an empty database: %v", r.err)
		}
		nodes = append(nodes, r.s)
	}
	a, b := nodes[0], nodes[1]
	for _, n := range nodes {
		if code, body, _ := n.get(t, "/readyz"); code != 200 || !strings.Contains(body, `"redis":"ok"`) {
			t.Fatalf("%s /readyz = %d %s", n.base, code, body)
		}
	}
	if code, body, _ := b.get(t, "/metrics"); code != 200 || !strings.Contains(body, "collectif_db_pool_acquires_total") || !strings.Contains(body, `go_sql_open_connections{db_name="writer"}`) {
		t.Fatalf("/metrics on PostgreSQL lacks the pool figures (%d)", code)
	}
	if r := tool.run(t, "", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "nothing to apply") {
		t.Fatalf("migrations not all applied once: %s%s", r.stdout, r.stderr)
	}

	const pw = "un mot de passe assez long"
	if r := tool.run(t, pw+"\n", "admin", "create-user", "--email", "camille@ville.example", "--name", "Camille", "--password-stdin", "--admin"); r.code != 0 {
		t.Fatalf("create-user: %s", r.stderr)
	}
	token := strings.TrimSpace(tool.run(t, "", "admin", "create-token", "--email", "camille@ville.example", "--scope", "read,write").stdout)

	t.Run("a login on A is valid on B", func(t *testing.T) {
		br := newBrowser(t)
		br.login(a, "camille@ville.example", pw)
		if code, body := br.get(b.base + "/account"); code != 200 || !strings.Contains(body, "camille@ville.example") {
			t.Fatalf("/account on B = %d", code)
		}
		// Logging out on B ends the session on A too.
		if code, _ := br.post(b.base+"/account", b.base+"/logout", url.Values{}); code != 200 {
			t.Fatalf("logout on B = %d", code)
		}
		if code, body := br.get(a.base + "/account"); code != 200 || strings.Contains(body, "camille@ville.example") {
			t.Fatalf("the session ended on B is still open on A (%d)", code)
		}
	})

	t.Run("a change through A is seen through B at once", func(t *testing.T) {
		for i := range 5 {
			slug := fmt.Sprintf("alpes-%d", i)
			code, m := api(t, "POST", a.base+"/api/v1/collectives", token, `{"slug":"`+slug+`","name":"Alpes `+fmt.Sprint(i)+`","scope":"regional"}`)
			if code != 201 {
				t.Fatalf("create on A = %d %v", code, m)
			}
			if code, m := api(t, "GET", b.base+"/api/v1/collectives/"+slug, "", ""); code != 200 || m["slug"] != slug {
				t.Fatalf("B does not see %s just created on A: %d %v", slug, code, m)
			}
			if code, body, _ := b.get(t, "/"); code != 200 || !strings.Contains(body, "Alpes "+fmt.Sprint(i)) {
				t.Fatalf("B's home page lacks the collective created on A (%d)", code)
			}
		}
	})

	t.Run("a job enqueued through A runs once", func(t *testing.T) {
		br := newBrowser(t)
		br.login(a, "camille@ville.example", pw)
		code, _ := br.post(a.base+"/account", a.base+"/account/email", url.Values{"email": {"camille.nouvelle@ville.example"}, "current_password": {pw}})
		if code != 200 {
			t.Fatalf("e-mail change on A = %d", code)
		}
		db := openPostgres(t, h["COLLECTIF_DATABASE_URL"])
		var state string
		var attempt int
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			err := db.R.QueryRowContext(context.Background(), `SELECT state, attempt FROM river_job WHERE kind = 'account.email_change_mail'`).Scan(&state, &attempt)
			if err == nil && state == "completed" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if state != "completed" || attempt != 1 {
			t.Fatalf("e-mail change job: state %q after %d attempts, want completed after 1", state, attempt)
		}
		// Its two mails (to the new address, notice to the old one) were
		// written once, by whichever node ran the job.
		var changeMails []string
		for _, dir := range []string{h["COLLECTIF_DATA_DIR"], hb["COLLECTIF_DATA_DIR"]} {
			files, _ := filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
			for _, f := range files {
				if strings.HasPrefix(filepath.Base(f), "email-change-") {
					changeMails = append(changeMails, f)
				}
			}
		}
		if len(changeMails) != 2 {
			t.Fatalf("mails of the e-mail change = %v, want 2", changeMails)
		}
	})

	t.Run("a rate limit counts requests to both nodes", func(t *testing.T) {
		// login-email-ip: 5 attempts per address and IP in 10 minutes.
		br := newBrowser(t)
		try := func(n *server) int {
			code, _ := br.post(n.base+"/login", n.base+"/login", url.Values{"email": {"dominique@ville.example"}, "password": {"pas le bon mot de passe"}})
			return code
		}
		for i, n := range []*server{a, b, a, b, a} {
			if code := try(n); code != 401 {
				t.Fatalf("attempt %d = %d, want 401", i+1, code)
			}
		}
		if code := try(b); code != 429 {
			t.Fatalf("6th attempt, on B after 3 on A and 2 on B = %d, want 429", code)
		}
		if code := try(a); code != 429 {
			t.Fatalf("7th attempt, on A = %d, want 429", code)
		}
	})

	a.stop(t)
	b.stop(t)
}

func openPostgres(t *testing.T, u string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DatabaseURL: u})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
