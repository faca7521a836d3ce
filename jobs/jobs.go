package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"

	"collectif/requestid"
	"collectif/store"
)

// Args are a job's arguments: a JSON-encodable value whose Kind names the
// handler. Kinds are stored in the database, so never rename one that has
// been released.
type Args interface {
	Kind() string
}

// Job describes the run of a job that a handler is asked to do.
type Job struct {
	ID          int64
	Kind        string
	Attempt     int // 1 for the first run
	MaxAttempts int
}

// Registry collects handlers before the queue starts.
type Registry struct {
	workers *river.Workers
	log     *slog.Logger
	kinds   []string
	queues  map[string]bool // named queues of the registered kinds (Queued)
}

// NewRegistry returns an empty registry.
func NewRegistry(log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{workers: river.NewWorkers(), log: log}
}

// Kinds lists the registered kinds.
func (r *Registry) Kinds() []string { return r.kinds }

type meta struct {
	RequestID string `json:"request_id,omitempty"`
}

// Handle registers fn as the handler of jobs whose arguments are of type T.
// An error makes the job retried later; the context is cancelled when the
// queue stops, and the job is then retried by the next worker.
func Handle[T Args](r *Registry, fn func(ctx context.Context, job Job, args T) error) {
	var zero T
	kind := zero.Kind()
	r.kinds = append(r.kinds, kind)
	if q, ok := any(zero).(Queued); ok && q.Queue() != "" {
		if r.queues == nil {
			r.queues = map[string]bool{}
		}
		r.queues[q.Queue()] = true
	}
	log := r.log
	river.AddWorker(r.workers, river.WorkFunc(func(ctx context.Context, j *river.Job[T]) error {
		var m meta
		_ = json.Unmarshal(j.Metadata, &m) // absent or foreign metadata: no request ID
		ctx = requestid.With(ctx, m.RequestID)
		start := time.Now()
		err := fn(ctx, Job{ID: j.ID, Kind: kind, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts}, j.Args)
		attrs := []any{"kind", kind, "job_id", j.ID, "attempt", j.Attempt, "duration_ms", time.Since(start).Milliseconds()}
		if m.RequestID != "" {
			attrs = append(attrs, "request_id", m.RequestID)
		}
		if err != nil {
			log.WarnContext(ctx, "job failed", append(attrs, "err", err)...)
			return err
		}
		log.DebugContext(ctx, "job done", attrs...)
		return nil
	}))
}

// Options tune the queue.
type Options struct {
	Logger *slog.Logger
	// Workers is how many jobs run at once; 0 makes an insert-only queue
	// (the command-line tools enqueue, `serve` works).
	Workers int
	// PollInterval is how often workers look for jobs that no notification
	// announced (scheduled retries). Default 1s.
	PollInterval time.Duration
	// RescueAfter is how long a job may stay running before it is taken
	// for abandoned by a crashed process and run again. Default 1h.
	RescueAfter time.Duration
	// JobTimeout bounds one run. Default 5 minutes.
	JobTimeout time.Duration
	// Periodic jobs are enqueued on schedule by one node of the cluster
	// (River's elected leader), so they run once per period, not once
	// per node.
	Periodic []Periodic
	// Queues are named queues with their own number of workers, beside
	// the default queue's Workers, for jobs whose Args have a Queue
	// method (see Queued): a burst of them does not hold up the others.
	// Ignored when Workers is 0.
	Queues map[string]int
}

// Queued is implemented by Args whose jobs run in a named queue of
// Options.Queues rather than the default one.
type Queued interface {
	Queue() string
}

// Periodic is a job enqueued every Every.
type Periodic struct {
	Every time.Duration
	Args  func() Args
}

// Queue enqueues and, when it has workers, runs jobs.
type Queue struct {
	db     *store.DB
	client *river.Client[*sql.Tx]
	log    *slog.Logger
}

func driver(db *store.DB) riverdriver.Driver[*sql.Tx] {
	if db.Engine() == store.Postgres {
		// LISTEN/NOTIFY through the pgx pool: a new job starts at once
		// on whichever node is free instead of at the next poll.
		return riverdatabasesql.NewWithPgxListener(db.SQL, db.Pool)
	}
	return riversqlite.New(db.SQL)
}

