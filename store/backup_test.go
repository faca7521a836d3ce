package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"collectif/store"
	"collectif/store/storetest"
)

// TestBackupWhileWriting snapshots a database that another handle (as a
// running server would) keeps writing to: the snapshot is a valid database,
// holds every transaction committed before the backup began, and holds
// whole transactions only.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	opts := storetest.Options(t, store.SQLite)
	db, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Two tables written in the same transactions: a torn snapshot would
	// show different counts.
	for _, q := range []string{
		"CREATE TABLE probe_a (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)",
		"CREATE TABLE probe_b (id INTEGER PRIMARY KEY)",
	} {
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// Enough data (about 16 MB) for the copy to take a while.
	pad := strings.Repeat("x", 800)
	const prefill = 20000
	err = db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for i := 1; i <= prefill; i++ {
			if _, err := tx.ExecContext(ctx, "INSERT INTO probe_a (id, pad) VALUES (?, ?)", i, pad); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO probe_b (id) VALUES (?)", i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The "server": a second handle on the same file, writing one
	// transaction after another until told to stop (bounded anyway).
	server, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	var committed atomic.Int64 // highest id committed by the writer
	committed.Store(prefill)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(60 * time.Second)
		for id := int64(prefill + 1); id < prefill+200000 && time.Now().Before(deadline); id++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			err := server.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO probe_a (id, pad) VALUES (?, ?)", id, pad); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "INSERT INTO probe_b (id) VALUES (?)", id)
				return err
			})
			if err != nil {
				done <- err
				return
			}
			committed.Store(id)
		}
		done <- nil
	}()
	// Let the writer get going, then back up.
	for i := 0; committed.Load() < prefill+20 && i < 1000; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	before := committed.Load()
	dst := filepath.Join(t.TempDir(), "snapshot.db")
	start := time.Now()
	if err := db.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	during := committed.Load() - before
	// A few more writes after the backup, then stop.
	time.Sleep(20 * time.Millisecond)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("the writer failed during the backup: %v", err)
	}
	t.Logf("backup of %d+ rows took %v; the other handle committed %d transactions meanwhile, %d in all",
		before, took, during, committed.Load()-prefill)
	if during == 0 {
		t.Errorf("no write was committed by the other handle while the backup ran (%v)", took)
	}

	snap, err := sql.Open("sqlite", "file:"+dst+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var check string
	if err := snap.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var na, nb, maxA int64
	if err := snap.QueryRowContext(ctx, "SELECT count(*), max(id) FROM probe_a").Scan(&na, &maxA); err != nil {
		t.Fatal(err)
	}
	if err := snap.QueryRowContext(ctx, "SELECT count(*) FROM probe_b").Scan(&nb); err != nil {
		t.Fatal(err)
	}
	if na != nb {
		t.Fatalf("torn snapshot: %d rows in probe_a, %d in probe_b", na, nb)
	}
	if na != maxA {
		t.Fatalf("the snapshot has gaps: %d rows up to id %d", na, maxA)
	}
	if na < before {
		t.Fatalf("the snapshot has %d rows; %d were committed before the backup began", na, before)
	}
	// The application's tables came along too.
	var versions int
	if err := snap.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&versions); err != nil || versions == 0 {
		t.Fatalf("schema_migrations in the snapshot: %d, %v", versions, err)
	}
	// Nothing but the snapshot was left in its directory.
	entries, _ := os.ReadDir(filepath.Dir(dst))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("files beside the snapshot: %v", names)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm()&0o007 != 0 {
		t.Fatalf("the snapshot is readable by anyone: %v", fi.Mode())
	}
}

func TestBackupRefusesAnExistingDestination(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	dir := t.TempDir()
	dst := filepath.Join(dir, "collectif.db")
	if err := os.WriteFile(dst, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := db.Backup(ctx, dst)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "precious" {
		t.Fatalf("the existing file was changed: %q", b)
	}
	if err := db.Backup(ctx, filepath.Join(dir, "missing", "collectif.db")); err == nil {
		t.Fatal("backup into a missing directory succeeded")
	}
	// A cancelled backup leaves nothing behind.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.Backup(cctx, filepath.Join(dir, "cancelled.db")); err == nil {
		t.Fatal("backup with a cancelled context succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left after failed backups: %d entries", len(entries))
	}
}

func TestBackupOnPostgresSaysPgDump(t *testing.T) {
	if os.Getenv(storetest.EnvDatabaseURL) == "" {
		t.Skip(storetest.EnvDatabaseURL + " is not set")
	}
	db := storetest.Open(t, store.Postgres)
	dst := filepath.Join(t.TempDir(), "collectif.db")
	err := db.Backup(context.Background(), dst)
	if !errors.Is(err, store.ErrBackupPostgres) || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup on PostgreSQL: %v", err)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Fatal("a file was written")
	}
}
