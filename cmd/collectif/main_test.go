package main_test

// End-to-end tests of the binary: each builds nothing itself but runs the
// collectif binary built once in TestMain, as an administrator would, with a
// fresh data directory (and a fresh PostgreSQL schema when
// COLLECTIF_TEST_DATABASE_URL is set).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"collectif/store"
	"collectif/store/storetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "collectif-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "collectif")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hubEnv is the environment of one hub under test.
type hubEnv map[string]string

func newEnv(t *testing.T, e store.Engine) hubEnv {
	env := hubEnv{
		"COLLECTIF_DATA_DIR": t.TempDir(),
		"COLLECTIF_ADDR":     "127.0.0.1:0",
		"COLLECTIF_BASE_URL": "http://hub.test",
	}
	if e == store.Postgres {
		env["COLLECTIF_DATABASE_URL"] = storetest.NewSchema(t)
	}
	return env
}

func (h hubEnv) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, binary, args...)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range h {
		c.Env = append(c.Env, k+"="+v)
	}
	return c
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (h hubEnv) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := h.cmd(ctx, args...)
	var out, errb bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(stdin), &out, &errb
	start := time.Now()
	err := c.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return r
}

func TestHelpVersionAndUsageErrors(t *testing.T) {
	h := newEnv(t, store.SQLite)
	r := h.run(t, "", "help")
	for _, sub := range []string{"serve", "migrate", "admin", "version"} {
		if r.code != 0 || !strings.Contains(r.stdout, sub) {
			t.Fatalf("help: code %d, output lacks %q:\n%s", r.code, sub, r.stdout)
		}
	}
	if r := h.run(t, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "collectif ") {
		t.Fatalf("version: %+v", r)
	}
	for _, args := range [][]string{{}, {"frobnicate"}, {"serve", "--no-such-flag"}, {"admin"}, {"admin", "create-user", "--email", "a@b.fr"}, {"migrate", "extra"}} {
		r := h.run(t, "", args...)
		if r.code != 2 || !strings.Contains(strings.ToLower(r.stderr), "usage") {
			t.Errorf("%v: exit %d (want 2), stderr:\n%s", args, r.code, r.stderr)
		}
	}
}

func TestBadConfigurationFailsFastWithOneLine(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	cases := []struct {
		name, key, value string
	}{
		{"malformed base URL", "COLLECTIF_BASE_URL", "htp:/nowhere"},
		{"base URL with a path", "COLLECTIF_BASE_URL", "https://example.org/hub"},
		{"malformed listen address", "COLLECTIF_ADDR", "8080"},
		{"not a postgres URL", "COLLECTIF_DATABASE_URL", "mysql://root@127.0.0.1/test"},
		{"unreachable PostgreSQL", "COLLECTIF_DATABASE_URL", "postgres://root@127.0.0.1:1/test"},
		{"data dir under a file", "COLLECTIF_DATA_DIR", filepath.Join(file, "data")},
		{"unreachable Redis", "COLLECTIF_REDIS_URL", "redis://127.0.0.1:1/0"},
		{"malformed SMTP URL", "COLLECTIF_SMTP_URL", "mail.example.org"},
		{"unknown log level", "COLLECTIF_LOG_LEVEL", "chatty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newEnv(t, store.SQLite)
			h[c.key] = c.value
			r := h.run(t, "", "serve")
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			last := lines[len(lines)-1]
			if r.code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
			}
			if !strings.HasPrefix(last, "collectif: "+c.key+": ") {
				t.Fatalf("last line %q does not name %s", last, c.key)
			}
			if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "panic") {
				t.Fatalf("stack trace on stderr:\n%s", r.stderr)
			}
			if r.took > 10*time.Second {
				t.Fatalf("took %v to fail", r.took)
			}
			if strings.Contains(last, "secret") {
				t.Fatalf("the message leaks a password: %s", last)
			}
		})
	}
}

