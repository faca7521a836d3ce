// Package indexer keeps the search index in line with the database. Each
// kind of document has a Source that loads one document by ID (or reports
// it gone) and lists them all for a rebuild; the search.IndexJob handler
// upserts or deletes, and Rebuild fills a fresh index from every source.
//
// It imports jobs/, search/ and store/, and is given its sources by hub/.
package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"collectif/jobs"
	"collectif/search"
	"collectif/store"
)

// ErrGone is what a Source returns for a row that no longer exists or may
// not be indexed: its document is removed from the index.
var ErrGone = errors.New("indexer: gone")

// Source loads the documents of one type.
type Source struct {
	Type string
	// Load returns the document of the row id, or ErrGone.
	Load func(ctx context.Context, id string) (search.Document, error)
	// All emits every document of the type, for a rebuild.
	All func(ctx context.Context, emit func(search.Document) error) error
}

// Indexer applies index jobs.
type Indexer struct {
	idx     search.Index
	sources map[string]Source
	order   []string
	log     *slog.Logger
}

// New returns an indexer writing to idx from sources.
func New(idx search.Index, log *slog.Logger, sources ...Source) *Indexer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ix := &Indexer{idx: idx, sources: map[string]Source{}, log: log}
	for _, s := range sources {
		ix.sources[s.Type] = s
		ix.order = append(ix.order, s.Type)
	}
	return ix
}

// Register installs the handler of search.IndexJob.
func (ix *Indexer) Register(reg *jobs.Registry) {
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, j search.IndexJob) error {
		return ix.Apply(ctx, j)
	})
}

// Apply brings one document in line. An unavailable engine returns an
// error, so the queue retries later.
func (ix *Indexer) Apply(ctx context.Context, j search.IndexJob) error {
	src, ok := ix.sources[j.Type]
	if !ok {
		ix.log.WarnContext(ctx, "index job of an unknown type dropped", "type", j.Type)
		return nil
	}
	doc, err := src.Load(ctx, j.ID)
	if errors.Is(err, ErrGone) {
		return ix.idx.Delete(ctx, search.DocID(j.Type, j.ID))
	}
	if err != nil {
		return fmt.Errorf("index %s %s: %w", j.Type, j.ID, err)
	}
	return ix.idx.Upsert(ctx, doc)
}

// Progress reports a rebuild's advance: documents done so far, by type.
type Progress func(typ string, done int)

// Rebuild rebuilds the whole index from the database while the live index
// keeps answering, and returns the count per type.
func (ix *Indexer) Rebuild(ctx context.Context, progress Progress) (map[string]int, error) {
	counts := map[string]int{}
	err := ix.idx.Rebuild(ctx, func(emit func(search.Document) error) error {
		for _, t := range ix.order {
			err := ix.sources[t].All(ctx, func(d search.Document) error {
				counts[t]++
				if progress != nil && counts[t]%100 == 0 {
					progress(t, counts[t])
				}
				return emit(d)
			})
			if err != nil {
				return fmt.Errorf("rebuild %s: %w", t, err)
			}
			if progress != nil {
				progress(t, counts[t])
			}
		}
		return nil
	})
	return counts, err
}

// requeueSlack widens the window of Requeue: on PostgreSQL a job's
// created_at is the start of the transaction that enqueued it, which may
// have committed after the rebuild read its rows.
const requeueSlack = 2 * time.Minute

// Requeue enqueues again, once per document, the index jobs created since
// a rebuild began (less a slack): their changes may have been applied to
// the index that the rebuild has just replaced, and the rebuild may have
// read the rows before them. It returns how many jobs it enqueued. Jobs
// are idempotent: each loads the row as it is now.
func Requeue(ctx context.Context, db *store.DB, q *jobs.Queue, since time.Time) (int, error) {
	raws, err := q.ArgsSince(ctx, search.IndexJob{}.Kind(), since.Add(-requeueSlack))
	if err != nil {
		return 0, err
	}
	seen := map[search.IndexJob]bool{}
	var todo []search.IndexJob
	for _, raw := range raws {
		var j search.IndexJob
		if err := json.Unmarshal(raw, &j); err != nil || j.Type == "" || j.ID == "" || seen[j] {
			continue
		}
		seen[j] = true
		todo = append(todo, j)
	}
	if len(todo) == 0 {
		return 0, nil
	}
	err = db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, j := range todo {
			if err := q.Enqueue(ctx, tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(todo), nil
}
