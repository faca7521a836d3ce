package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"collectif/config"
	"collectif/store"
)

const backupUsage = `Usage:
  collectif backup DIR

Makes a consistent copy of the embedded database and of the data directory's
uploads/ and mail/ in DIR/collectif-<UTC time>/, while the server runs, with
MANIFEST.json and SHA256SUMS. The search index is not copied: after a restore,
rebuild it with collectif reindex. On PostgreSQL, use pg_dump instead.
Restore: see deploy/README.md.
`

// backupDirs are the folders of the data directory that a backup copies
// beside the database. The search index ("search") is left out: it is
// rebuilt from the database.
var backupDirs = []string{"uploads", "mail"}

// manifest is MANIFEST.json, written last: a backup without it is not whole.
type manifest struct {
	CreatedAt time.Time      `json:"created_at"`
	Version   string         `json:"version"`
	Engine    string         `json:"engine"`
	Schema    []string       `json:"schema"`   // migrations applied in the snapshot
	DataDir   string         `json:"data_dir"` // where it was taken from
	TookMS    int64          `json:"took_ms"`
	Files     []manifestFile `json:"files"`
	Omitted   string         `json:"omitted"`
}

type manifestFile struct {
	Path   string `json:"path"` // slash-separated, relative to the backup
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func backupCmd(ctx context.Context, args []string, e env) error {
	flags := newFlagSet("backup", e)
	flags.Usage = func() { fmt.Fprint(flags.Output(), backupUsage) }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if flags.NArg() != 1 || flags.Arg(0) == "" {
		if flags.NArg() == 0 {
			fmt.Fprintln(e.stderr, "collectif backup: DIR is required")
		} else {
			fmt.Fprintf(e.stderr, "collectif backup: one DIR only, got %d arguments\n", flags.NArg())
		}
		flags.Usage()
		return errUsage
	}
	dest := flags.Arg(0)
	cfg, log, err := loadConfig(e)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return &config.Error{Var: "COLLECTIF_DATABASE_URL", Cause: store.ErrBackupPostgres.Error() +
			"; uploads/ in the data directory are plain files to copy (see deploy/README.md)"}
	}
	dbFile := filepath.Join(cfg.DataDir, store.SQLiteFile)
	if fi, err := os.Stat(dbFile); err != nil || !fi.Mode().IsRegular() {
		// Opening would create an empty database: there is nothing to save.
		return &config.Error{Var: "COLLECTIF_DATA_DIR", Cause: fmt.Sprintf("no embedded database %s: nothing to back up", dbFile)}
	}

	start := time.Now()
	stamp := start.UTC().Format("20060102T150405Z")
	if err := os.MkdirAll(dest, 0o750); err != nil {
		return fmt.Errorf("backup: cannot create %s: %w", dest, unwrapPath(err))
	}
	final := filepath.Join(dest, "collectif-"+stamp)
	if _, err := os.Lstat(final); err == nil {
		return fmt.Errorf("backup: %s already exists", final)
	}
	// Everything is written in a temporary folder renamed at the end, so a
	// collectif-* folder is always a whole backup.
	var rnd [6]byte
	rand.Read(rnd[:])
	work := filepath.Join(dest, ".tmp-collectif-"+stamp+"-"+hex.EncodeToString(rnd[:]))
	if err := os.Mkdir(work, 0o750); err != nil {
		return fmt.Errorf("backup: %w", unwrapPath(err))
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(work)
		}
	}()

	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return &config.Error{Var: "COLLECTIF_DATA_DIR", Cause: "cannot open the database: " + err.Error()}
	}
	defer db.Close()

	// Uploads are immutable once in place: they are copied before the
	// snapshot and the copy is completed after it, so that every file the
	// snapshot refers to is in the backup, even one written meanwhile.
	c := &copier{log: log}
	for _, d := range backupDirs {
		if err := c.tree(filepath.Join(cfg.DataDir, d), filepath.Join(work, d)); err != nil {
			return err
		}
	}
	dbStart := time.Now()
	if err := db.Backup(ctx, filepath.Join(work, store.SQLiteFile)); err != nil {
		return err
	}
	log.Info("database snapshot taken", "took", time.Since(dbStart).String())
	for _, d := range backupDirs {
		if err := c.tree(filepath.Join(cfg.DataDir, d), filepath.Join(work, d)); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	m := manifest{
		CreatedAt: start.UTC(),
		Version:   versionString(),
		Engine:    string(store.SQLite),
		DataDir:   cfg.DataDir,
		Omitted:   "search index (" + filepath.Join(cfg.DataDir, "search") + "): rebuild it with collectif reindex after a restore",
	}
	if m.Schema, err = snapshotSchema(ctx, filepath.Join(work, store.SQLiteFile)); err != nil {
		return fmt.Errorf("backup: read the snapshot: %w", err)
	}
	if m.Files, err = hashTree(ctx, work); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	m.TookMS = time.Since(start).Milliseconds()
	if err := writeManifest(work, m); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(work, final); err != nil {
		return fmt.Errorf("backup: %w", unwrapPath(err))
	}
	done = true
	syncPath(dest)

	var total int64
	for _, f := range m.Files {
		total += f.Size
	}
	log.Info("backup written", "dir", final, "files", len(m.Files), "bytes", total,
		"linked", c.linked, "copied", c.copied, "took", time.Since(start).String())
	files := "files"
	if len(m.Files) == 1 {
		files = "file"
	}
	fmt.Fprintf(e.stdout, "backup written to %s: %d %s, %s, in %s\n", final, len(m.Files), files, humanBytes(total), time.Since(start).Round(time.Millisecond))
	fmt.Fprintln(e.stdout, "the search index is not in it: after a restore, run collectif reindex")
	return nil
}