// New returns a queue over db. reg may be nil for an insert-only queue.
func New(db *store.DB, reg *Registry, opts Options) (*Queue, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.JobTimeout <= 0 {
		opts.JobTimeout = 5 * time.Minute
	}
	cfg := &river.Config{
		Logger:            opts.Logger.With("component", "jobs"),
		JobTimeout:        opts.JobTimeout,
		FetchPollInterval: opts.PollInterval,
		// Completed jobs are kept a day for inspection, then removed.
		CompletedJobRetentionPeriod: 24 * time.Hour,
		RescueStuckJobsAfter:        opts.RescueAfter,
	}
	// River fetches new jobs at most once per cooldown (100 ms by
	// default): with short jobs, that bounds a queue to its workers ten
	// times a second (8 workers: 80 received activities a second). A
	// shorter cooldown lets the workers keep up with a burst; when no job
	// is waiting, the poll interval alone decides.
	cfg.FetchCooldown = 25 * time.Millisecond
	if cfg.FetchPollInterval > 0 && cfg.FetchPollInterval < cfg.FetchCooldown {
		cfg.FetchCooldown = cfg.FetchPollInterval
	}
	if opts.Workers > 0 {
		if reg == nil {
			return nil, errors.New("jobs: workers without a registry")
		}
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}}
		for name, n := range opts.Queues {
			if n > 0 && name != river.QueueDefault {
				cfg.Queues[name] = river.QueueConfig{MaxWorkers: n}
			}
		}
		// A queue that a registered kind runs in and Options did not size
		// gets Workers: its jobs must run somewhere.
		for name := range reg.queues {
			if _, ok := cfg.Queues[name]; !ok {
				cfg.Queues[name] = river.QueueConfig{MaxWorkers: opts.Workers}
			}
		}
		cfg.Workers = reg.workers
	} else if reg != nil {
		// Still validate kinds on insert.
		cfg.Workers = reg.workers
	}
	for _, p := range opts.Periodic {
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(p.Every),
			func() (river.JobArgs, *river.InsertOpts) { return p.Args(), nil }, nil))
	}
	c, err := river.NewClient(driver(db), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{db: db, client: c, log: opts.Logger}, nil
}

// Enqueue adds a job in tx: it will run once tx has committed, and never if
// tx rolls back. The request ID in ctx goes with the job into its logs.
func (q *Queue) Enqueue(ctx context.Context, tx bun.Tx, args Args) error {
	return q.EnqueueAt(ctx, tx, args, time.Time{})
}

// EnqueueAt is Enqueue for a job that must not run before at (zero: now).
func (q *Queue) EnqueueAt(ctx context.Context, tx bun.Tx, args Args, at time.Time) error {
	if _, err := q.client.InsertTx(ctx, tx.Tx, args, insertOpts(ctx, args, at)); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Item is a job of EnqueueBatch with the context it comes from (whose
// request ID goes with it).
type Item struct {
	Ctx  context.Context
	Args Args
}

// EnqueueBatch is EnqueueMany for jobs coming from different requests:
// each keeps its own request ID.
func (q *Queue) EnqueueBatch(ctx context.Context, tx bun.Tx, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(items))
	for i, it := range items {
		params[i] = river.InsertManyParams{Args: it.Args, InsertOpts: insertOpts(it.Ctx, it.Args, time.Time{})}
	}
	if _, err := q.client.InsertManyFastTx(ctx, tx.Tx, params); err != nil {
		return fmt.Errorf("enqueue %d %s: %w", len(items), items[0].Args.Kind(), err)
	}
	return nil
}

// EnqueueMany adds several jobs in tx with one statement, as Enqueue does
// for one: a fan-out of hundreds of jobs costs one round trip.
func (q *Queue) EnqueueMany(ctx context.Context, tx bun.Tx, args []Args) error {
	if len(args) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a, InsertOpts: insertOpts(ctx, a, time.Time{})}
	}
	if _, err := q.client.InsertManyFastTx(ctx, tx.Tx, params); err != nil {
		return fmt.Errorf("enqueue %d %s: %w", len(args), args[0].Kind(), err)
	}
	return nil
}

func insertOpts(ctx context.Context, args Args, at time.Time) *river.InsertOpts {
	opts := &river.InsertOpts{ScheduledAt: at}
	if qd, ok := args.(Queued); ok {
		opts.Queue = qd.Queue()
	}
	if id := requestid.From(ctx); id != "" {
		b, _ := json.Marshal(meta{RequestID: id})
		opts.Metadata = b
	}
	return opts
}

// Start starts the workers; it returns at once.
func (q *Queue) Start(ctx context.Context) error {
	return q.client.Start(ctx)
}

