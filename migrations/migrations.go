// Package migrations holds the SQL that builds the hub's schema, one folder per
// database engine, embedded in the binary. Files are named NNNN_what.sql and
// applied in order, each in one transaction, by store.Migrate; the
// schema_migrations table records which ran.
//
// The two folders describe the same schema; they differ only where the
// engines do (types such as TIMESTAMPTZ, JSONB). A change adds a new file to
// both folders; a file that has been released is never edited.
//
// It imports only the standard library.
package migrations

import "embed"

// SQLite holds the migrations for the embedded engine, under sqlite/.
//
//go:embed sqlite/*.sql
var SQLite embed.FS

// Postgres holds the migrations for PostgreSQL, under postgres/.
//
//go:embed postgres/*.sql
var Postgres embed.FS
