package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"collectif/jobs"
	"collectif/requestid"
	"collectif/store"
	"collectif/store/storetest"
)

type noteArgs struct {
	Note string `json:"note"`
}

func (noteArgs) Kind() string { return "test_note" }

// recorder is what a handler did, as a user of the queue would check it.
type recorder struct {
	mu       sync.Mutex
	runs     map[string]int // note → completed runs
	attempts map[string]int
	reqIDs   map[string]string
	started  chan string
	block    map[string]bool // notes whose first attempt blocks until cancelled
}

func newRecorder() *recorder {
	return &recorder{runs: map[string]int{}, attempts: map[string]int{}, reqIDs: map[string]string{}, started: make(chan string, 16), block: map[string]bool{}}
}

func (r *recorder) handle(ctx context.Context, _ jobs.Job, a noteArgs) error {
	r.mu.Lock()
	r.attempts[a.Note]++
	r.reqIDs[a.Note] = requestid.From(ctx)
	// Only the first call blocks. River does not count a run cut short by
	// a shutdown as an attempt, so job.Attempt cannot tell them apart.
	block := r.block[a.Note] && r.attempts[a.Note] == 1
	r.mu.Unlock()
	r.started <- a.Note
	if block {
		<-ctx.Done() // the worker is being stopped half-way through this job
		return ctx.Err()
	}
	r.mu.Lock()
	r.runs[a.Note]++
	r.mu.Unlock()
	return nil
}

func (r *recorder) count(note string) (runs, attempts int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs[note], r.attempts[note]
}

func newQueue(t *testing.T, db *store.DB, rec *recorder) *jobs.Queue {
	t.Helper()
	reg := jobs.NewRegistry(nil)
	jobs.Handle(reg, rec.handle)
	q, err := jobs.New(db, reg, jobs.Options{Workers: 2, PollInterval: 50 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func migrated(t *testing.T, e store.Engine) *store.DB {
	db := storetest.Open(t, e)
	if _, err := jobs.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func enqueue(t *testing.T, db *store.DB, q *jobs.Queue, ctx context.Context, note string, rollback bool) {
	t.Helper()
	errRollback := errors.New("rollback")
	err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := q.Enqueue(ctx, tx, noteArgs{Note: note}); err != nil {
			return err
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if rollback && !errors.Is(err, errRollback) || !rollback && err != nil {
		t.Fatalf("enqueue %s: %v", note, err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMigrateQueueTwiceIsNoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		first, err := jobs.Migrate(ctx, db)
		if err != nil || len(first) == 0 {
			t.Fatalf("first migrate: %v, %v", first, err)
		}
		again, err := jobs.Migrate(ctx, db)
		if err != nil || len(again) != 0 {
			t.Fatalf("second migrate applied %v, %v; want nothing", again, err)
		}
	})
}

func TestRolledBackJobNeverRuns(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := migrated(t, e)
			rec := newRecorder()
			q := newQueue(t, db, rec)
			enqueue(t, db, q, ctx, "rolled-back", true)
			enqueue(t, db, q, ctx, "committed", false)
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer q.Stop(ctx)
			waitFor(t, "the committed job", func() bool { n, _ := rec.count("committed"); return n == 1 })
			if _, a := rec.count("rolled-back"); a != 0 {
				t.Fatalf("the job of a rolled-back transaction ran %d times", a)
			}
			st, err := q.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Pending != 0 {
				t.Fatalf("pending jobs = %d, want 0 (the rolled-back job must not exist)", st.Pending)
			}
		})
	}
}

func TestCommittedJobRunsOnceAcrossWorkerRestart(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := requestid.With(context.Background(), "REQ123")
			db := migrated(t, e)
			rec := newRecorder()
			rec.block["welcome"] = true

			first := newQueue(t, db, rec)
			enqueue(t, db, first, ctx, "welcome", false)
			if err := first.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			select {
			case <-rec.started:
			case <-time.After(20 * time.Second):
				t.Fatal("the job never started")
			}
			// Stop the worker while the job runs: it is cancelled and
			// must be retried, not lost and not doubled.
			stopCtx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			first.Stop(stopCtx)
			cancel()
			if runs, _ := rec.count("welcome"); runs != 0 {
				t.Fatalf("runs after the interrupted attempt = %d", runs)
			}

			second := newQueue(t, db, rec)
			if err := second.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer second.Stop(context.Background())
			waitFor(t, "the retried job", func() bool { n, _ := rec.count("welcome"); return n == 1 })
			// Give the queue time to (wrongly) run it again.
			time.Sleep(300 * time.Millisecond)
			runs, attempts := rec.count("welcome")
			if runs != 1 || attempts != 2 {
				t.Fatalf("runs=%d calls=%d, want 1 completed run after 2 calls", runs, attempts)
			}
			rec.mu.Lock()
			got := rec.reqIDs["welcome"]
			rec.mu.Unlock()
			if got != "REQ123" {
				t.Fatalf("request ID in the job = %q, want REQ123", got)
			}
			// River records completions in batches, shortly after the
			// handler returns: wait for the queue to show it.
			waitFor(t, "the completion to be recorded", func() bool {
				st, err := second.Stats(ctx)
				return err == nil && st.Pending == 0 && st.Running == 0
			})
		})
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestStatsSeeWaitingJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		q := newQueue(t, db, newRecorder())
		enqueue(t, db, q, ctx, "waiting", false)
		time.Sleep(20 * time.Millisecond)
		st, err := q.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending != 1 || st.OldestAge <= 0 || st.OldestAge > time.Minute {
			t.Fatalf("stats = %+v; want one pending job a few ms old", st)
		}
	})
}

func TestPeriodicJobRuns(t *testing.T) {
	ctx := context.Background()
	db := migrated(t, store.SQLite)
	rec := newRecorder()
	reg := jobs.NewRegistry(nil)
	jobs.Handle(reg, rec.handle)
	q, err := jobs.New(db, reg, jobs.Options{Workers: 1, PollInterval: 50 * time.Millisecond,
		Periodic: []jobs.Periodic{{Every: 200 * time.Millisecond, Args: func() jobs.Args { return noteArgs{Note: "tick"} }}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	waitFor(t, "a periodic run", func() bool { n, _ := rec.count("tick"); return n >= 2 })
}