func TestMigrateThenNothingToApply(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := newEnv(t, e)
			r := h.run(t, "", "migrate")
			if r.code != 0 || !strings.Contains(r.stdout, "applied 0001_core") || !strings.Contains(r.stdout, "applied queue") {
				t.Fatalf("first migrate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = h.run(t, "", "migrate")
			if r.code != 0 || strings.Contains(r.stdout, "applied") || !strings.Contains(r.stdout, "nothing to apply") {
				t.Fatalf("second migrate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// server is a running `collectif serve`.
type server struct {
	cmd    *exec.Cmd
	base   string
	logs   *logLines
	waited chan error
}

// logLines holds the lines the server wrote on stderr, newest last.
type logLines struct {
	ch chan string
}

// start runs `collectif serve` and waits until it listens.
func (h hubEnv) start(t *testing.T) *server {
	t.Helper()
	s, err := h.launch(t)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launch is start for use from several goroutines: it reports instead of
// failing the test.
func (h hubEnv) launch(t *testing.T) (*server, error) {
	c := h.cmd(context.Background(), "serve")
	stderr, err := c.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: c, logs: &logLines{ch: make(chan string, 1024)}, waited: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			select {
			case s.logs.ch <- line:
			default:
			}
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "collectif listening" {
				addr <- rec.Addr
			}
		}
		s.waited <- c.Wait()
	}()
	t.Cleanup(func() {
		c.Process.Kill()
	})
	select {
	case a := <-addr:
		s.base = "http://" + a
	case err := <-s.waited:
		return nil, fmt.Errorf("serve exited before listening: %v\n%s", err, s.drain())
	case <-time.After(15 * time.Second):
		return nil, fmt.Errorf("serve did not listen within 15s\n%s", s.drain())
	}
	return s, nil
}

func (s *server) drain() string {
	var b strings.Builder
	for {
		select {
		case l := <-s.logs.ch:
			b.WriteString(l + "\n")
		default:
			return b.String()
		}
	}
}

func (s *server) get(t *testing.T, path string) (int, string, http.Header) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.waited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, s.drain())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of SIGTERM")
	}
}

func TestServeOnEmptyDataDir(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := newEnv(t, e)
			redis := os.Getenv("COLLECTIF_TEST_REDIS_URL")
			if redis != "" {
				h["COLLECTIF_REDIS_URL"] = redis
			}
			s := h.start(t)
			if code, body, _ := s.get(t, "/healthz"); code != 200 || body != "ok" {
				t.Fatalf("/healthz = %d %q", code, body)
			}
			code, body, _ := s.get(t, "/readyz")
			var ready struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal([]byte(body), &ready); err != nil || code != 200 || ready.Status != "ok" || ready.Checks["database"] != "ok" {
				t.Fatalf("/readyz = %d %s", code, body)
			}
			if redis != "" && ready.Checks["redis"] != "ok" {
				t.Fatalf("/readyz does not check Redis: %s", body)
			}
			code, body, hdr := s.get(t, "/")
			if code != 200 || !strings.Contains(body, `<html lang="fr">`) || !strings.Contains(body, "Aucun collectif") {
				t.Fatalf("home page = %d\n%s", code, body)
			}
			if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || hdr.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("security headers missing: %v", hdr)
			}
			if code, _, _ := s.get(t, "/c/inexistant"); code != 404 {
				t.Fatalf("unknown collective = %d, want 404", code)
			}
			code, body, _ = s.get(t, "/metrics")
			if code != 200 || !strings.Contains(body, `collectif_http_request_duration_seconds_count{method="GET",route="/",status="200"}`) || !strings.Contains(body, "collectif_jobs_pending") {
				t.Fatalf("/metrics = %d, lacks the HTTP or job metrics", code)
			}
			s.stop(t)
		})
	}
}

