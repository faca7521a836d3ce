// Package store is the one SQL code path of the hub, over two engines: an
// embedded SQLite database (pure Go, in the data directory) and PostgreSQL.
//
// It opens the database, applies the embedded migrations of migrations/,
// runs transactions and translates engine errors (ErrNotFound, ErrConflict).
// Queries are written once with bun; the few places where the engines differ
// are in dialect.go.
//
// On SQLite, writes go through a single connection whose transactions take the
// write lock when they begin (BEGIN IMMEDIATE), so writers queue in the pool
// instead of failing with SQLITE_BUSY, and reads go through a separate pool of
// read-only connections that WAL mode lets run beside the writer. On
// PostgreSQL both are the same pgx pool.
//
// It imports model/ and migrations/; nothing above it.
package store
