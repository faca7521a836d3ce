package hub_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"collectif/config"
	"collectif/demo"
	"collectif/hub"
	"collectif/search/meili/meilistandin"
	"collectif/store/storetest"
)

// TestMeilisearchOutage stops the search engine under a running hub
// (the Meilisearch stand-in of search/meili/meilistandin, stopped and
// restarted on the same address — a stand-in, not Meilisearch): writes
// succeed, /readyz names meilisearch, the search page says search is
// unavailable instead of failing, and once the engine is back the queued
// index jobs catch up without losing a change.
func TestMeilisearchOutage(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			const key = "stand-in-key"
			si := meilistandin.New(t, key)
			opts := storetest.Options(t, e)
			env := map[string]string{"COLLECTIF_DATA_DIR": t.TempDir(), "COLLECTIF_DATABASE_URL": opts.DatabaseURL,
				"COLLECTIF_MEILI_URL": si.URL(), "COLLECTIF_MEILI_KEY": key, "COLLECTIF_WORKERS": "4"}
			cfg, err := config.FromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h, err := hub.Open(ctx, cfg, nil, hub.Options{Workers: true})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- h.Serve(ctx, ln) }()
			defer func() {
				cancel()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					t.Error("the hub did not stop")
				}
			}()
			base := "http://" + ln.Addr().String()
			client := &http.Client{Timeout: 10 * time.Second}
			get := func(path string) (int, string) {
				t.Helper()
				resp, err := client.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if code, body := get("/readyz"); code != 200 {
				t.Fatalf("/readyz with the engine up: %d %s", code, body)
			}

			// The engine goes down; the hub is written to meanwhile.
			si.Stop()
			if _, err := demo.Load(ctx, h.DemoDeps()); err != nil {
				t.Fatalf("writes while the search engine is down: %v", err)
			}
			code, body := get("/readyz")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "meilisearch") {
				t.Errorf("/readyz with the engine down: %d %s", code, body)
			}
			code, body = get("/search?q=Linux")
			if code != 200 || !strings.Contains(body, "la recherche est momentanément indisponible") {
				t.Errorf("search page with the engine down: %d\n%s", code, body)
			}
			if code, body := get("/api/v1/search?q=Linux"); code != http.StatusServiceUnavailable {
				t.Errorf("search API with the engine down: %d %s", code, body)
			}

			// Back: the queued index jobs catch up (River retries the failed
			// ones after its back-off, a few seconds here).
			if err := si.Restart(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(90 * time.Second)
			for {
				code, body := get("/api/v1/search?per_page=100&q=Linux")
				var res struct {
					Total int
					Hits  []struct{ Title string }
				}
				_ = json.Unmarshal([]byte(body), &res)
				found := false
				for _, h := range res.Hits {
					if strings.Contains(h.Title, "postes sous Linux") || strings.Contains(h.Title, "Linux") {
						found = true
					}
				}
				if code == 200 && found {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the demo documents written during the outage are not searchable 90 s after the engine came back: %d %s", code, body)
				}
				time.Sleep(200 * time.Millisecond)
			}
			if code, body := get("/readyz"); code != 200 {
				t.Errorf("/readyz once the engine is back: %d %s", code, body)
			}
			if len(si.StoredDocIDs("collectif")) == 0 {
				t.Errorf("nothing stored in the stand-in's index")
			}
		})
	}
}
