package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"collectif/store"
	"collectif/store/storetest"
)

// TestMigrateDataDemoToPostgres moves the demonstration hub from the
// embedded database to a fresh PostgreSQL schema with `collectif
// migrate-data`, then serves both and compares what they answer.
func TestMigrateDataDemoToPostgres(t *testing.T) {
	if os.Getenv(storetest.EnvDatabaseURL) == "" {
		t.Skip("needs " + storetest.EnvDatabaseURL)
	}
	lite := newEnv(t, store.SQLite)
	const pw = "un mot de passe assez long"
	if r := lite.runLong(t, pw+"\n", "admin", "create-user", "--email", "admin@hub.example", "--name", "Admin", "--password-stdin", "--admin"); r.code != 0 {
		t.Fatalf("create-user: %s", r.stderr)
	}
	if r := lite.runLong(t, "", "demo"); r.code != 0 {
		t.Fatalf("demo: %s%s", r.stdout, r.stderr)
	}
	token := strings.TrimSpace(lite.runLong(t, "", "admin", "create-token", "--email", "admin@hub.example").stdout)

	target := storetest.NewSchema(t)
	if r := lite.runLong(t, "", "migrate-data"); r.code != 2 {
		t.Fatalf("without --to: exit %d, want 2", r.code)
	}
	r := lite.runLong(t, "", "migrate-data", "--to", target)
	if r.code != 0 || !strings.Contains(r.stdout, "every count matches") {
		t.Fatalf("migrate-data: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("migrate-data of the demo data took %s:\n%s", r.took, r.stdout)

	// Every table of the embedded database has its count in the target.
	src, err := store.Open(context.Background(), store.Options{DataDir: lite["COLLECTIF_DATA_DIR"]})
	if err != nil {
		t.Fatal(err)
	}
	dst := openPostgres(t, target)
	rows, err := src.R.QueryContext(context.Background(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	printed := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			printed[f[0]] = f[1] + " " + f[2]
		}
	}
	for _, tb := range tables {
		if tb == "schema_migrations" || tb == "river_migration" || tb == "river_leader" {
			continue
		}
		var a, b int64
		if err := src.R.QueryRowContext(context.Background(), `SELECT count(*) FROM "`+tb+`"`).Scan(&a); err != nil {
			t.Fatal(err)
		}
		if err := dst.R.QueryRowContext(context.Background(), `SELECT count(*) FROM "`+tb+`"`).Scan(&b); err != nil {
			t.Fatalf("table %s is not in the target: %v", tb, err)
		}
		if a != b {
			t.Errorf("table %s: %d rows in SQLite, %d in PostgreSQL", tb, a, b)
		}
		if want := strconv.FormatInt(a, 10) + " " + strconv.FormatInt(b, 10); printed[tb] != want {
			t.Errorf("printed counts of %s = %q, want %q", tb, printed[tb], want)
		}
	}
	src.Close()
	for _, tb := range []string{"accounts", "collectives", "memberships", "topics", "replies", "resources", "river_job"} {
		if _, ok := printed[tb]; !ok {
			t.Errorf("table %s not copied (printed: %v)", tb, printed)
		}
	}

	// A second run refuses the target that now holds rows, and says how
	// to proceed; --replace copies again.
	r = lite.runLong(t, "", "migrate-data", "--to", target)
	if r.code != 1 || !strings.Contains(r.stderr, "not empty") || !strings.Contains(r.stderr, "--replace") {
		t.Fatalf("second run: exit %d\n%s", r.code, r.stderr)
	}
	if r = lite.runLong(t, "", "migrate-data", "--to", target, "--replace"); r.code != 0 {
		t.Fatalf("--replace: exit %d\n%s", r.code, r.stderr)
	}

	// The hub on PostgreSQL, with the uploads moved and the index rebuilt,
	// answers what the embedded one answers.
	pg := newEnv(t, store.SQLite)
	pg["COLLECTIF_DATABASE_URL"] = target
	if up := filepath.Join(lite["COLLECTIF_DATA_DIR"], "uploads"); dirExists(up) {
		if out, err := exec.Command("cp", "-a", up, pg["COLLECTIF_DATA_DIR"]).CombinedOutput(); err != nil {
			t.Fatalf("cp uploads: %v %s", err, out)
		}
	}
	if r := pg.runLong(t, "", "reindex"); r.code != 0 {
		t.Fatalf("reindex: %s", r.stderr)
	}
	a, b := lite.start(t), pg.start(t)
	get := func(s *server, path string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", s.base+path, nil)
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s%s = %d %s", s.base, path, resp.StatusCode, body)
		}
		return string(body)
	}
	same := func(path string) string {
		t.Helper()
		x, y := get(a, path), get(b, path)
		if x != y {
			t.Errorf("GET %s differs:\nSQLite:     %.400s\nPostgreSQL: %.400s", path, x, y)
		}
		return x
	}
	var list struct {
		Items []struct {
			Slug, Name string
		}
	}
	json.Unmarshal([]byte(same("/api/v1/collectives")), &list)
	if len(list.Items) == 0 {
		t.Fatal("no collective in the demo")
	}
	for _, c := range list.Items {
		same("/api/v1/collectives/" + c.Slug)
		same("/api/v1/collectives/" + c.Slug + "/members")
		var groups struct {
			Groups []struct{ Slug string }
		}
		json.Unmarshal([]byte(same("/api/v1/collectives/"+c.Slug+"/groups")), &groups)
		for _, g := range groups.Groups {
			same("/api/v1/collectives/" + c.Slug + "/groups/" + g.Slug + "/topics")
		}
		if page := get(b, "/c/"+c.Slug); !strings.Contains(page, htmlEscape(c.Name)) {
			t.Errorf("page /c/%s on PostgreSQL lacks %q", c.Slug, c.Name)
		}
	}
	resources := same("/api/v1/resources")
	if !strings.Contains(resources, `"id"`) {
		t.Errorf("no resource in the demo: %.300s", resources)
	}
	// Attachments are served from the moved uploads.
	for _, m := range regexp.MustCompile(`"/files/[^"]+"`).FindAllString(resources, 3) {
		get(b, strings.Trim(m, `"`))
	}
	// The search index rebuilt from PostgreSQL finds the demo.
	if page := get(b, "/search?q=alpes"); !strings.Contains(page, "/c/alpes") {
		t.Errorf("search on PostgreSQL finds nothing for alpes")
	}
	a.stop(t)
	b.stop(t)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// runLong is run with room for the demo's password hashing.
func (h hubEnv) runLong(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := h.cmd(ctx, args...)
	var out, errb strings.Builder
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

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
