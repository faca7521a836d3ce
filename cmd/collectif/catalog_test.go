package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"collectif/store/storetest"
)

// TestCatalogImport runs `collectif catalog import` as an operator would:
// the repository's SILL file and ours, twice (the second run changes
// nothing), then a malformed file, refused with the record at fault.
func TestCatalogImport(t *testing.T) {
	sill, ours := filepath.Join("..", "..", "catalog", "data", "sill.json"), filepath.Join("..", "..", "catalog", "data", "collectif-catalog.json")
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := newEnv(t, e)
			r := h.run(t, "", "catalog", "import", sill, ours)
			if r.code != 0 || !strings.Contains(r.stdout, "sill.json (sill.json: 240 created, 0 updated, 0 unchanged)") {
				t.Fatalf("first import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = h.run(t, "", "catalog", "import", sill, ours)
			if r.code != 0 || !strings.Contains(r.stdout, "0 created, 0 updated, 240 unchanged") || !strings.Contains(r.stdout, "collectif-catalog: 0 created, 0 updated") {
				t.Fatalf("second import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			bad := filepath.Join(t.TempDir(), "bad.json")
			os.WriteFile(bad, []byte(`[{"id":"9001","i":"Nouveau"},{"id":"oops","i":"Cassé"}]`), 0o600)
			r = h.run(t, "", "catalog", "import", bad)
			if r.code != 1 || !strings.Contains(r.stderr, "bad.json, enregistrement n° 2") {
				t.Fatalf("malformed import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = h.run(t, "", "catalog", "import", sill)
			if r.code != 0 || !strings.Contains(r.stdout, "0 created, 0 updated, 240 unchanged") {
				t.Fatalf("after the refused file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if r = h.run(t, "", "catalog"); r.code != 2 || !strings.Contains(r.stderr, "collectif-catalog") {
				t.Fatalf("usage: exit %d\n%s", r.code, r.stderr)
			}
			if r = h.run(t, "", "help"); !strings.Contains(r.stdout, "catalog import FILE") {
				t.Fatalf("help lacks the catalog command:\n%s", r.stdout)
			}
		})
	}
}
