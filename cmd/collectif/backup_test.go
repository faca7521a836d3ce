package main_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"collectif/store"
)

// TestBackupWhileServingThenRestore follows deploy/README.md: data made
// through the binary, `collectif backup` while `collectif serve` answers
// requests, the server stopped, the backup restored into a fresh data
// directory, and the hub started on it with its data.
func TestBackupWhileServingThenRestore(t *testing.T) {
	h := newEnv(t, store.SQLite)
	data := h["COLLECTIF_DATA_DIR"]
	if r := h.run(t, "un mot de passe assez long\n", "admin", "create-user", "--email", "camille.martin@echirolles.example", "--name", "Camille Martin", "--password-stdin", "--admin"); r.code != 0 {
		t.Fatalf("create-user: exit %d\n%s", r.code, r.stderr)
	}
	if r := h.run(t, "", "demo"); r.code != 0 {
		t.Fatalf("demo: exit %d\n%s", r.code, r.stderr)
	}
	// An attachment as the resource service stores it (content-addressed),
	// and the temporary files a backup must leave out.
	content := []byte("%PDF-1.4 guide de migration\n")
	sum := sha256.Sum256(content)
	sha := hex.EncodeToString(sum[:])
	upload := filepath.Join("uploads", "resources", "files", sha[:2], sha)
	writeFile(t, filepath.Join(data, upload), content)
	writeFile(t, filepath.Join(data, "uploads", "resources", "tmp", "upload-123"), []byte("half an upload"))
	writeFile(t, filepath.Join(data, "mail", ".tmp-456"), []byte("half a mail"))

	s := h.start(t)
	// The welcome mail is sent by the server's workers; wait for it so
	// that the backup has a mail to carry.
	var mails []string
	for i := 0; len(mails) == 0 && i < 400; i++ {
		time.Sleep(50 * time.Millisecond)
		mails, _ = filepath.Glob(filepath.Join(data, "mail", "*.eml"))
	}
	if len(mails) != 1 {
		t.Fatalf("welcome mails = %v\n%s", mails, s.drain())
	}
	wantName := "Collectif des collectivités libres des Alpes"
	if code, body, _ := s.get(t, "/c/alpes"); code != 200 || !strings.Contains(body, wantName) {
		t.Fatalf("GET /c/alpes before the backup = %d", code)
	}

	// Requests in a loop (bounded) while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var served int
	var failures []string
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			deadline := time.Now().Add(60 * time.Second)
			for i := 0; i < 5000 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				path := []string{"/c/alpes", "/healthz", "/readyz", "/"}[i%4]
				resp, err := c.Get(s.base + path)
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("GET %s: %v", path, err))
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						failures = append(failures, fmt.Sprintf("GET %s: %d", path, resp.StatusCode))
					}
					served++
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond) // the loop is running

	backups := filepath.Join(t.TempDir(), "backups")
	r := h.run(t, "", "backup", backups)
	close(stop)
	wg.Wait()
	if r.code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("backup took %v (process start included) while serving %d requests: %s", r.took, served, strings.TrimSpace(r.stdout))
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed during the backup, first: %s\n%s", len(failures), served+len(failures), failures[0], s.drain())
	}
	if served == 0 {
		t.Fatal("no request was served during the backup")
	}
	if code, body, _ := s.get(t, "/c/alpes"); code != 200 || !strings.Contains(body, wantName) {
		t.Fatalf("GET /c/alpes after the backup = %d\n%s", code, s.drain())
	}
	s.stop(t)

	// One folder collectif-<UTC time>, nothing else (no temporary folder).
	entries, err := os.ReadDir(backups)
	if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "collectif-") || !strings.HasSuffix(entries[0].Name(), "Z") {
		t.Fatalf("backup folder: %v %v", entries, err)
	}
	bdir := filepath.Join(backups, entries[0].Name())
	if !strings.Contains(r.stdout, bdir) || !strings.Contains(r.stdout, "reindex") {
		t.Fatalf("stdout does not name the backup or the reindex: %s", r.stdout)
	}
	var m struct {
		CreatedAt time.Time `json:"created_at"`
		Version   string    `json:"version"`
		Engine    string    `json:"engine"`
		Schema    []string  `json:"schema"`
		Files     []struct {
			Path   string `json:"path"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	b, err := os.ReadFile(filepath.Join(bdir, "MANIFEST.json"))
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("MANIFEST.json: %v\n%s", err, b)
	}
	if m.Engine != "sqlite" || m.Version == "" || m.CreatedAt.IsZero() || len(m.Schema) == 0 {
		t.Fatalf("manifest: %+v", m)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Path] = true
		got, err := os.ReadFile(filepath.Join(bdir, filepath.FromSlash(f.Path)))
		sum := sha256.Sum256(got)
		if err != nil || int64(len(got)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("%s does not match the manifest (%v)", f.Path, err)
		}
	}
	wantMail, _ := filepath.Rel(data, mails[0])
	for _, p := range []string{store.SQLiteFile, filepath.ToSlash(upload), filepath.ToSlash(wantMail)} {
		if !listed[p] {
			t.Fatalf("%s is not in the backup; manifest: %s", p, b)
		}
	}
	for p := range listed {
		if strings.Contains(p, "/tmp/") || strings.Contains(p, ".tmp") || strings.HasPrefix(p, "search/") {
			t.Fatalf("%s should not be in the backup", p)
		}
	}
	sums, err := os.ReadFile(filepath.Join(bdir, "SHA256SUMS"))
	if err != nil || !strings.Contains(string(sums), m.Files[0].SHA256+"  "+m.Files[0].Path+"\n") {
		t.Fatalf("SHA256SUMS: %v\n%s", err, sums)
	}

	// Restore into a fresh data directory, as deploy/README.md says: the
	// database (without -wal/-shm) and uploads/ and mail/ from the backup,
	// then the search index rebuilt.
	h2 := newEnv(t, store.SQLite)
	data2 := h2["COLLECTIF_DATA_DIR"]
	copyTree(t, filepath.Join(bdir, store.SQLiteFile), filepath.Join(data2, store.SQLiteFile))
	copyTree(t, filepath.Join(bdir, "uploads"), filepath.Join(data2, "uploads"))
	copyTree(t, filepath.Join(bdir, "mail"), filepath.Join(data2, "mail"))

	// The search index is not in the backup: it is rebuilt before the
	// server starts (the embedded index is opened by one process at a time).
	if r := h2.run(t, "", "reindex"); r.code != 0 {
		t.Fatalf("reindex: exit %d\n%s", r.code, r.stderr)
	}
	s2 := h2.start(t)
	code, body, _ := s2.get(t, "/c/alpes")
	if code != 200 || !strings.Contains(body, wantName) {
		t.Fatalf("GET /c/alpes on the restored hub = %d\n%s", code, s2.drain())
	}
	if got, err := os.ReadFile(filepath.Join(data2, upload)); err != nil || string(got) != string(content) {
		t.Fatalf("the attachment was not restored: %v", err)
	}
	s2.stop(t)
	r = h2.run(t, "un autre mot de passe long\n", "admin", "create-user", "--email", "camille.martin@echirolles.example", "--name", "Autre", "--password-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, "existe déjà") {
		t.Fatalf("the restored hub does not know the account: exit %d\n%s", r.code, r.stderr)
	}
}

func TestBackupUsageAndErrors(t *testing.T) {
	h := newEnv(t, store.SQLite)
	for _, args := range [][]string{{"backup"}, {"backup", "a", "b"}, {"backup", "--no-such-flag", "a"}} {
		r := h.run(t, "", args...)
		if r.code != 2 || !strings.Contains(strings.ToLower(r.stderr), "usage") {
			t.Errorf("%v: exit %d (want 2), stderr:\n%s", args, r.code, r.stderr)
		}
	}
	oneLine := func(t *testing.T, r result, want string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		last := lines[len(lines)-1]
		if r.code != 1 || !strings.HasPrefix(last, "collectif: ") || !strings.Contains(last, want) {
			t.Fatalf("exit %d, want 1 and one line with %q; stderr:\n%s", r.code, want, r.stderr)
		}
	}
	dest := filepath.Join(t.TempDir(), "backups")
	// Nothing to back up: no database is created for it.
	oneLine(t, h.run(t, "", "backup", dest), "nothing to back up")
	if _, err := os.Stat(filepath.Join(h["COLLECTIF_DATA_DIR"], store.SQLiteFile)); err == nil {
		t.Fatal("backup created a database in an empty data directory")
	}
	// PostgreSQL: pg_dump, and nothing is connected to nor written.
	pg := newEnv(t, store.SQLite)
	pg["COLLECTIF_DATABASE_URL"] = "postgres://collectif:secret@127.0.0.1:1/collectif"
	r := pg.run(t, "", "backup", dest)
	oneLine(t, r, "pg_dump")
	if strings.Contains(r.stderr, "secret") {
		t.Fatalf("the password is in the message: %s", r.stderr)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Fatal("a backup folder was made for PostgreSQL")
	}
	// DIR under a file.
	if r := h.run(t, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: %s", r.stderr)
	}
	file := filepath.Join(t.TempDir(), "a-file")
	writeFile(t, file, []byte("x"))
	oneLine(t, h.run(t, "", "backup", filepath.Join(file, "backups")), "not a directory")
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies a file or a folder tree (cp -a, without owners).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(to, 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
			return err
		}
		return os.WriteFile(to, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
