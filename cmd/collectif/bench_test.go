package main_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"collectif/bench"
	"collectif/store/storetest"
)

// TestBenchTinyDataset runs `collectif bench` as a user would, on a tiny
// dataset and very short runs, and checks the tool, not the speed: every
// scenario has its row, the ones this build serves were measured without
// a single error, and the others say they are not available.
func TestBenchTinyDataset(t *testing.T) {
	cases := []struct{ name, dbURL, redisURL string }{{name: "embedded"}}
	if u := os.Getenv(storetest.EnvDatabaseURL); u != "" {
		cases = append(cases, struct{ name, dbURL, redisURL string }{"postgres", u, os.Getenv("COLLECTIF_TEST_REDIS_URL")})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"bench", "--collectives", "1", "--organizations", "5", "--members", "20", "--groups", "2",
				"--posts", "30", "--resources", "50", "--software", "5", "--usages", "10", "--events", "3", "--registrations", "20",
				"--followers", "20", "-c", "2", "-d", "300ms", "--warmup", "100ms", "--runs", "1"}
			if tc.dbURL != "" {
				args = append(args, "--database-url", tc.dbURL)
			}
			if tc.redisURL != "" {
				args = append(args, "--redis-url", tc.redisURL)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, args...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("collectif bench: %v\nstderr:\n%s\nstdout:\n%s", err, errb.String(), out.String())
			}
			rows := map[string][]string{}
			for line := range strings.Lines(out.String()) {
				if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| scenario ") {
					continue
				}
				cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
				for i := range cells {
					cells[i] = strings.TrimSpace(cells[i])
				}
				rows[cells[0]] = cells
			}
			// Every scenario is served by this build: each must be measured,
			// without errors.
			served := map[string]bool{}
			for _, s := range bench.Scenarios {
				served[s.Name] = true
			}
			for _, s := range bench.Scenarios {
				r, ok := rows[s.Name]
				switch {
				case !ok:
					t.Errorf("no row for scenario %s in:\n%s", s.Name, out.String())
				case strings.HasPrefix(r[1], "not available in this build"):
					if served[s.Name] {
						t.Errorf("%s: %s, but this build serves it", s.Name, r[1])
					}
				case strings.HasPrefix(r[1], "failed"):
					t.Errorf("%s: %s", s.Name, r[1])
				case r[5] != "0":
					t.Errorf("%s: %s errors: %v", s.Name, r[5], r)
				case r[1] == "0":
					t.Errorf("%s: no request completed: %v", s.Name, r)
				}
			}
			// The burst filled the places exactly, and the fan-out reached
			// every sink host.
			if r := rows["registration-burst"]; len(r) < 10 || !strings.Contains(r[9], "500 confirmed in the database") {
				t.Errorf("registration-burst row: %v", r)
			}
			if r := rows["fan-out"]; len(r) < 10 || !strings.Contains(r[9], "20 followers on 20 hosts") || strings.Contains(r[9], "never got it") {
				t.Errorf("fan-out row: %v", r)
			}
			for _, want := range []string{"reference (Fiber, fixed 2 KB body): ", "cold start", "idle RSS"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