// copier copies a folder tree, hard-linking files when it can (same file
// system: no space used, and safe because the files are never changed in
// place) and copying them otherwise.
type copier struct {
	log            interface{ Warn(string, ...any) }
	linked, copied int
	noLink         bool // linking failed once: copy from then on
}

// skipTemporary tells whether a file or folder is temporary: mail files being
// written (".tmp-*"), unfinished uploads (a "tmp" folder).
func skipTemporary(name string, dir bool) bool {
	return strings.HasPrefix(name, ".tmp") || (dir && name == "tmp")
}

// tree copies src into dst, keeping what dst already has (a second pass
// adds only the new files). A missing src is not an error.
func (c *copier) tree(src, dst string) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != src {
				return nil // removed while walking (a temporary file)
			}
			return fmt.Errorf("backup: %w", unwrapPath(err))
		}
		rel, _ := filepath.Rel(src, p)
		if p != src && skipTemporary(d.Name(), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if err := os.MkdirAll(to, 0o750); err != nil {
				return fmt.Errorf("backup: %w", unwrapPath(err))
			}
			return nil
		case !d.Type().IsRegular():
			c.log.Warn("backup: not a regular file, left out", "path", p)
			return nil
		}
		if _, err := os.Lstat(to); err == nil {
			return nil // copied in the first pass
		}
		if !c.noLink {
			if err := os.Link(p, to); err == nil {
				c.linked++
				return nil
			} else if errors.Is(err, fs.ErrNotExist) {
				return nil // removed since the walk saw it
			}
			c.noLink = true
		}
		err = copyFile(p, to)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("backup: copy %s: %w", p, unwrapPath(err))
		}
		c.copied++
		return nil
	})
}

func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	if _, err = io.Copy(out, in); err != nil {
		return err
	}
	if err = out.Sync(); err != nil {
		return err
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

// hashTree lists every file under root with its size and SHA-256, sorted,
// and syncs the folders so that the links and names are on disk.
func hashTree(ctx context.Context, root string) ([]manifestFile, error) {
	var files []manifestFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return syncPath(p)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, manifestFile{Path: filepath.ToSlash(rel), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// writeManifest writes MANIFEST.json and SHA256SUMS (for sha256sum -c).
func writeManifest(dir string, m manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	var sums strings.Builder
	for _, f := range m.Files {
		fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, f.Path)
	}
	for name, data := range map[string][]byte{"SHA256SUMS": []byte(sums.String()), "MANIFEST.json": append(b, '\n')} {
		if err := writeSynced(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return syncPath(dir)
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// snapshotSchema lists the migrations recorded in the snapshot.
func snapshotSchema(ctx context.Context, path string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&immutable=1")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// unwrapPath keeps "path: cause" of an *fs.PathError, without the operation.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
