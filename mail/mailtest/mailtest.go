// Package mailtest holds mail texts to golden files in tests.
//
// It imports only the standard library; only tests import it.
package mailtest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update is the -update flag of the test binaries that import this
// package: go test -update rewrites the golden files after a wanted
// change of the texts.
var update = flag.Bool("update", false, "rewrite the golden files of mail texts")

// Golden compares got with the content of file (rewriting file instead
// with -update).
func Golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}
