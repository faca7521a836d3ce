package embedded

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"collectif/search"
)

// Layout of the directory given to Open. Each build of the index lives in
// its own generation directory; currentFile names the live one. Switching
// is the atomic rename of a freshly written pointer file, so a crash leaves
// either the old or the new generation live, never a half-built one.
const (
	currentFile = "CURRENT"
	genPrefix   = "gen-"
)

// Tuning.
const (
	batchSize = 1000 // documents per bleve batch: bigger batches, fewer segments to merge
	// maxFacetValues is the number of values counted per facet, like
	// Meilisearch's default faceting.maxValuesPerFacet.
	maxFacetValues = 100
)

var (
	errClosed   = errors.New("embedded: index closed")
	errDetached = errors.New("embedded: index opened detached, for rebuilding only")
)

// retireWait bounds how long a detached Rebuild waits for a serving
// process to switch to the new generation; Follow checks every few seconds.
const retireWait = time.Minute

// Index is a search.Index kept in a local directory with bleve.
// It is safe for concurrent use: searches run while documents are written
// and while Rebuild fills the next generation.
type Index struct {
	dir string

	// mu guards gen and closed. Searches and writes hold it shared for their
	// whole duration, so a generation is never closed under them; Rebuild's
	// switch and Close hold it exclusively, which is brief.
	mu     sync.RWMutex
	gen    *generation // nil when detached
	closed bool

	rebuildMu sync.Mutex // one Rebuild at a time

	// While a Rebuild runs, writes to the live generation are also recorded
	// here and replayed onto the new one before the switch: fill reads a
	// snapshot of the hub taken after Rebuild started, and without the
	// journal a write landing between that snapshot and the switch would be
	// lost.
	jmu     sync.Mutex
	journal *[]journalEntry
}

type generation struct {
	name string
	idx  bleve.Index
	an   *analyzers
}

type journalEntry struct {
	docs []search.Document // upsert when non-nil
	ids  []string          // delete otherwise
}

var _ search.Index = (*Index)(nil)

// Open opens the index stored under dir, creating it if needed (the hub
// passes "<data dir>/search"). Leftovers of an interrupted Rebuild are
// removed.
func Open(dir string) (*Index, error) {
	if dir == "" {
		return nil, errors.New("embedded: empty directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: create %s: %w", dir, err)
	}
	name, err := readCurrent(dir)
	if err != nil {
		return nil, err
	}
	var g *generation
	if name != "" {
		g, err = openGeneration(dir, name)
		if err != nil {
			return nil, err
		}
	} else {
		g, err = createGeneration(dir)
		if err != nil {
			return nil, err
		}
		if err := writeCurrent(dir, g.name); err != nil {
			_ = g.idx.Close()
			return nil, err
		}
	}
	if err := removeStale(dir, g.name); err != nil {
		_ = g.idx.Close()
		return nil, err
	}
	return &Index{dir: dir, gen: g}, nil
}

// OpenDetached opens the directory for a process that must not hold the
// live index (the bleve files of a generation are locked by the process that
// opened them: a running `collectif serve`). Searches and writes are
// unavailable; Rebuild builds a new generation in its own directory,
// switches the pointer file, and waits for the serving process, if any,
// to follow (see Follow) before removing the old generation.
func OpenDetached(dir string) (*Index, error) {
	if dir == "" {
		return nil, errors.New("embedded: empty directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: create %s: %w", dir, err)
	}
	if _, err := readCurrent(dir); err != nil {
		return nil, err
	}
	return &Index{dir: dir}, nil
}

// Name implements search.Index.
func (i *Index) Name() string { return "embedded" }

// Setup implements search.Index. Open already created the index with its
// mapping, so there is nothing to apply: Setup only checks it is usable.
func (i *Index) Setup(ctx context.Context) error {
	i.mu.RLock()
	detached := i.gen == nil && !i.closed
	i.mu.RUnlock()
	if detached {
		return ctx.Err() // OpenDetached checked the directory
	}
	return i.Ping(ctx)
}

