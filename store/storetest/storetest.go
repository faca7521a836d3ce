// Package storetest opens real databases for tests: an embedded SQLite file
// in the test's temporary directory always, and a fresh PostgreSQL schema
// when COLLECTIF_TEST_DATABASE_URL is set. Each database is migrated and is
// dropped when the test ends, so runs never collide.
//
// It is imported by tests only.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"collectif/store"
)

// EnvDatabaseURL names the variable that points tests at a PostgreSQL server.
const EnvDatabaseURL = "COLLECTIF_TEST_DATABASE_URL"

// Engines lists the engines this run can test: SQLite always, PostgreSQL
// when EnvDatabaseURL is set.
func Engines() []store.Engine {
	if os.Getenv(EnvDatabaseURL) != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// Each runs fn as a subtest once per engine, with a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Options returns store options for a fresh, empty database of engine e,
// not yet migrated; the database is dropped when t ends.
func Options(t testing.TB, e store.Engine) store.Options {
	t.Helper()
	switch e {
	case store.SQLite:
		return store.Options{DataDir: t.TempDir()}
	case store.Postgres:
		return store.Options{DatabaseURL: NewSchema(t)}
	}
	t.Fatalf("unknown engine %q", e)
	return store.Options{}
}

// Open returns a fresh migrated database of engine e, closed when t ends.
func Open(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, Options(t, e))
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", e, err)
	}
	return db
}

// NewSchema creates a schema with a random name on the PostgreSQL server of
// EnvDatabaseURL and returns a URL whose connections use it; the schema is
// dropped when t ends. It skips t when the variable is unset.
func NewSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		t.Skip(EnvDatabaseURL + " is not set")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvDatabaseURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvDatabaseURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