func TestCreateUserThenWelcomeMailBySecondProcess(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := newEnv(t, e)
			r := h.run(t, "un mot de passe assez long\n", "admin", "create-user", "--email", "Camille.Martin@Echirolles.example", "--name", "Camille Martin", "--password-stdin", "--admin")
			if r.code != 0 || !strings.Contains(r.stdout, "created administrator account") || !strings.Contains(r.stdout, "<camille.martin@echirolles.example>") {
				t.Fatalf("create-user: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = h.run(t, "un autre mot de passe long\n", "admin", "create-user", "--email", "camille.martin@echirolles.example", "--name", "Autre", "--password-stdin")
			if r.code != 1 || !strings.Contains(r.stderr, "existe déjà") {
				t.Fatalf("duplicate e-mail: exit %d\n%s", r.code, r.stderr)
			}
			r = h.run(t, "court\n", "admin", "create-user", "--email", "b@c.example", "--name", "B", "--password-stdin")
			if r.code != 1 || !strings.Contains(r.stderr, "--password") {
				t.Fatalf("short password: exit %d\n%s", r.code, r.stderr)
			}
			// The mail was enqueued by the command; the server's workers send it.
			mailDir := filepath.Join(h["COLLECTIF_DATA_DIR"], "mail")
			if files, _ := filepath.Glob(filepath.Join(mailDir, "*.eml")); len(files) != 0 {
				t.Fatalf("a mail was written before any worker ran: %v", files)
			}
			s := h.start(t)
			var files []string
			deadline := time.Now().Add(20 * time.Second)
			for len(files) == 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
				files, _ = filepath.Glob(filepath.Join(mailDir, "*.eml"))
			}
			if len(files) != 1 {
				t.Fatalf("welcome mails = %v, want one\n%s", files, s.drain())
			}
			b, _ := os.ReadFile(files[0])
			msg := string(b)
			if !strings.Contains(msg, "To: \"Camille Martin\" <camille.martin@echirolles.example>") || !strings.Contains(msg, "Subject: =?utf-8?q?Bienvenue_sur_hub.test?=") && !strings.Contains(msg, "Subject: Bienvenue sur hub.test") {
				t.Fatalf("welcome mail:\n%s", msg)
			}
			s.stop(t)
		})
	}
}

// TestGracefulShutdown sends SIGTERM while a request is in flight: the
// request gets its answer, then the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	h := newEnv(t, store.SQLite)
	s := h.start(t)
	addr := strings.TrimPrefix(s.base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Half a request: the server is reading it when the signal comes.
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: hub.test\r\n")
	time.Sleep(100 * time.Millisecond)
	s.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-s.waited:
		t.Fatalf("the process exited (%v) with a request in flight", err)
	default:
	}
	fmt.Fprintf(conn, "Connection: close\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("in-flight answer = %d %q", resp.StatusCode, body)
	}
	select {
	case err := <-s.waited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after the last request")
	}
	logs := s.drain()
	if !strings.Contains(logs, `"msg":"stopped"`) {
		t.Fatalf("no clean stop in the logs:\n%s", logs)
	}
	// New connections are refused once it has stopped.
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the port still accepts connections")
	}
}

// TestCreateTokenThenMe follows the API contract: a token printed by
// `collectif admin create-token` opens GET /api/v1/me.
func TestCreateTokenThenMe(t *testing.T) {
	h := newEnv(t, store.SQLite)
	if r := h.run(t, "un mot de passe assez long\n", "admin", "create-user", "--email", "partenaire@anct.example", "--name", "Dominique Partenaire", "--password-stdin"); r.code != 0 {
		t.Fatalf("create-user: %s", r.stderr)
	}
	r := h.run(t, "", "admin", "create-token", "--email", "partenaire@anct.example", "--scope", "read,write")
	token := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(token, "clf_") || strings.Contains(token, "\n") {
		t.Fatalf("create-token: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if r := h.run(t, "", "admin", "create-token", "--email", "nobody@nowhere.example"); r.code != 1 {
		t.Fatalf("token for an unknown account: exit %d", r.code)
	}
	s := h.start(t)
	req, _ := http.NewRequest("GET", s.base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 || me["email"] != "partenaire@anct.example" || me["name"] != "Dominique Partenaire" {
		t.Fatalf("GET /api/v1/me = %d %v", resp.StatusCode, me)
	}
	resp, err = http.Get(s.base + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("without a token: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s.stop(t)
}