// Ping implements search.Index.
func (i *Index) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	if err := i.usable(); err != nil {
		return err
	}
	if _, err := i.gen.idx.DocCount(); err != nil {
		return fmt.Errorf("%w: embedded: %w", search.ErrUnavailable, err)
	}
	return nil
}

// Close implements search.Index. It waits for searches and writes in flight.
func (i *Index) Close() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed {
		return nil
	}
	i.closed = true
	if i.gen == nil {
		return nil
	}
	if err := i.gen.idx.Close(); err != nil {
		return fmt.Errorf("embedded: close: %w", err)
	}
	return nil
}

// Upsert implements search.Index.
func (i *Index) Upsert(ctx context.Context, docs ...search.Document) error {
	for _, d := range docs {
		if d.ID == "" {
			return errors.New("embedded: document without ID")
		}
	}
	if len(docs) == 0 {
		return nil
	}
	return i.write(ctx, journalEntry{docs: docs})
}

// Delete implements search.Index. Unknown IDs are ignored.
func (i *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return i.write(ctx, journalEntry{ids: ids})
}

func (i *Index) write(ctx context.Context, e journalEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	if err := i.usable(); err != nil {
		return err
	}
	if err := apply(ctx, i.gen.idx, e); err != nil {
		return err
	}
	i.jmu.Lock()
	if i.journal != nil {
		*i.journal = append(*i.journal, e)
	}
	i.jmu.Unlock()
	return nil
}

// usable says why the index cannot be used, if it cannot. Caller holds mu.
func (i *Index) usable() error {
	switch {
	case i.closed:
		return fmt.Errorf("%w: %w", search.ErrUnavailable, errClosed)
	case i.gen == nil:
		return fmt.Errorf("%w: %w", search.ErrUnavailable, errDetached)
	}
	return nil
}

// apply writes one journal entry to idx, in batches.
func apply(ctx context.Context, idx bleve.Index, e journalEntry) error {
	if e.docs != nil {
		for start := 0; start < len(e.docs); start += batchSize {
			if err := ctx.Err(); err != nil {
				return err
			}
			b := idx.NewBatch()
			for _, d := range e.docs[start:min(start+batchSize, len(e.docs))] {
				if err := b.Index(d.ID, toBleve(d)); err != nil {
					return fmt.Errorf("embedded: index %s: %w", d.ID, err)
				}
			}
			if err := idx.Batch(b); err != nil {
				return fmt.Errorf("embedded: write batch: %w", err)
			}
		}
		return nil
	}
	b := idx.NewBatch()
	for _, id := range e.ids {
		b.Delete(id)
	}
	if err := idx.Batch(b); err != nil {
		return fmt.Errorf("embedded: delete: %w", err)
	}
	return nil
}

// Search implements search.Index.
func (i *Index) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	if err := i.usable(); err != nil {
		return nil, err
	}
	g := i.gen

	units := g.an.parse(q.Text, q.Prefix)
	// Every word first; if no document has them all, any word. A search
	// box is read as "all of these", but a misspelt or unknown word must not
	// leave the page empty when the others match (Meilisearch's default
	// matching strategy makes the same trade-off by dropping words from the
	// end). The choice depends on the query only, not on the page, so
	// paging stays consistent.
	//
	// Typos are tolerated only when the words as typed (stems, synonyms,
	// prefix) find less than a page: fuzzy matching expands each word to
	// every term within its typo budget, which was most of the time of a
	// query on 100,000 documents, and Meilisearch ranks typo-free matches
	// first anyway. This too depends on the query only, not on the page.
	res, err := i.run(ctx, g, q, buildText(units, true, false))
	if err == nil && res.Total < typoFallbackBelow && hasTypoBudget(units) {
		res, err = i.run(ctx, g, q, buildText(units, true, true))
	}
	if err == nil && res.Total == 0 && len(units) > 1 {
		res, err = i.run(ctx, g, q, buildText(units, false, true))
	}
	if err != nil {
		return nil, err
	}

	out := &search.Result{Total: int(res.Total), Engine: i.Name(), Hits: make([]search.Hit, 0, len(res.Hits))}
	m := newMatcher(g.an, units)
	for _, dm := range res.Hits {
		h := search.Hit{
			ID:    dm.ID,
			Type:  stringField(dm.Fields, search.FieldType),
			Title: stringField(dm.Fields, fieldTitle),
			URL:   stringField(dm.Fields, fieldURL),
			Date:  timeField(dm.Fields, fieldDate),
			Score: dm.Score,
		}
		h.Snippet = chooseSnippet(m, stringField(dm.Fields, fieldSummary), stringField(dm.Fields, fieldBody))
		out.Hits = append(out.Hits, h)
	}
	if len(q.Facets) > 0 {
		out.Facets = make(map[string][]search.FacetCount, len(q.Facets))
		for _, f := range q.Facets {
			counts := []search.FacetCount{}
			if fr, ok := res.Facets[f]; ok && fr.Terms != nil {
				for _, t := range fr.Terms.Terms() {
					counts = append(counts, search.FacetCount{Value: t.Term, Count: t.Count})
				}
			}
			if fr, ok := res.Facets[f]; ok && f == search.FieldWhen {
				for _, r := range fr.DateRanges {
					if r.Count > 0 {
						counts = append(counts, search.FacetCount{Value: r.Name, Count: r.Count})
					}
				}
			}
			search.SortFacetCounts(counts)
			out.Facets[f] = counts
		}
	}
	return out, nil
}

