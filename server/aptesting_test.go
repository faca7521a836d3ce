package server_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"collectif/store"
	"collectif/store/storetest"
)

// TestActivityPubTestingActor runs the actor checks of the npm package
// activitypub-testing (through npx, not vendored) against a local group
// actor. It needs node and the npm registry, so it runs when
// COLLECTIF_AP_TESTING=1 (as .ci/run sets) and skips otherwise.
func TestActivityPubTestingActor(t *testing.T) {
	if os.Getenv("COLLECTIF_AP_TESTING") != "1" {
		t.Skip("COLLECTIF_AP_TESTING is not 1")
	}
	if _, err := exec.LookPath("npx"); err != nil {
		t.Fatal("npx not found: install node and npm")
	}
	fr := newFedRig(t, storetest.Open(t, store.SQLite), fedOptions{})
	actor := fr.base + "/c/alpes/g/sig"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npx", "-y", "activitypub-testing@0.16.1", "test", "actor", actor, "--output=json-seq")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("activitypub-testing: %v\n%s", err, out)
	}
	// json-seq (RFC 7464): records start with an ASCII record separator.
	// The other JSON outputs compact the results with a JSON-LD context
	// fetched from the package's web site, which need not be reachable.
	passed, failed := 0, 0
	for _, rec := range strings.Split(string(out), "\x1e") {
		rec = strings.TrimSpace(rec)
		if !strings.HasPrefix(rec, "{") {
			continue
		}
		var a struct {
			Result struct{ Outcome, Info string }
			Test   struct{ Slug string }
		}
		if err := json.Unmarshal([]byte(rec), &a); err != nil {
			t.Fatalf("output: %v\n%s", err, rec)
		}
		t.Logf("%-12s %s %s", a.Result.Outcome, a.Test.Slug, a.Result.Info)
		switch a.Result.Outcome {
		case "passed":
			passed++
		case "failed":
			failed++
			t.Errorf("check %s failed: %s", a.Test.Slug, a.Result.Info)
		}
	}
	if passed == 0 && failed == 0 {
		t.Fatalf("no check ran:\n%s", out)
	}
}
