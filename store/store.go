package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// ErrNotFound is returned when a row that was asked for does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write breaks a uniqueness constraint.
var ErrConflict = errors.New("store: conflict")

// Options say which database to open.
type Options struct {
	// DatabaseURL selects PostgreSQL when it is a postgres:// URL; empty
	// selects SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite file when DatabaseURL is empty.
	DataDir string
	// ConnectTimeout bounds the first connection (default 5s), so that an
	// unreachable server fails the start instead of hanging it.
	ConnectTimeout time.Duration
	// MaxConns caps the PostgreSQL pool (default 4 per core, at least 8).
	MaxConns int
	Logger   *slog.Logger
}

// DB is an open database.
type DB struct {
	// W runs writes and transactions. On SQLite it holds one connection.
	W *bun.DB
	// R runs reads that need not see an open transaction.
	R *bun.DB
	// SQL is W's database/sql pool, handed to the job queue so that jobs
	// are enqueued in the same transactions as the changes that cause them.
	SQL *sql.DB
	// Pool is the pgx pool on PostgreSQL (nil on SQLite), used by the job
	// queue to LISTEN for new jobs.
	Pool *pgxpool.Pool
	// Path is the SQLite file (empty on PostgreSQL).
	Path string

	engine Engine
	rsql   *sql.DB // SQLite read pool; nil on PostgreSQL
}

// Engine tells which engine is open.
func (db *DB) Engine() Engine { return db.engine }

// Open opens the database that opts describe and checks that it answers.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DatabaseURL == "" {
		return openSQLite(ctx, opts)
	}
	return openPostgres(ctx, opts)
}

// SQLiteFile is the name of the embedded database in the data directory.
const SQLiteFile = "collectif.db"

// The read pool's memory: see sqliteDSN and the package documentation.
const (
	readerMmapSize = 256 << 20 // bytes of the file mapped (address space; resident only as read)
	readerCacheKiB = 8 << 10   // private page cache per reader
)

func sqliteDSN(path string, write bool) string {
	q := url.Values{}
	// Each pragma runs on every new connection. WAL lets readers run beside
	// the writer; synchronous=FULL makes a commit survive a power cut, not
	// only a crash of the process; the busy timeout covers other processes
	// (collectif migrate or backup beside a running server).
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_time_format", "sqlite")
	if write {
		// BEGIN IMMEDIATE: a transaction takes the write lock when it
		// starts, so it never fails half-way on a lock upgrade.
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
		// Readers map the database file (reads become memory loads, not a
		// pread system call per page; the mapped pages are the kernel's
		// page cache, shared by every connection and dropped under
		// memory pressure) and keep a private page cache of 8 MB each
		// (negative: KiB), for the pages mmap does not serve (the WAL's).
		// Sorts and temporary indexes of a read stay in memory.
		q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", readerMmapSize))
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -readerCacheKiB))
		q.Add("_pragma", "temp_store(memory)")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(ctx context.Context, opts Options) (*DB, error) {
	if opts.DataDir == "" {
		return nil, errors.New("no data directory for the embedded database")
	}
	path := filepath.Join(opts.DataDir, SQLiteFile)
	wsql, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One writer: SQLite serializes writes anyway, and queueing them in the
	// pool is cheaper and clearer than retrying on SQLITE_BUSY.
	wsql.SetMaxOpenConns(1)
	wsql.SetMaxIdleConns(1)
	wsql.SetConnMaxLifetime(0)
	cctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if err := wsql.PingContext(cctx); err != nil {
		wsql.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rsql, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		wsql.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := max(4, 2*runtime.NumCPU())
	rsql.SetMaxOpenConns(n)
	rsql.SetMaxIdleConns(n)
	rsql.SetConnMaxLifetime(0)
	db := &DB{
		W:      bun.NewDB(wsql, sqlitedialect.New()),
		R:      bun.NewDB(rsql, sqlitedialect.New()),
		SQL:    wsql,
		Path:   path,
		engine: SQLite,
		rsql:   rsql,
	}
	return db, nil
}

func openPostgres(ctx context.Context, opts Options) (*DB, error) {
	u, err := url.Parse(opts.DatabaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("not a postgres:// URL")
	}
	cfg, err := pgxpool.ParseConfig(opts.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse URL: %w", redact(err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > opts.ConnectTimeout {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	} else if !strings.Contains(opts.DatabaseURL, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.NumCPU()))
	}
	cctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", redact(err))
	}
	if err := pool.Ping(cctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", redact(err))
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	bdb := bun.NewDB(sqldb, pgdialect.New())
	return &DB{W: bdb, R: bdb, SQL: sqldb, Pool: pool, engine: Postgres}, nil
}

// redact keeps a password that pgx may echo out of error messages.
func redact(err error) error {
	return errors.New(passwordRE.ReplaceAllString(err.Error(), "${1}xxxxx@"))
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return err
	}
	if db.rsql != nil {
		return db.rsql.PingContext(ctx)
	}
	return nil
}

// Close closes every connection.
func (db *DB) Close() error {
	var errs []error
	if db.rsql != nil {
		errs = append(errs, db.rsql.Close())
	}
	errs = append(errs, db.SQL.Close())
	if db.Pool != nil {
		db.Pool.Close()
	}
	return errors.Join(errs...)
}

// Tx runs fn in a transaction on the writer, committing when fn returns nil
// and rolling back otherwise (also when fn panics).
func (db *DB) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return db.W.RunInTx(ctx, nil, fn)
}

// CheckDataDir makes sure dir exists and that this process can write in it.
func CheckDataDir(dir string) error {
	if dir == "" {
		return errors.New("empty path")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("cannot create it: %w", errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
