package main_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"collectif/store"
)

// TestRedisGoesAwayAndComesBack stops the hub's Redis under it: public
// pages, the API and writes that need no session go on, /readyz names
// Redis, browsers are served as visitors and forms say the sessions are
// unavailable; once Redis is back on the same port, the same process is
// ready again and logins work.
func TestRedisGoesAwayAndComesBack(t *testing.T) {
	rd := startRedis(t)
	h := newEnv(t, store.SQLite)
	h["COLLECTIF_REDIS_URL"] = rd.url()
	const pw = "un mot de passe assez long"
	if r := h.run(t, pw+"\n", "admin", "create-user", "--email", "camille@ville.example", "--name", "Camille", "--password-stdin", "--admin"); r.code != 0 {
		t.Fatalf("create-user: %s", r.stderr)
	}
	token := strings.TrimSpace(h.run(t, "", "admin", "create-token", "--email", "camille@ville.example", "--scope", "read,write").stdout)
	s := h.start(t)
	if code, _ := api(t, "POST", s.base+"/api/v1/collectives", token, `{"slug":"alpes","name":"Alpes","scope":"regional"}`); code != 201 {
		t.Fatalf("create = %d", code)
	}
	br := newBrowser(t)
	br.login(s, "camille@ville.example", pw)

	rd.stop(t)

	code, body, _ := s.get(t, "/readyz")
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	json.Unmarshal([]byte(body), &ready)
	if code != 503 || ready.Checks["redis"] == "ok" || ready.Checks["redis"] == "" || ready.Checks["database"] != "ok" {
		t.Fatalf("/readyz with Redis down = %d %s", code, body)
	}
	// Public pages, for visitors and for the logged-in browser (served as
	// a visitor): never a 500.
	for range 3 {
		for _, p := range []string{"/", "/c/alpes", "/api/v1/collectives/alpes", "/healthz", "/metrics"} {
			if code, _, _ := s.get(t, p); code != 200 {
				t.Fatalf("visitor GET %s with Redis down = %d", p, code)
			}
			if code, body := br.get(s.base + p); code != 200 || strings.Contains(body, "camille@ville.example") {
				t.Fatalf("browser GET %s with Redis down = %d (or served as logged in)", p, code)
			}
		}
	}
	// What needs a session says so plainly.
	if code, body := br.get(s.base + "/account"); code != 503 || !strings.Contains(body, "sessions sont momentanément indisponibles") {
		t.Fatalf("/account with Redis down = %d\n%.500s", code, body)
	}
	resp, err := br.c.PostForm(s.base+"/login", url.Values{"email": {"camille@ville.example"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("POST /login with Redis down = %d, want 503", resp.StatusCode)
	}
	// Writes that need no session go on.
	if code, m := api(t, "POST", s.base+"/api/v1/collectives", token, `{"slug":"bretagne","name":"Bretagne","scope":"regional"}`); code != 201 {
		t.Fatalf("API write with Redis down = %d %v", code, m)
	}

	rd.start(t) // same port, empty: sessions made before are gone
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body, _ = s.get(t, "/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d %s 30s after Redis came back", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	br.login(s, "camille@ville.example", pw)
	if code, body := br.get(s.base + "/account"); code != 200 || !strings.Contains(body, "camille@ville.example") {
		t.Fatalf("/account after Redis came back = %d", code)
	}
	if code, _, _ := s.get(t, "/c/bretagne"); code != 200 {
		t.Fatalf("the collective written while Redis was down = %d", code)
	}
	logs := s.drain()
	if strings.Contains(logs, "panic") {
		t.Fatalf("a panic in the logs:\n%s", logs)
	}
	s.stop(t)
}

// TestMeilisearchUnreachable: with Meilisearch configured but not
// answering, the hub starts, writes succeed, the search page says the
// search is unavailable, and the index jobs wait in the queue for it.
func TestMeilisearchUnreachable(t *testing.T) {
	h := newEnv(t, store.SQLite)
	h["COLLECTIF_MEILI_URL"] = "http://" + closedAddr(t)
	if r := h.run(t, "un mot de passe assez long\n", "admin", "create-user", "--email", "camille@ville.example", "--name", "Camille", "--password-stdin", "--admin"); r.code != 0 {
		t.Fatalf("create-user: %s", r.stderr)
	}
	token := strings.TrimSpace(h.run(t, "", "admin", "create-token", "--email", "camille@ville.example", "--scope", "read,write").stdout)
	s := h.start(t)
	if code, body, _ := s.get(t, "/readyz"); code != 503 || !strings.Contains(body, `"meilisearch"`) {
		t.Fatalf("/readyz = %d %s", code, body)
	}
	if code, m := api(t, "POST", s.base+"/api/v1/collectives", token, `{"slug":"alpes","name":"Alpes","scope":"regional"}`); code != 201 {
		t.Fatalf("write with Meilisearch down = %d %v", code, m)
	}
	if code, _, _ := s.get(t, "/c/alpes"); code != 200 {
		t.Fatalf("/c/alpes = %d", code)
	}
	if code, body, _ := s.get(t, "/search?q=alpes"); code >= 500 && code != 503 || !strings.Contains(body, "momentanément indisponible") {
		t.Fatalf("/search with Meilisearch down = %d", code)
	}
	db, err := store.Open(context.Background(), store.Options{DataDir: h["COLLECTIF_DATA_DIR"]})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The index job of the new collective has been tried and waits for
	// its retry: neither done nor given up.
	var state string
	var attempt int
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		err := db.R.QueryRowContext(context.Background(), `SELECT state, attempt FROM river_job
			WHERE kind = 'search.index' ORDER BY id DESC LIMIT 1`).Scan(&state, &attempt)
		if err == nil && attempt >= 1 && state != "running" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if attempt < 1 || (state != "retryable" && state != "available" && state != "scheduled") {
		t.Fatalf("index job: state %q after %d attempts, want waiting for a retry", state, attempt)
	}
	s.stop(t)
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

// TestPprofOnlyOnItsLoopbackAddress: /debug/pprof/ answers on
// COLLECTIF_PPROF_ADDR, not on the public listener; /metrics has the pools
// and the search latency.
func TestPprofOnlyOnItsLoopbackAddress(t *testing.T) {
	h := newEnv(t, store.SQLite)
	h["COLLECTIF_PPROF_ADDR"] = "127.0.0.1:0"
	s := h.start(t)
	var pprofAddr string
	deadline := time.Now().Add(10 * time.Second)
	for pprofAddr == "" && time.Now().Before(deadline) {
		select {
		case line := <-s.logs.ch:
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "pprof listening" {
				pprofAddr = rec.Addr
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
	if pprofAddr == "" {
		t.Fatal("no pprof listener in the logs")
	}
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		if code, _, _ := s.get(t, p); code != 404 {
			t.Errorf("public GET %s = %d, want 404", p, code)
		}
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(b.String(), "goroutine") {
		t.Fatalf("pprof GET goroutine = %d %.200s", resp.StatusCode, b.String())
	}

	s.get(t, "/search?q=alpes")
	_, metrics, _ := s.get(t, "/metrics")
	for _, want := range []string{
		`go_sql_open_connections{db_name="writer"}`,
		`go_sql_open_connections{db_name="reader"}`,
		`collectif_search_duration_seconds_count{engine="embedded",outcome="ok"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	s.stop(t)
	if _, err := net.DialTimeout("tcp", pprofAddr, time.Second); err == nil {
		t.Error("the pprof listener outlives the server")
	}
}
