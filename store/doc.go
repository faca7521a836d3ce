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
// The read connections map the first 256 MB of the database file
// (mmap_size): a page read is then a memory load instead of a pread system
// call, which was 13–16 % of a page's time and most of a counting query's.
// Mapped pages are the kernel's page cache, shared by all connections; they
// count in the process's RSS only once read (RssFile) and the kernel drops
// them under pressure, so the memory budget is held by what the queries
// touch, which indexes keep small. Each reader also keeps a private page
// cache of 8 MB (cache_size; SQLite's default is 2 MB), for the pages mmap
// does not serve (those still in the WAL), so four readers use at most
// 32 MB of heap for it; temporary b-trees of sorts stay in memory
// (temp_store). The writer keeps the defaults.
//
// It imports model/ and migrations/; nothing above it.
package store
