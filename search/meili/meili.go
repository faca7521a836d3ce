package meili

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meilisearch/meilisearch-go"

	"collectif/search"
	"collectif/search/internal/snippet"
)

// Defaults for Options.
const (
	DefaultIndexUID    = "collectif"
	DefaultTimeout     = 10 * time.Second
	DefaultTaskTimeout = 2 * time.Minute
)

// Tuning.
const (
	pollInterval = 50 * time.Millisecond
	// docsPerRequest keeps each document payload well under Meilisearch's
	// default 100 MB limit even with attachments' text in bodies.
	docsPerRequest = 500
	primaryKey     = attrID
	rebuildSuffix  = "_rebuild"
)

// Options configures New. Zero values take the defaults.
type Options struct {
	// IndexUID names the live index; Rebuild uses IndexUID+"_rebuild" beside it.
	IndexUID string
	// HTTPClient sends the requests; each one is bounded by Timeout through
	// its context, so the client needs no timeout of its own.
	HTTPClient *http.Client
	// Timeout bounds one HTTP request.
	Timeout time.Duration
	// TaskTimeout bounds the wait for Meilisearch to process a write (a
	// settings change on a large index re-indexes it: minutes, not seconds).
	TaskTimeout time.Duration
}

// Index is a search.Index backed by a Meilisearch server, through its
// documented HTTP API. It is safe for concurrent use.
type Index struct {
	client      meilisearch.ServiceManager
	uid         string
	timeout     time.Duration
	taskTimeout time.Duration

	// Highlight placeholders, random per Index: document text cannot contain
	// them by chance or by design, so after HTML-escaping only they become
	// <mark> tags.
	pre, post string

	// mu is held shared by writes and exclusively by Rebuild while it
	// replays the last journal entries and swaps, so no write falls between
	// the replay and the swap.
	mu        sync.RWMutex
	rebuildMu sync.Mutex // one Rebuild at a time
	jmu       sync.Mutex
	journal   *[]journalEntry // non-nil while a Rebuild runs: writes to replay onto the new index
}

type journalEntry struct {
	docs []search.Document // upsert when non-nil
	ids  []string          // delete otherwise
}

var _ search.Index = (*Index)(nil)

var validUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,400}$`)

// New returns an adapter for the Meilisearch server at rawURL, using key as
// the API key ("" for a server without a master key). It makes no request:
// call Setup.
func New(rawURL, key string, opts Options) (*Index, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("meili: invalid server URL %q", rawURL)
	}
	if opts.IndexUID == "" {
		opts.IndexUID = DefaultIndexUID
	}
	if !validUID.MatchString(opts.IndexUID) || len(opts.IndexUID)+len(rebuildSuffix) > 400 {
		return nil, fmt.Errorf("meili: invalid index uid %q", opts.IndexUID)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.TaskTimeout <= 0 {
		opts.TaskTimeout = DefaultTaskTimeout
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("meili: highlight placeholders: %w", err)
	}
	tag := hex.EncodeToString(nonce[:])
	return &Index{
		// No retries in the client: a write that fails goes back to the
		// hub's durable queue, and a search page had better say "search is
		// unavailable" at once than after the client's backoff.
		client: meilisearch.New(strings.TrimRight(rawURL, "/"),
			meilisearch.WithAPIKey(key),
			meilisearch.WithCustomClient(hc),
			meilisearch.DisableRetries(),
		),
		uid:         opts.IndexUID,
		timeout:     opts.Timeout,
		taskTimeout: opts.TaskTimeout,
		pre:         "[[mark-" + tag + "]]",
		post:        "[[/mark-" + tag + "]]",
	}, nil
}

// Name implements search.Index.
func (i *Index) Name() string { return "meilisearch" }

// Close implements search.Index: it releases idle connections.
func (i *Index) Close() error {
	i.client.Close()
	return nil
}

// Ping implements search.Index.
func (i *Index) Ping(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, i.timeout)
	defer cancel()
	h, err := i.client.Health(rctx)
	if err != nil {
		return i.fail(ctx, "health", err)
	}
	if h.Status != "available" {
		return fmt.Errorf("%w: meili: server status %q", search.ErrUnavailable, h.Status)
	}
	// /health needs no key: ask for the index too, so that a wrong or
	// revoked key shows here rather than on the first write. A missing
	// index is fine: Setup creates it.
	rctx2, cancel2 := context.WithTimeout(ctx, i.timeout)
	defer cancel2()
	if _, err := i.client.GetIndex(rctx2, i.uid); err != nil && !hasCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return i.fail(ctx, "get index "+i.uid, err)
	}
	return nil
}

// Setup implements search.Index: it creates the index if needed, applies
// the settings and waits until Meilisearch has processed them.
func (i *Index) Setup(ctx context.Context) error {
	if err := i.ensureIndex(ctx, i.uid); err != nil {
		return err
	}
	return i.applySettings(ctx, i.uid)
}

func (i *Index) ensureIndex(ctx context.Context, uid string) error {
	rctx, cancel := context.WithTimeout(ctx, i.timeout)
	info, err := i.client.GetIndex(rctx, uid)
	cancel()
	if err == nil {
		if info.PrimaryKey != "" && info.PrimaryKey != primaryKey {
			return fmt.Errorf("meili: index %s has primary key %q, want %q: delete it or choose another IndexUID", uid, info.PrimaryKey, primaryKey)
		}
		return nil
	}
	if !hasCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return i.fail(ctx, "get index "+uid, err)
	}
	rctx, cancel = context.WithTimeout(ctx, i.timeout)
	task, err := i.client.CreateIndex(rctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: primaryKey})
	cancel()
	if err != nil {
		return i.fail(ctx, "create index "+uid, err)
	}
	err = i.wait(ctx, "create index "+uid, task)
	var te *taskError
	if errors.As(err, &te) && te.code == meilisearch.APIErrCodeIndexAlreadyExists {
		return nil // created meanwhile by another process: fine
	}
	return err
}

func (i *Index) applySettings(ctx context.Context, uid string) error {
	rctx, cancel := context.WithTimeout(ctx, i.timeout)
	task, err := i.client.Index(uid).UpdateSettings(rctx, settings())
	cancel()
	if err != nil {
		return i.fail(ctx, "update settings of "+uid, err)
	}
	return i.wait(ctx, "update settings of "+uid, task)
}

// document is what the adapter stores in Meilisearch. Empty values are left
// out so they are neither counted in facets nor matched by filters; dates
// are Unix seconds so they can be compared in filters and sorted.
type document struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary,omitempty"`
	Body       string   `json:"body,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	URL        string   `json:"url"`
	Collective string   `json:"collective,omitempty"`
	Group      string   `json:"group,omitempty"`
	Region     string   `json:"region,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Licence    string   `json:"licence,omitempty"`
	Audience   []string `json:"audience"`
	Date       *int64   `json:"date,omitempty"`
	EndDate    *int64   `json:"end_date,omitempty"`
}