// typoFallbackBelow: fewer exact matches than this and the query runs
// again with typo tolerance.
const typoFallbackBelow = search.DefaultPerPage

// hasTypoBudget reports whether any word of the query may carry a typo, so
// that running it again with typo tolerance can change anything.
func hasTypoBudget(units []unit) bool {
	for _, u := range units {
		for _, w := range u.words {
			if w.term != "" && typoBudget(w.term) > 0 {
				return true
			}
		}
	}
	return false
}

// run executes one bleve search: text (nil for every document) under the
// query's filters, with its sort, page and facets.
func (i *Index) run(ctx context.Context, g *generation, q search.Query, text query.Query) (*bleve.SearchResult, error) {
	if text == nil {
		text = query.NewMatchAllQuery()
	}
	bq := query.NewBooleanQuery([]query.Query{text}, nil, nil)
	bq.AddFilter(buildFilter(q))

	req := bleve.NewSearchRequestOptions(bq, q.PerPage, (q.Page-1)*q.PerPage, false)
	req.Fields = []string{search.FieldType, fieldTitle, fieldURL, fieldDate, fieldSummary, fieldBody}
	// Relevance sorts on the score alone: any field in the sort makes bleve
	// read that field's doc values for every match, which tripled query
	// time on 100,000 documents. Ties keep index order, which is stable
	// between two requests, so pages do not overlap.
	if q.Sort == search.SortNewest {
		req.SortBy([]string{"-" + fieldDate, "-_score"})
	}
	for _, f := range q.Facets {
		if f == search.FieldWhen {
			fr := bleve.NewFacetRequest(fieldDate, 3)
			for _, r := range search.WhenRanges(q.Now) {
				// A zero bound is open; bounds are compared in UTC, as stored.
				fr.AddDateTimeRange(r.Value, utcOrZero(r.Start), utcOrZero(r.End))
			}
			req.AddFacet(f, fr)
			continue
		}
		req.AddFacet(f, bleve.NewFacetRequest(f, maxFacetValues))
	}
	res, err := g.idx.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("embedded: search: %w", ctx.Err())
		}
		return nil, fmt.Errorf("embedded: search: %w", err)
	}
	return res, nil
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// chooseSnippet prefers the summary when the query matched it, then the
// body, then the summary as written: the same choice as the Meilisearch
// adapter makes from its _formatted fields.
func chooseSnippet(m *matcher, summary, body string) string {
	s, ok := m.render(summary)
	if ok {
		return s
	}
	if b, ok := m.render(body); ok {
		return b
	}
	if s != "" {
		return s
	}
	b, _ := m.render(body)
	return b
}

