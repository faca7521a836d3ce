package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/migrations"
)

// migrationLockKey is the PostgreSQL advisory lock that serializes
// migrations when several nodes start at once ("collectif" in ASCII).
const migrationLockKey = 0x636f6c6c6563

// Migration is one SQL file of migrations/.
type Migration struct {
	Version string // "0001_core"
	SQL     string
}

// Migrations returns the migrations for the engine, in order.
func Migrations(e Engine) ([]Migration, error) {
	var fsys fs.FS
	var dir string
	switch e {
	case SQLite:
		fsys, dir = migrations.SQLite, "sqlite"
	case Postgres:
		fsys, dir = migrations.Postgres, "postgres"
	default:
		return nil, fmt.Errorf("unknown engine %q", e)
	}
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: strings.TrimSuffix(path.Base(n), ".sql"), SQL: string(b)})
	}
	return out, nil
}

// LockMigrations takes the lock that serializes schema changes for the rest
// of tx. On SQLite the transaction already holds the database's write lock
// (BEGIN IMMEDIATE), which other processes wait on.
func (db *DB) LockMigrations(ctx context.Context, tx bun.Tx) error {
	if db.engine != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockKey)
	return err
}

// Migrate applies the pending migrations, each in its own transaction, and
// returns the versions it applied (none when the schema is current).
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	all, err := Migrations(db.engine)
	if err != nil {
		return nil, err
	}
	if err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version TEXT PRIMARY KEY,
			applied_at TIMESTAMP NOT NULL)`)
		return err
	}); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []string
	for _, m := range all {
		ran := false
		err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := db.LockMigrations(ctx, tx); err != nil {
				return err
			}
			// Checked under the lock: another node may have applied it
			// while this one waited.
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&n); err != nil || n > 0 {
				return err
			}
			// The SQL is run as is (no bun formatting: '?' in it is SQL).
			if _, err := tx.Tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", m.Version, time.Now().UTC())
			ran = err == nil
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", m.Version, err)
		}
		if ran {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// Pending returns the versions not applied yet.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	all, err := Migrations(db.engine)
	if err != nil {
		return nil, err
	}
	var done []string
	err = db.R.NewRaw("SELECT version FROM schema_migrations").Scan(ctx, &done)
	if err != nil {
		// No table yet: everything is pending.
		done = nil
	}
	have := make(map[string]bool, len(done))
	for _, v := range done {
		have[v] = true
	}
	var out []string
	for _, m := range all {
		if !have[m.Version] {
			out = append(out, m.Version)
		}
	}
	return out, nil
}

// WithMigrationLock runs fn while holding the migration lock outside any
// transaction, for migrators that open their own transactions (the job
// queue's). On SQLite it runs fn as is: callers there migrate inside one
// Tx, whose write lock already serializes processes.
func (db *DB) WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	if db.engine != Postgres {
		return fn(ctx)
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return err
	}
	defer func() {
		// A fresh context: the unlock must happen even if ctx ended.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", migrationLockKey); err != nil {
			// The lock dies with the session: drop the connection.
			conn.Conn().Close(uctx)
		}
	}()
	return fn(ctx)
}