func toDocument(d search.Document) (document, error) {
	key, err := encodeKey(d.ID)
	if err != nil {
		return document{}, fmt.Errorf("meili: %w", err)
	}
	out := document{
		ID: key, Type: d.Type, Title: d.Title, Summary: d.Summary, Body: d.Body,
		Tags: nonEmpty(d.Tags), URL: d.URL, Collective: d.Collective, Group: d.Group,
		Region: d.Region, Categories: nonEmpty(d.Categories), Licence: d.Licence,
		// Never null: a document without audience is seen by nobody, and an
		// empty array says so explicitly.
		Audience: nonEmpty(d.Audience),
	}
	if out.Audience == nil {
		out.Audience = []string{}
	}
	if !d.Date.IsZero() {
		v := d.Date.Unix()
		out.Date = &v
	}
	if !d.EndDate.IsZero() {
		v := d.EndDate.Unix()
		out.EndDate = &v
	}
	return out, nil
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Upsert implements search.Index: documents are added or replaced whole,
// and Upsert returns once Meilisearch has indexed them.
func (i *Index) Upsert(ctx context.Context, docs ...search.Document) error {
	if len(docs) == 0 {
		return nil
	}
	converted := make([]document, len(docs))
	for n, d := range docs {
		c, err := toDocument(d)
		if err != nil {
			return err
		}
		converted[n] = c
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	if err := i.addDocuments(ctx, i.uid, converted); err != nil {
		return err
	}
	i.record(journalEntry{docs: docs})
	return nil
}

// Delete implements search.Index. Unknown IDs are ignored.
func (i *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]string, len(ids))
	for n, id := range ids {
		k, err := encodeKey(id)
		if err != nil {
			return fmt.Errorf("meili: %w", err)
		}
		keys[n] = k
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	if err := i.deleteDocuments(ctx, i.uid, keys); err != nil {
		return err
	}
	i.record(journalEntry{ids: ids})
	return nil
}

func (i *Index) record(e journalEntry) {
	i.jmu.Lock()
	defer i.jmu.Unlock()
	if i.journal != nil {
		*i.journal = append(*i.journal, e)
	}
}

func (i *Index) addDocuments(ctx context.Context, uid string, docs []document) error {
	pk := primaryKey
	for start := 0; start < len(docs); start += docsPerRequest {
		chunk := docs[start:min(start+docsPerRequest, len(docs))]
		rctx, cancel := context.WithTimeout(ctx, i.timeout)
		task, err := i.client.Index(uid).AddDocuments(rctx, &chunk, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		cancel()
		if err != nil {
			return i.fail(ctx, "add documents to "+uid, err)
		}
		if err := i.wait(ctx, "add documents to "+uid, task); err != nil {
			return err
		}
	}
	return nil
}

func (i *Index) deleteDocuments(ctx context.Context, uid string, keys []string) error {
	rctx, cancel := context.WithTimeout(ctx, i.timeout)
	task, err := i.client.Index(uid).DeleteDocuments(rctx, keys, nil)
	cancel()
	if err != nil {
		return i.fail(ctx, "delete documents from "+uid, err)
	}
	return i.wait(ctx, "delete documents from "+uid, task)
}

// searchResponse is the part of Meilisearch's answer the adapter reads.
type searchResponse struct {
	Hits []struct {
		ID        string   `json:"id"`
		Type      string   `json:"type"`
		Title     string   `json:"title"`
		URL       string   `json:"url"`
		Date      *int64   `json:"date"`
		Summary   string   `json:"summary"`
		Body      string   `json:"body"`
		Score     *float64 `json:"_rankingScore"`
		Formatted struct {
			Summary string `json:"summary"`
			Body    string `json:"body"`
		} `json:"_formatted"`
	} `json:"hits"`
	TotalHits         int                       `json:"totalHits"`
	FacetDistribution map[string]map[string]int `json:"facetDistribution"`
}

// Search implements search.Index.
func (i *Index) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	req := i.searchRequest(q)
	rctx, cancel := context.WithTimeout(ctx, i.timeout)
	defer cancel()
	raw, err := i.client.Index(i.uid).SearchRaw(rctx, req.Query, req)
	if err != nil {
		return nil, i.fail(ctx, "search", err)
	}
	var resp searchResponse
	if err := json.Unmarshal(*raw, &resp); err != nil {
		return nil, fmt.Errorf("meili: search: decode answer: %w", err)
	}
	out := &search.Result{Total: resp.TotalHits, Engine: i.Name(), Hits: make([]search.Hit, 0, len(resp.Hits))}
	for _, h := range resp.Hits {
		id, err := decodeKey(h.ID)
		if err != nil {
			return nil, fmt.Errorf("meili: search: %w", err)
		}
		hit := search.Hit{ID: id, Type: h.Type, Title: h.Title, URL: h.URL}
		if h.Date != nil {
			hit.Date = time.Unix(*h.Date, 0).UTC()
		}
		if h.Score != nil {
			hit.Score = *h.Score
		}
		hit.Snippet = i.chooseSnippet(h.Formatted.Summary, h.Formatted.Body, h.Summary, h.Body)
		out.Hits = append(out.Hits, hit)
	}
	if len(q.Facets) > 0 {
		out.Facets = make(map[string][]search.FacetCount, len(q.Facets))
		for _, f := range q.Facets {
			if f == search.FieldWhen {
				if out.Facets[f], err = i.whenCounts(ctx, q); err != nil {
					return nil, err
				}
				continue
			}
			counts := []search.FacetCount{}
			for v, n := range resp.FacetDistribution[f] {
				counts = append(counts, search.FacetCount{Value: v, Count: n})
			}
			search.SortFacetCounts(counts)
			out.Facets[f] = counts
		}
	}
	return out, nil
}

// whenCounts counts the hits of q in each search.FieldWhen range.
// Meilisearch has no range facets: each range is one more search asking
// for no hits, only the total (capped at MaxResults like every total).
func (i *Index) whenCounts(ctx context.Context, q search.Query) ([]search.FacetCount, error) {
	counts := []search.FacetCount{}
	for _, r := range search.WhenRanges(q.Now) {
		rq := q
		rq.Facets, rq.Page = nil, 1
		if !r.Start.IsZero() && (rq.From.IsZero() || r.Start.After(rq.From)) {
			rq.From = r.Start
		}
		if !r.End.IsZero() {
			if last := r.End.Add(-time.Second); rq.To.IsZero() || last.Before(rq.To) {
				rq.To = last
			}
		}
		if !rq.From.IsZero() && !rq.To.IsZero() && rq.From.After(rq.To) {
			continue
		}
		req := i.searchRequest(rq)
		zero := int64(0)
		req.HitsPerPage = &zero
		req.AttributesToHighlight, req.AttributesToCrop, req.AttributesToRetrieve = nil, nil, []string{attrID}
		rctx, cancel := context.WithTimeout(ctx, i.timeout)
		raw, err := i.client.Index(i.uid).SearchRaw(rctx, req.Query, req)
		cancel()
		if err != nil {
			return nil, i.fail(ctx, "search", err)
		}
		var resp searchResponse
		if err := json.Unmarshal(*raw, &resp); err != nil {
			return nil, fmt.Errorf("meili: search: decode answer: %w", err)
		}
		if resp.TotalHits > 0 {
			counts = append(counts, search.FacetCount{Value: r.Value, Count: resp.TotalHits})
		}
	}
	search.SortFacetCounts(counts)
	return counts, nil
}

func (i *Index) searchRequest(q search.Query) *meilisearch.SearchRequest {
	text := q.Text
	if strings.TrimSpace(text) == "" {
		text = "" // placeholder search: every visible document
	} else if !q.Prefix {
		// Meilisearch always treats the last word as a prefix unless a
		// separator follows it; a trailing space says "this word is complete".
		if last, _ := utf8.DecodeLastRuneInString(text); !unicode.IsSpace(last) {
			text += " "
		}
	}
	perPage := int64(q.PerPage)
	req := &meilisearch.SearchRequest{
		Query:                 text,
		Filter:                buildFilter(q),
		Facets:                slices.DeleteFunc(slices.Clone(q.Facets), func(f string) bool { return f == search.FieldWhen }),
		Page:                  int64(q.Page),
		HitsPerPage:           &perPage,
		AttributesToRetrieve:  []string{attrID, search.FieldType, attrTitle, attrURL, attrDate, attrSummary, attrBody},
		AttributesToHighlight: []string{attrSummary, attrBody},
		AttributesToCrop:      []string{attrSummary, attrBody},
		CropLength:            cropWords,
		CropMarker:            snippet.Ellipsis,
		HighlightPreTag:       i.pre,
		HighlightPostTag:      i.post,
		ShowRankingScore:      true,
		Locales:               []string{"fra"},
	}
	if q.Sort == search.SortNewest {
		req.Sort = []string{attrDate + ":desc"}
	}
	return req
}

// chooseSnippet prefers the summary when the query matched in it, then the
// body, then the summary as written — the embedded engine's choice too.
func (i *Index) chooseSnippet(fSummary, fBody, summary, body string) string {
	switch {
	case strings.Contains(fSummary, i.pre):
		return snippet.EscapeMarked(fSummary, i.pre, i.post)
	case strings.Contains(fBody, i.pre):
		return snippet.EscapeMarked(fBody, i.pre, i.post)
	case fSummary != "":
		return snippet.EscapeMarked(fSummary, i.pre, i.post)
	case summary != "":
		return snippet.EscapeMarked(summary, i.pre, i.post)
	case fBody != "":
		return snippet.EscapeMarked(fBody, i.pre, i.post)
	}
	return snippet.EscapeMarked(body, i.pre, i.post)
}

// Rebuild implements search.Index: it fills "<uid>_rebuild" with the
// same settings, replays the writes made meanwhile, swaps it with the live
// index (one atomic task), and deletes what is now the old content.
func (i *Index) Rebuild(ctx context.Context, fill func(emit func(search.Document) error) error) error {
	i.rebuildMu.Lock()
	defer i.rebuildMu.Unlock()
	tmp := i.uid + rebuildSuffix

	// A rebuild interrupted earlier may have left its index behind.
	if err := i.deleteIndex(ctx, tmp); err != nil {
		return err
	}
	if err := i.ensureIndex(ctx, tmp); err != nil {
		return err
	}
	if err := i.applySettings(ctx, tmp); err != nil {
		return err
	}
	discard := func() {
		// Best effort, bounded: the next Rebuild deletes it anyway.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), i.timeout)
		defer cancel()
		_, _ = i.client.DeleteIndex(dctx, tmp)
	}

	i.jmu.Lock()
	i.journal = &[]journalEntry{}
	i.jmu.Unlock()
	stopJournal := func() {
		i.jmu.Lock()
		i.journal = nil
		i.jmu.Unlock()
	}

	var batch []document
	emit := func(d search.Document) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := toDocument(d)
		if err != nil {
			return err
		}
		batch = append(batch, c)
		if len(batch) >= docsPerRequest {
			err := i.addDocuments(ctx, tmp, batch)
			batch = batch[:0]
			return err
		}
		return nil
	}
	err := fill(emit)
	if err == nil && len(batch) > 0 {
		err = i.addDocuments(ctx, tmp, batch)
	}
	if err != nil {
		stopJournal()
		discard()
		return fmt.Errorf("meili: rebuild: %w", err)
	}

	replayed, err := i.replay(ctx, tmp, 0)
	if err != nil {
		stopJournal()
		discard()
		return err
	}

	if err := i.switchTo(ctx, tmp, replayed); err != nil {
		discard()
		return err
	}
	// tmp now holds the previous content.
	return i.deleteIndex(ctx, tmp)
}

