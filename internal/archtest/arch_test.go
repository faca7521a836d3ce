// Package archtest checks the direction of imports written in
// ARCHITECTURE.md, so that a shortcut that makes a lower layer depend on a
// higher one fails the build's tests instead of creeping in.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Imports    []string
}

// allowed lists, for each package (or prefix ending in "/"), the module
// packages it may import. A package not listed may import anything below
// cmd/ and hub/.
var allowed = map[string][]string{
	"collectif/model":                {},
	"collectif/fault":                {},
	"collectif/requestid":            {},
	"collectif/access":               {"collectif/model"},
	"collectif/password":             {},
	"collectif/migrations":           {},
	"collectif/config":               {},
	"collectif/frontend":             {},
	"collectif/kv":                   {},
	"collectif/mail":                 {},
	"collectif/openid":               {},
	"collectif/territory":            {},
	"collectif/search/":              {"collectif/search", "collectif/search/"},
	"collectif/search":               {},
	"collectif/outbox":               {},
	"collectif/federation/signature": {},
	"collectif/federation/ap":        {},
	"collectif/openid/openidtest":    {"collectif/openid"},
	"collectif/directory":            {"collectif/fault", "collectif/model", "collectif/store", "collectif/territory"},
	"collectif/store":                {"collectif/model", "collectif/migrations"},
	"collectif/jobs":                 {"collectif/store", "collectif/requestid"},
	"collectif/federation/delivery": {"collectif/access", "collectif/cursor", "collectif/fault", "collectif/federation/signature",
		"collectif/jobs", "collectif/model", "collectif/store"},
}

// never says which packages no other package may import.
var never = []string{"collectif/cmd/", "collectif/hub"}

// edges are what domain packages must not import.
var edges = []string{"collectif/server", "collectif/federation", "collectif/hub", "collectif/cmd/"}

var domain = []string{"collectif/account", "collectif/collective", "collectif/directory", "collectif/discussion", "collectif/resource", "collectif/demo"}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "collectif/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, "collectif/") {
				continue
			}
			for _, n := range never {
				if matches(imp, n) && !matches(p.ImportPath, "collectif/cmd/") {
					t.Errorf("%s imports %s: only the binary may", p.ImportPath, imp)
				}
			}
			if rule, ok := ruleFor(p.ImportPath); ok && !contains(rule, imp) {
				t.Errorf("%s imports %s, which is above it (allowed: %v)", p.ImportPath, imp, rule)
			}
			for _, d := range domain {
				if matches(p.ImportPath, d) {
					for _, e := range edges {
						if matches(imp, e) {
							t.Errorf("domain package %s imports the edge %s", p.ImportPath, imp)
						}
					}
				}
			}
		}
	}
}

func matches(path, pattern string) bool {
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(path, pattern)
	}
	return path == pattern
}

func ruleFor(path string) ([]string, bool) {
	if r, ok := allowed[path]; ok {
		return r, true
	}
	for k, r := range allowed {
		if strings.HasSuffix(k, "/") && strings.HasPrefix(path, k) {
			return r, true
		}
	}
	return nil, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s || strings.HasSuffix(x, "/") && strings.HasPrefix(s, x) {
			return true
		}
	}
	return false
}