// Stop stops fetching new jobs and waits for running ones until ctx ends;
// then it cancels them (they will be retried) and waits for them to return.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	q.log.Warn("jobs still running at shutdown deadline, cancelling them")
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return q.client.StopAndCancel(cctx)
}

// Migrate applies the queue's own schema (River's migrations) under the
// same lock as the hub's migrations, and returns what it applied.
func Migrate(ctx context.Context, db *store.DB) ([]string, error) {
	m, err := rivermigrate.New(driver(db), nil)
	if err != nil {
		return nil, err
	}
	var applied []string
	collect := func(res *rivermigrate.MigrateResult) {
		for _, v := range res.Versions {
			applied = append(applied, fmt.Sprintf("queue %03d_%s", v.Version, v.Name))
		}
	}
	if db.Engine() == store.Postgres {
		// River's PostgreSQL migrations add enum values that later ones
		// use, which PostgreSQL forbids inside one transaction: River
		// runs each in its own, under the cross-node lock.
		err = db.WithMigrationLock(ctx, func(ctx context.Context) error {
			res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			if err == nil {
				collect(res)
			}
			return err
		})
	} else {
		err = db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			// One IMMEDIATE transaction holds SQLite's write lock for the
			// whole run, so two processes cannot interleave; SQLite has
			// none of the enum limits that make River deprecate this.
			//lint:ignore SA1019 see above: on SQLite the single transaction is what we want.
			res, err := m.MigrateTx(ctx, tx.Tx, rivermigrate.DirectionUp, nil)
			if err == nil {
				collect(res)
			}
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("migrate job queue: %w", err)
	}
	return applied, nil
}

// Stats describes the queue for metrics and /readyz.
type Stats struct {
	Pending   int           // available, scheduled or waiting for a retry
	Running   int           //
	Failed    int           // discarded after their last attempt
	OldestAge time.Duration // age of the oldest pending job that is due
}

// Stats reads the queue's figures.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	rows, err := q.db.R.QueryContext(ctx, `SELECT state, count(*) FROM river_job
		WHERE state IN ('available','scheduled','retryable','running','discarded') GROUP BY state`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return s, err
		}
		switch st {
		case "running":
			s.Running += n
		case "discarded":
			s.Failed += n
		default:
			s.Pending += n
		}
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	// River keeps its times as timestamptz on PostgreSQL and as UTC text
	// on SQLite, so the age is computed by each engine.
	ageSQL := `SELECT EXTRACT(EPOCH FROM (now() - min(scheduled_at)))::float8 FROM river_job
		WHERE state IN ('available','retryable') AND scheduled_at <= now()`
	if q.db.Engine() == store.SQLite {
		ageSQL = `SELECT (julianday('now') - julianday(min(scheduled_at))) * 86400.0 FROM river_job
		WHERE state IN ('available','retryable') AND scheduled_at <= datetime('now', 'subsec')`
	}
	var age sql.NullFloat64
	if err := q.db.R.QueryRowContext(ctx, ageSQL).Scan(&age); err != nil {
		return s, err
	}
	if age.Valid && age.Float64 > 0 {
		s.OldestAge = time.Duration(age.Float64 * float64(time.Second))
	}
	return s, nil
}

// ArgsSince returns the arguments (JSON) of the jobs of kind created at or
// after since, whatever their state, oldest first. Completed jobs are kept
// a day (CompletedJobRetentionPeriod), so since must be more recent than
// that to see them all. The search index uses it to re-apply the changes
// made while a new index was being built by another process.
func (q *Queue) ArgsSince(ctx context.Context, kind string, since time.Time) ([][]byte, error) {
	// River keeps args as jsonb on PostgreSQL and as SQLite's JSONB blob
	// (read back as text through json()), and times as timestamptz or as
	// UTC text that julianday() reads.
	query := `SELECT args::text FROM river_job WHERE kind = ? AND created_at >= ? ORDER BY id`
	var arg any = since.UTC()
	if q.db.Engine() == store.SQLite {
		query = `SELECT json(args) FROM river_job WHERE kind = ? AND julianday(created_at) >= julianday(?) ORDER BY id`
		arg = since.UTC().Format("2006-01-02 15:04:05.000")
	}
	rows, err := q.db.R.QueryContext(ctx, query, kind, arg)
	if err != nil {
		return nil, fmt.Errorf("jobs since %s: %w", since.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