// switchTo replays the last journal entries onto tmp and swaps it with the
// live index, holding writes off meanwhile so none lands between the two.
func (i *Index) switchTo(ctx context.Context, tmp string, replayed int) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	defer func() {
		i.jmu.Lock()
		i.journal = nil
		i.jmu.Unlock()
	}()
	if _, err := i.replay(ctx, tmp, replayed); err != nil {
		return err
	}
	if err := i.ensureIndex(ctx, i.uid); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, i.timeout)
	task, err := i.client.SwapIndexes(rctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{i.uid, tmp}}})
	cancel()
	if err != nil {
		return i.fail(ctx, "swap indexes", err)
	}
	return i.wait(ctx, "swap indexes", task)
}

// replay applies the journal from entry `from` onwards to uid and returns
// the index after the last entry applied.
func (i *Index) replay(ctx context.Context, uid string, from int) (int, error) {
	i.jmu.Lock()
	var pending []journalEntry
	if i.journal != nil && from < len(*i.journal) {
		pending = append(pending, (*i.journal)[from:]...)
	}
	i.jmu.Unlock()
	for _, e := range pending {
		var err error
		if e.docs != nil {
			docs := make([]document, 0, len(e.docs))
			for _, d := range e.docs {
				c, cerr := toDocument(d)
				if cerr != nil {
					return from, cerr
				}
				docs = append(docs, c)
			}
			err = i.addDocuments(ctx, uid, docs)
		} else {
			keys := make([]string, 0, len(e.ids))
			for _, id := range e.ids {
				k, kerr := encodeKey(id)
				if kerr != nil {
					return from, fmt.Errorf("meili: %w", kerr)
				}
				keys = append(keys, k)
			}
			err = i.deleteDocuments(ctx, uid, keys)
		}
		if err != nil {
			return from, fmt.Errorf("meili: replay writes made during rebuild: %w", err)
		}
		from++
	}
	return from, nil
}

