package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"collectif/store"
)

// TestOpenAPIDescribesEveryRoute checks that the document is OpenAPI 3 and
// that every /api/v1 route the server answers is in it, and nothing more.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	r := newRig(t, store.SQLite, rigOptions{})
	app := r.srv.App()
	resp, body := do(t, app, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("openapi.json = %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	param := regexp.MustCompile(`:([a-zA-Z]+)`)
	described := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			if m != "parameters" {
				described[strings.ToUpper(m)+" "+p] = true
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range app.GetRoutes(true) {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Path == "/api/v1/openapi.json" || rt.Method == "HEAD" {
			continue
		}
		key := rt.Method + " " + param.ReplaceAllString(strings.TrimPrefix(rt.Path, "/api/v1"), "{$1}")
		served[key] = true
		if !described[key] {
			t.Errorf("%s is served but not described", key)
		}
	}
	for k := range described {
		if !served[k] {
			t.Errorf("%s is described but not served", k)
		}
	}
}
