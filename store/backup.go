package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ErrBackupPostgres is returned by Backup on PostgreSQL, whose backups are
// made with its own tools.
var ErrBackupPostgres = errors.New("the database is PostgreSQL: back it up with pg_dump (see deploy/README.md), not with collectif backup")

// Backup writes a consistent snapshot of the embedded database to dstFile,
// a new file (an existing one is refused), while the database stays in use.
//
// It runs VACUUM INTO on the writer connection: the snapshot is one read
// transaction on the source, so with WAL other processes (a running
// `collectif serve`) keep reading and writing, and the copy holds exactly
// the transactions committed when it began. Writes of this process wait
// for the writer connection until it is done. The copy is written under a
// temporary name beside dstFile, checked (PRAGMA quick_check), synced and
// only then put in place, so dstFile is either absent or a whole database.
//
// On PostgreSQL it returns ErrBackupPostgres.
func (db *DB) Backup(ctx context.Context, dstFile string) (err error) {
	if db.engine != SQLite {
		return ErrBackupPostgres
	}
	dst, err := filepath.Abs(dstFile)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("backup: %s already exists", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	dir := filepath.Dir(dst)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("backup: %s is not a directory", dir)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, ".tmp-"+filepath.Base(dst)+"-"+hex.EncodeToString(rnd[:]))
	defer func() {
		// Whatever happened, no temporary file stays behind (nor the
		// journal files a check may have made beside it).
		for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
	}()

	// The file name is bound, not spliced into the SQL.
	if _, err := db.SQL.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return fmt.Errorf("backup: VACUUM INTO: %w", err)
	}
	if err := os.Chmod(tmp, 0o640); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := checkSnapshot(ctx, tmp); err != nil {
		return fmt.Errorf("backup: the snapshot does not check: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: sync: %w", err)
	}
	// A hard link puts the file in place without ever replacing one that
	// appeared meanwhile; the rename is for file systems without links.
	if err := os.Link(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("backup: %s already exists", dst)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("backup: sync %s: %w", dir, err)
	}
	return nil
}

// checkSnapshot opens the copy read-only, alone, and runs quick_check on it.
func checkSnapshot(ctx context.Context, path string) error {
	// immutable=1: nothing else has the file, so no lock and no -shm/-wal.
	c, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	rows, err := c.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
