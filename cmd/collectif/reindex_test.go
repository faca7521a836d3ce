package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"collectif/store"
)

// TestReindexWhileServing runs `collectif reindex` while `collectif serve`
// holds the embedded index and receives writes: the command builds a new
// index beside the live one, the server switches to it, and searches find
// the documents written before, during and after the rebuild.
func TestReindexWhileServing(t *testing.T) {
	h := newEnv(t, store.SQLite)
	if r := h.run(t, "", "demo"); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	s := h.start(t)
	defer s.stop(t)
	// A command-line tool works while the server holds the index.
	r := h.run(t, "", "admin", "create-token", "--email", "alix.fictif@demo.example", "--scope", "read,write")
	if r.code != 0 {
		t.Fatalf("create-token while serving: exit %d\n%s", r.code, r.stderr)
	}
	token := strings.TrimSpace(r.stdout)
	client := &http.Client{Timeout: 10 * time.Second}
	do := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	titles := func(q string) []string {
		code, b := do("GET", "/api/v1/search?per_page=100&q="+url.QueryEscape(q), "")
		if code != 200 {
			t.Fatalf("search %q: %d %s", q, code, b)
		}
		var res struct {
			Hits []struct{ Title string }
		}
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.Title)
		}
		return out
	}
	waitFor := func(q string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := titles(q)
			missing := []string{}
			for _, w := range want {
				if !contains(got, w) {
					missing = append(missing, w)
				}
			}
			if len(missing) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("search %q: %v not found within 30 s; got %v\n%s", q, missing, got, s.drain())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	const old = "Dimensionner un serveur BigBlueButton"
	waitFor("BigBlueButton", old)

	// Writes before, during and after the rebuild.
	write := func(n int) string {
		title := fmt.Sprintf("Note de recette zygomorphe %d", n)
		code, b := do("POST", "/api/v1/resources", fmt.Sprintf(`{"collective":"alpes","type":"guide","title":%q,"body":"Écrite pendant la reconstruction de l'index."}`, title))
		if code != 201 {
			t.Errorf("create resource: %d %s", code, b)
		}
		return title
	}
	var written []string
	written = append(written, write(0))
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; n <= 5; n++ {
			title := write(n)
			mu.Lock()
			written = append(written, title)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	r = h.run(t, "", "reindex")
	wg.Wait()
	written = append(written, write(6))
	if r.code != 0 {
		t.Fatalf("reindex while serving: exit %d\n%s\n%s", r.code, r.stderr, s.drain())
	}
	if !strings.Contains(r.stdout, "reindexed") || !strings.Contains(r.stdout, "on embedded") {
		t.Errorf("reindex output lacks its summary:\n%s", r.stdout)
	}
	for _, typ := range []string{"resource", "topic", "member", "collective"} {
		if !strings.Contains(r.stdout, "  "+typ+" ") {
			t.Errorf("reindex output lacks the count of %s:\n%s", typ, r.stdout)
		}
	}
	waitFor("BigBlueButton", old)
	waitFor("zygomorphe", written...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
