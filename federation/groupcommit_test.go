package federation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Concurrent inbox requests share transactions: every activity is written
// exactly once, each request gets the outcome of the transaction that held
// its activity, and a failed transaction fails only its own requests.
func TestGroupCommit(t *testing.T) {
	var g groupCommit
	var mu sync.Mutex
	written := map[string]int{}
	batches, shared := 0, 0
	failing := "activity-13"
	write := func(ctx context.Context, batch []*accepted) error {
		time.Sleep(2 * time.Millisecond) // a commit waiting for the disk
		mu.Lock()
		defer mu.Unlock()
		batches++
		if len(batch) > 1 {
			shared++
		}
		for _, a := range batch {
			if a.row.ID == failing {
				return errors.New("disk full")
			}
		}
		for _, a := range batch {
			written[a.row.ID]++
		}
		return nil
	}
	const n = 300
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = g.submit(context.Background(), write, &accepted{row: receivedRow{ID: fmt.Sprintf("activity-%d", i)}})
		})
	}
	wg.Wait()

	failed := 0
	for i, err := range errs {
		id := fmt.Sprintf("activity-%d", i)
		switch {
		case err != nil && written[id] != 0:
			t.Errorf("%s: error %v, yet written", id, err)
		case err == nil && written[id] != 1:
			t.Errorf("%s: accepted, written %d times", id, written[id])
		case err != nil:
			failed++
		}
	}
	if errs[13] == nil {
		t.Error("the activity whose transaction failed was answered as recorded")
	}
	if failed == n {
		t.Error("one failed transaction failed every request")
	}
	if shared == 0 {
		t.Errorf("%d activities in %d transactions: none shared one", n, batches)
	}
	if g.leading || len(g.waiting) != 0 {
		t.Errorf("after the burst: leading=%v, %d waiting", g.leading, len(g.waiting))
	}
	t.Logf("%d activities in %d transactions, %d failed with the one holding %s", n, batches, failed, failing)
}

// A transaction that panics fails its own requests and hands the lead on:
// later requests are still recorded.
func TestGroupCommitSurvivesAPanic(t *testing.T) {
	var g groupCommit
	boom := func(context.Context, []*accepted) error { panic("driver bug") }
	if err := g.submit(context.Background(), boom, &accepted{row: receivedRow{ID: "a"}}); err == nil {
		t.Fatal("a panicking transaction answered as recorded")
	}
	wrote := 0
	ok := func(_ context.Context, b []*accepted) error { wrote += len(b); return nil }
	if err := g.submit(context.Background(), ok, &accepted{row: receivedRow{ID: "b"}}); err != nil || wrote != 1 {
		t.Fatalf("after the panic: err %v, %d written", err, wrote)
	}
}