// deleteIndex deletes uid and waits; a missing index is not an error.
func (i *Index) deleteIndex(ctx context.Context, uid string) error {
	rctx, cancel := context.WithTimeout(ctx, i.timeout)
	task, err := i.client.DeleteIndex(rctx, uid)
	cancel()
	if err != nil {
		return i.fail(ctx, "delete index "+uid, err)
	}
	err = i.wait(ctx, "delete index "+uid, task)
	var te *taskError
	if errors.As(err, &te) && te.code == meilisearch.APIErrCodeIndexNotFound {
		return nil
	}
	return err
}

// taskError is a task that Meilisearch processed and refused.
type taskError struct {
	op      string
	uid     int64
	status  meilisearch.TaskStatus
	code    meilisearch.APIErrCode
	message string
}

func (e *taskError) Error() string {
	return fmt.Sprintf("meili: %s: task %d %s: %s (%s)", e.op, e.uid, e.status, e.message, e.code)
}

// wait polls the task until Meilisearch has processed it, for at most
// taskTimeout. A task still pending then is reported as ErrUnavailable: the
// server is up but not keeping up, and the write should be retried later.
func (i *Index) wait(ctx context.Context, op string, info *meilisearch.TaskInfo) error {
	if info == nil {
		return fmt.Errorf("meili: %s: no task in answer", op)
	}
	wctx, cancel := context.WithTimeout(ctx, i.taskTimeout)
	defer cancel()
	task, err := i.client.WaitForTask(wctx, info.TaskUID, pollInterval)
	if err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			return fmt.Errorf("%w: meili: %s: task %d not processed after %s", search.ErrUnavailable, op, info.TaskUID, i.taskTimeout)
		}
		return i.fail(ctx, op+": wait for task", err)
	}
	if task.Status != meilisearch.TaskStatusSucceeded {
		return &taskError{op: op, uid: info.TaskUID, status: task.Status, code: task.Error.Code, message: task.Error.Message}
	}
	return nil
}

// fail wraps an error from the client. The caller's own cancellation is
// reported as such; a failure to reach the server, a timeout, a 5xx or a
// refused API key wraps search.ErrUnavailable (writes are retried later,
// and a key fixed by an operator makes the retry succeed); any other answer
// is the request's fault and is returned as a plain error.
func (i *Index) fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("meili: %s: %w", op, cerr)
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: meili: %s: %w", search.ErrUnavailable, op, err)
	}
	return fmt.Errorf("meili: %s: %w", op, err)
}

func isUnavailable(err error) bool {
	var me *meilisearch.Error
	if errors.As(err, &me) {
		switch me.ErrCode {
		case meilisearch.CommunicationError, meilisearch.TimeoutError, meilisearch.MaxRetriesExceeded:
			return true
		}
		switch {
		case me.StatusCode >= 500:
			return true
		case me.StatusCode == http.StatusUnauthorized || me.StatusCode == http.StatusForbidden:
			return true
		}
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded)
}

func hasCode(err error, code meilisearch.APIErrCode) bool {
	var me *meilisearch.Error
	return errors.As(err, &me) && me.APIError.Code == code
}
