package federation

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// maxCommitBatch bounds how many received activities share a transaction.
const maxCommitBatch = 128

// commitTimeout bounds a shared transaction: it runs detached from the
// request that leads it, so that the others waiting on it do not fail
// because that one's client went away.
const commitTimeout = 30 * time.Second

// accepted is a received activity waiting to be recorded.
type accepted struct {
	ctx  context.Context
	row  receivedRow
	job  InboxJob
	done chan outcome
}

// outcome answers a waiting request: the result of the transaction that
// held its activity, or the order to lead the next one.
type outcome struct {
	err  error
	lead bool
}

// groupCommit makes concurrent inbox requests share transactions: each
// commit of the embedded database waits for the disk (synchronous=FULL),
// and one writer at a time may commit, so one transaction per activity
// bounds how many a hub accepts per second. A request finding no
// transaction under way leads: it writes what is waiting, its own
// activity included, and answers the others. One arriving meanwhile waits;
// after a commit, the leader hands the lead to the first one waiting, which
// writes the next batch. Every request is answered only after the commit
// that holds its activity, so 202 still means "recorded". A waiting
// request does not give up when its client does: its activity is in a
// batch to come, and it may be the next leader; the wait is bounded by the
// transactions ahead of it, each bounded by commitTimeout.
type groupCommit struct {
	mu      sync.Mutex
	waiting []*accepted
	leading bool
}

// submit records a through write, alone or with others, and returns the
// outcome of the transaction that held it.
func (g *groupCommit) submit(ctx context.Context, write func(context.Context, []*accepted) error, a *accepted) error {
	a.done = make(chan outcome, 1)
	g.mu.Lock()
	g.waiting = append(g.waiting, a)
	if g.leading {
		g.mu.Unlock()
		if o := <-a.done; !o.lead {
			return o.err
		}
		g.mu.Lock()
	}
	g.leading = true
	n := min(len(g.waiting), maxCommitBatch) // a is first: it was alone, or handed the lead
	batch := g.waiting[:n:n]
	g.waiting = g.waiting[n:]
	g.mu.Unlock()

	err := runBatch(ctx, write, batch)
	for _, b := range batch[1:] {
		b.done <- outcome{err: err}
	}

	g.mu.Lock()
	if len(g.waiting) == 0 {
		g.leading = false
		g.mu.Unlock()
		return err
	}
	next := g.waiting[0]
	g.mu.Unlock()
	next.done <- outcome{lead: true}
	return err
}

// runBatch writes a batch under a context of its own; a panic becomes the
// batch's error, so that the lead is still handed on and no request waits
// for ever.
func runBatch(ctx context.Context, write func(context.Context, []*accepted) error, batch []*accepted) (err error) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("federation: recording received activities: %v", p)
		}
	}()
	return write(wctx, batch)
}
