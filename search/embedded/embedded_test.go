package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"collectif/search"
	"collectif/search/embedded"
	"collectif/search/searchtest"
)

func openTemp(t *testing.T) search.Index {
	t.Helper()
	idx, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := idx.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return idx
}

func TestBehaviour(t *testing.T) {
	searchtest.Run(t, openTemp)
}

func TestReopenKeepsDocuments(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	idx, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := idx.Upsert(ctx, searchtest.Corpus()...); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	idx, err = embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	res, err := idx.Search(ctx, search.Query{Text: "Échirolles"})
	if err != nil || res.Total == 0 {
		t.Fatalf("after reopen: %v, %+v", err, res)
	}
}

func TestRebuildLeavesOneGeneration(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// A leftover of a rebuild that crashed before switching.
	if err := os.MkdirAll(filepath.Join(dir, "gen-0-crashed"), 0o750); err != nil {
		t.Fatal(err)
	}
	idx, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	gens := func() []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "gen-") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	current := func() string {
		b, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if g := gens(); len(g) != 1 || g[0] != current() {
		t.Fatalf("after Open: generations %v, CURRENT %q", g, current())
	}
	before := current()
	err = idx.Rebuild(ctx, func(emit func(search.Document) error) error {
		for _, d := range searchtest.Corpus() {
			if err := emit(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := gens(); len(g) != 1 || g[0] != current() || current() == before {
		t.Fatalf("after Rebuild: generations %v, CURRENT %q (was %q)", g, current(), before)
	}
	// A cancelled rebuild leaves the live generation alone and nothing behind.
	cctx, cancel := context.WithCancel(ctx)
	err = idx.Rebuild(cctx, func(emit func(search.Document) error) error {
		cancel()
		return emit(searchtest.Corpus()[0])
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Rebuild = %v", err)
	}
	if g := gens(); len(g) != 1 {
		t.Errorf("after cancelled Rebuild: generations %v", g)
	}
	if res, err := idx.Search(ctx, search.Query{PerPage: 1}); err != nil || res.Total != len(searchtest.Corpus())-1 {
		t.Errorf("after cancelled Rebuild: %v, %+v", err, res)
	}
}

func TestClosedIsUnavailable(t *testing.T) {
	idx, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, serr := idx.Search(ctx, search.Query{Text: "x"})
	for name, err := range map[string]error{
		"Ping":    idx.Ping(ctx),
		"Setup":   idx.Setup(ctx),
		"Upsert":  idx.Upsert(ctx, searchtest.Corpus()[0]),
		"Delete":  idx.Delete(ctx, "x"),
		"Search":  serr,
		"Rebuild": idx.Rebuild(ctx, func(func(search.Document) error) error { return nil }),
	} {
		if !errors.Is(err, search.ErrUnavailable) {
			t.Errorf("%s after Close = %v", name, err)
		}
	}
	if err := idx.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestOpenRefusesBadPointer(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "CURRENT"), []byte("../elsewhere\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := embedded.Open(dir); err == nil {
		t.Error("Open followed a pointer out of its directory")
	}
}

// Searches, writes and rebuilds at once, for the race detector, with a
// bounded number of rounds. Writers behave like the hub: commit to the
// database, then index; Rebuild fills from a snapshot of the database. In
// the end the index must hold exactly what the database holds.
func TestConcurrentUse(t *testing.T) {
	idx := openTemp(t)
	ctx := context.Background()
	var dbMu sync.Mutex
	db := map[string]search.Document{}
	for _, d := range searchtest.Corpus() {
		db[d.ID] = d
	}
	snapshot := func() []search.Document {
		dbMu.Lock()
		defer dbMu.Unlock()
		return slices.Collect(maps.Values(db))
	}
	if err := idx.Upsert(ctx, snapshot()...); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 3 {
		wg.Go(func() {
			for i := range 30 {
				if _, err := idx.Search(ctx, search.Query{Text: "nextcloud visio", Facets: []string{"type"}, Prefix: i%2 == 0}); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for i := range 20 {
				d := searchtest.Corpus()[0]
				d.ID = fmt.Sprintf("topic:concurrent-%d-%d", w, i)
				dbMu.Lock()
				db[d.ID] = d
				dbMu.Unlock()
				if err := idx.Upsert(ctx, d); err != nil {
					errs <- err
					return
				}
				if i%3 == 0 {
					dbMu.Lock()
					delete(db, d.ID)
					dbMu.Unlock()
					if err := idx.Delete(ctx, d.ID); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range 2 {
			err := idx.Rebuild(ctx, func(emit func(search.Document) error) error {
				for _, d := range snapshot() {
					if err := emit(d); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res, err := idx.Search(ctx, search.Query{Audience: []string{searchtest.GroupMarches}, PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(snapshot()); res.Total != want {
		t.Errorf("index holds %d documents after concurrent writes and rebuilds, the database %d", res.Total, want)
	}
}

func TestSnippetOfLongBody(t *testing.T) {
	idx := openTemp(t)
	ctx := context.Background()
	body := strings.Repeat("Le conseil a délibéré sur le budget annuel. ", 200) + "Enfin, la migration vers Nextcloud est votée. " +
		strings.Repeat("Questions diverses sans rapport. ", 50)
	d := search.Document{ID: "resource:long", Type: "resource", Title: "Compte rendu", Body: body, Audience: []string{"public"}}
	if err := idx.Upsert(ctx, d); err != nil {
		t.Fatal(err)
	}
	res, err := idx.Search(ctx, search.Query{Text: "nextcloud"})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	s := res.Hits[0].Snippet
	if !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") || !strings.Contains(s, "<mark>Nextcloud</mark>") {
		t.Errorf("snippet %q: want a cropped window around the match", s)
	}
	if n := len(strings.Fields(s)); n > 40 {
		t.Errorf("snippet has %d words", n)
	}
}

// TestDetachedRebuildWhileServing is `collectif reindex` while `collectif
// serve` runs: the server holds the live generation (its files are
// locked), so the command builds a new one detached and switches the
// pointer; the server follows, and re-applies what it wrote meanwhile.
func TestDetachedRebuildWhileServing(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	live, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	corpus := searchtest.Corpus()
	old, rebuilt, during := corpus[0], corpus[1], corpus[2]
	if err := live.Upsert(ctx, old); err != nil {
		t.Fatal(err)
	}

	fctx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex
	var sinces []time.Time
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		live.Follow(fctx, 20*time.Millisecond, func(since time.Time) {
			// What the hub does: re-apply the writes made since the build
			// began (here, the one write).
			mu.Lock()
			sinces = append(sinces, since)
			mu.Unlock()
			if err := live.Upsert(ctx, during); err != nil {
				t.Errorf("re-apply: %v", err)
			}
		}, func(err error) { t.Errorf("Follow: %v", err) })
	}()

	det, err := embedded.OpenDetached(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	if _, err := det.Search(ctx, search.Query{Text: "x"}); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("search on a detached index = %v, want ErrUnavailable", err)
	}
	var wrote time.Time
	err = det.Rebuild(ctx, func(emit func(search.Document) error) error {
		// The server writes while the command fills: into the old
		// generation, which the new one replaces.
		wrote = time.Now()
		if err := live.Upsert(ctx, during); err != nil {
			return err
		}
		if err := emit(old); err != nil {
			return err
		}
		return emit(rebuilt)
	})
	if err != nil {
		t.Fatalf("detached Rebuild: %v", err)
	}
	// Rebuild returns once the server has switched and removed the old
	// generation.
	entries, _ := os.ReadDir(dir)
	var gens []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "gen-") {
			gens = append(gens, e.Name())
		}
	}
	if len(gens) != 1 {
		t.Fatalf("generations after the switch: %v", gens)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(sinces)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	if len(sinces) != 1 || sinces[0].After(wrote) {
		t.Errorf("switched called with %v; the write during the build was at %v", sinces, wrote)
	}
	mu.Unlock()
	for _, d := range []search.Document{old, rebuilt, during} {
		res, err := live.Search(ctx, search.Query{Text: d.Title, Audience: d.Audience})
		if err != nil || !slices.ContainsFunc(res.Hits, func(h search.Hit) bool { return h.ID == d.ID }) {
			t.Errorf("after the switch, %q is not found: %v", d.Title, err)
		}
	}
	stop()
	<-followed
}

// TestDetachedRebuildWithoutServer: with no server holding the index, the
// command switches and removes the old generation itself.
func TestDetachedRebuildWithoutServer(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	idx, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	det, err := embedded.OpenDetached(dir)
	if err != nil {
		t.Fatal(err)
	}
	doc := searchtest.Corpus()[0]
	if err := det.Rebuild(ctx, func(emit func(search.Document) error) error { return emit(doc) }); err != nil {
		t.Fatal(err)
	}
	det.Close()
	idx, err = embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	res, err := idx.Search(ctx, search.Query{Text: doc.Title, Audience: doc.Audience})
	if err != nil || res.Total == 0 {
		t.Fatalf("after a detached rebuild: %v %+v", err, res)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 { // CURRENT and one generation
		t.Errorf("directory after the rebuild: %v", entries)
	}
}