func stringField(fields map[string]interface{}, name string) string {
	switch v := fields[name].(type) {
	case string:
		return v
	case []interface{}:
		// A field stored several times comes back as a list; the adapter
		// only stores single values, so this is defensive.
		if len(v) > 0 {
			if s, ok := v[0].(string); ok {
				return s
			}
		}
	}
	return ""
}

func timeField(fields map[string]interface{}, name string) time.Time {
	s := stringField(fields, name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Rebuild implements search.Index. The new generation is filled in its own
// directory while the live one answers; writes made meanwhile are replayed
// onto it; then the pointer file is swapped and the old directory removed.
func (i *Index) Rebuild(ctx context.Context, fill func(emit func(search.Document) error) error) error {
	i.rebuildMu.Lock()
	defer i.rebuildMu.Unlock()

	i.mu.RLock()
	closed, detached := i.closed, i.gen == nil
	i.mu.RUnlock()
	if closed {
		return fmt.Errorf("%w: %w", search.ErrUnavailable, errClosed)
	}
	if detached {
		return i.rebuildDetached(ctx, fill)
	}

	next, err := createGeneration(i.dir)
	if err != nil {
		return err
	}
	discard := func() {
		_ = next.idx.Close()
		_ = os.RemoveAll(filepath.Join(i.dir, next.name))
	}

	i.jmu.Lock()
	i.journal = &[]journalEntry{}
	i.jmu.Unlock()
	stopJournal := func() {
		i.jmu.Lock()
		i.journal = nil
		i.jmu.Unlock()
	}

	if err := fillGeneration(ctx, next.idx, fill); err != nil {
		stopJournal()
		discard()
		return err
	}

	// Replay in two steps: most of the journal without blocking anyone, then
	// under the exclusive lock only what arrived during the first step.
	replayed, err := i.replay(ctx, next.idx, 0)
	if err != nil {
		stopJournal()
		discard()
		return err
	}

	i.mu.Lock()
	if i.closed {
		i.mu.Unlock()
		stopJournal()
		discard()
		return fmt.Errorf("%w: %w", search.ErrUnavailable, errClosed)
	}
	if _, err := i.replay(context.WithoutCancel(ctx), next.idx, replayed); err != nil {
		i.mu.Unlock()
		stopJournal()
		discard()
		return err
	}
	if err := writeCurrent(i.dir, next.name); err != nil {
		i.mu.Unlock()
		stopJournal()
		discard()
		return err
	}
	old := i.gen
	i.gen = next
	i.mu.Unlock()
	stopJournal()

	// Nobody can reach the old generation any more: searches that used it
	// finished before the exclusive lock was granted.
	if err := old.idx.Close(); err != nil {
		return fmt.Errorf("embedded: close previous index: %w", err)
	}
	if err := os.RemoveAll(filepath.Join(i.dir, old.name)); err != nil {
		return fmt.Errorf("embedded: remove previous index: %w", err)
	}
	return nil
}

// rebuildDetached builds a generation without holding the live one: fill,
// close (releasing its lock), switch the pointer, then wait until no
// process holds the previous generation — a serving process switches to
// the new one within its Follow period and removes the old one — and
// remove it if nobody did.
func (i *Index) rebuildDetached(ctx context.Context, fill func(emit func(search.Document) error) error) error {
	next, err := createGeneration(i.dir)
	if err != nil {
		return err
	}
	path := filepath.Join(i.dir, next.name)
	if err := fillGeneration(ctx, next.idx, fill); err != nil {
		_ = next.idx.Close()
		_ = os.RemoveAll(path)
		return err
	}
	if err := next.idx.Close(); err != nil {
		_ = os.RemoveAll(path)
		return fmt.Errorf("embedded: close new index: %w", err)
	}
	old, err := readCurrent(i.dir)
	if err != nil {
		_ = os.RemoveAll(path)
		return err
	}
	if err := writeCurrent(i.dir, next.name); err != nil {
		_ = os.RemoveAll(path)
		return err
	}
	if old == "" || old == next.name {
		return nil
	}
	oldPath := filepath.Join(i.dir, old)
	deadline := time.Now().Add(retireWait)
	for {
		if _, err := os.Stat(oldPath); errors.Is(err, fs.ErrNotExist) {
			return nil // the serving process switched and removed it
		}
		if !held(oldPath) {
			// Nobody serves from it (no server runs, or it has just
			// closed it): remove it, as the server would have.
			if err := os.RemoveAll(oldPath); err != nil {
				return fmt.Errorf("embedded: remove previous index: %w", err)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("embedded: the new index is in place, but the running server still uses the previous one after %s: it switches when it next checks, or at its next start", retireWait)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embedded: the new index is in place; stopped waiting for the running server to switch: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// held reports whether another process (or this one) has the generation
// at path open: its bleve files are locked.
func held(path string) bool {
	idx, err := bleve.OpenUsing(path, map[string]interface{}{"bolt_timeout": "100ms"})
	if err != nil {
		return strings.Contains(err.Error(), "timeout")
	}
	_ = idx.Close()
	return false
}

// Follow makes a serving process follow the switches that another process
// (`collectif reindex`, through OpenDetached) makes: every period until ctx
// ends, it reads the pointer file and, when it names a new generation,
// opens it, swaps it in for searches and writes, closes and removes the old
// one, then calls switched with the time the new generation's build began.
// Writes this process made to the old generation since then are not in the
// new one: switched must re-apply them (the hub enqueues again the index
// jobs created since). Errors go to failed; the next period tries again.
func (i *Index) Follow(ctx context.Context, every time.Duration, switched func(since time.Time), failed func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		since, ok, err := i.adopt()
		if err != nil && failed != nil {
			failed(err)
		}
		if ok && switched != nil {
			switched(since)
		}
	}
}

// adopt switches to the generation the pointer file names, if it is not
// the live one.
func (i *Index) adopt() (time.Time, bool, error) {
	i.mu.RLock()
	cur, closed := i.gen, i.closed
	i.mu.RUnlock()
	if closed || cur == nil {
		return time.Time{}, false, nil
	}
	name, err := readCurrent(i.dir)
	if err != nil || name == "" || name == cur.name {
		return time.Time{}, false, err
	}
	// An in-process Rebuild switches by itself; do not interleave.
	if !i.rebuildMu.TryLock() {
		return time.Time{}, false, nil
	}
	defer i.rebuildMu.Unlock()
	next, err := openGeneration(i.dir, name)
	if err != nil {
		return time.Time{}, false, err
	}
	i.mu.Lock()
	if i.closed || i.gen != cur {
		i.mu.Unlock()
		_ = next.idx.Close()
		return time.Time{}, false, nil
	}
	i.gen = next
	i.mu.Unlock()
	// Searches and writes that used the old generation finished before
	// the exclusive lock was granted.
	if err := cur.idx.Close(); err != nil {
		return genStart(name), true, fmt.Errorf("embedded: close previous index: %w", err)
	}
	if err := os.RemoveAll(filepath.Join(i.dir, cur.name)); err != nil {
		return genStart(name), true, fmt.Errorf("embedded: remove previous index: %w", err)
	}
	return genStart(name), true, nil
}

// genStart is when the generation's build began: its name holds the time
// it was created.
func genStart(name string) time.Time {
	s := strings.TrimPrefix(name, genPrefix)
	s, _, _ = strings.Cut(s, "-")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// replay applies journal entries from index `from` onwards to idx and
// returns the index after the last one applied.
func (i *Index) replay(ctx context.Context, idx bleve.Index, from int) (int, error) {
	i.jmu.Lock()
	var pending []journalEntry
	if i.journal != nil && from < len(*i.journal) {
		pending = append(pending, (*i.journal)[from:]...)
	}
	i.jmu.Unlock()
	for _, e := range pending {
		if err := apply(ctx, idx, e); err != nil {
			return from, fmt.Errorf("embedded: replay writes made during rebuild: %w", err)
		}
		from++
	}
	return from, nil
}

func fillGeneration(ctx context.Context, idx bleve.Index, fill func(emit func(search.Document) error) error) error {
	b := idx.NewBatch()
	flush := func() error {
		if b.Size() == 0 {
			return nil
		}
		if err := idx.Batch(b); err != nil {
			return fmt.Errorf("embedded: rebuild batch: %w", err)
		}
		b.Reset()
		return nil
	}
	emit := func(d search.Document) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.ID == "" {
			return errors.New("embedded: document without ID")
		}
		if err := b.Index(d.ID, toBleve(d)); err != nil {
			return fmt.Errorf("embedded: index %s: %w", d.ID, err)
		}
		if b.Size() >= batchSize {
			return flush()
		}
		return nil
	}
	if err := fill(emit); err != nil {
		return fmt.Errorf("embedded: rebuild: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: rebuild: %w", err)
	}
	return flush()
}

// createGeneration makes a new, empty generation directory.
func createGeneration(dir string) (*generation, error) {
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	name := genPrefix + strconv.FormatInt(time.Now().UTC().UnixNano(), 10)
	for n := 0; ; n++ {
		candidate := name
		if n > 0 {
			candidate = name + "-" + strconv.Itoa(n)
		}
		if _, err := os.Stat(filepath.Join(dir, candidate)); errors.Is(err, fs.ErrNotExist) {
			name = candidate
			break
		}
		if n > 100 {
			return nil, fmt.Errorf("embedded: no free generation name in %s", dir)
		}
	}
	idx, err := bleve.New(filepath.Join(dir, name), m)
	if err != nil {
		return nil, fmt.Errorf("embedded: create index: %w", err)
	}
	g, err := newGeneration(name, idx)
	if err != nil {
		_ = idx.Close()
		_ = os.RemoveAll(filepath.Join(dir, name))
		return nil, err
	}
	return g, nil
}

func openGeneration(dir, name string) (*generation, error) {
	// Another process holding the index (a second `collectif serve` on
	// the same data dir) must not hang this one: wait two seconds for the
	// lock, then say why.
	idx, err := bleve.OpenUsing(filepath.Join(dir, name), map[string]interface{}{"bolt_timeout": "2s"})
	if err != nil {
		if strings.Contains(err.Error(), "timeout") {
			return nil, fmt.Errorf("embedded: the index %s is in use by another process (one data dir per node; several nodes need Meilisearch)", name)
		}
		return nil, fmt.Errorf("embedded: open index %s: %w", name, err)
	}
	g, err := newGeneration(name, idx)
	if err != nil {
		_ = idx.Close()
		return nil, err
	}
	return g, nil
}

func newGeneration(name string, idx bleve.Index) (*generation, error) {
	m := idx.Mapping()
	text, prefix := m.AnalyzerNamed(analyzerText), m.AnalyzerNamed(analyzerPrefix)
	if text == nil || prefix == nil {
		return nil, fmt.Errorf("embedded: index %s lacks the %s analyzers: rebuild it", name, analyzerText)
	}
	return &generation{name: name, idx: idx, an: newAnalyzers(text, prefix)}, nil
}

// readCurrent returns the live generation's name, or "" for a new directory.
func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("embedded: read %s: %w", currentFile, err)
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, genPrefix) || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("embedded: %s names %q, not a generation", currentFile, name)
	}
	return name, nil
}

// writeCurrent points the directory at generation name: write a temporary
// file, sync it, rename it over the pointer, sync the directory.
func writeCurrent(dir, name string) error {
	tmp := filepath.Join(dir, currentFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("embedded: write pointer: %w", err)
	}
	_, werr := f.WriteString(name + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("embedded: write pointer: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, currentFile)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("embedded: switch pointer: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: the rename is atomic either way, this makes it durable
		_ = d.Close()
	}
	return nil
}

// removeStale deletes generation directories other than live: those of a
// Rebuild that crashed before its switch, or of one whose cleanup failed.
func removeStale(dir, live string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("embedded: list %s: %w", dir, err)
	}
	for _, e := range entries {
		n := e.Name()
		// A generation another process is building (a detached Rebuild) is
		// locked by it: leave it.
		if n == currentFile+".tmp" || (e.IsDir() && strings.HasPrefix(n, genPrefix) && n != live && !held(filepath.Join(dir, n))) {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return fmt.Errorf("embedded: remove stale %s: %w", n, err)
			}
		}
	}
	return nil
}
