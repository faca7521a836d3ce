package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Document is one searchable page of the hub, flattened by the caller.
type Document struct {
	ID         string // unique across types, e.g. "resource:01J…"
	Type       string // resource, topic, reply, member, organization, software, usage, event, session
	Title      string
	Summary    string
	Body       string // plain text (callers strip Markdown/HTML; attachments' text appended)
	Tags       []string
	URL        string   // path of the page, e.g. "/c/alpes/r/01J…"
	Collective string   // slug, "" if none
	Group      string   // working-group slug, "" if none
	Region     string   // INSEE région code, "" if none
	Categories []string // software categories
	Licence    string
	Audience   []string  // who may see it: "public", or keys such as "collective:<id>", "group:<id>", "account:<id>"; empty: nobody
	Date       time.Time // published or updated; for events, the start
	EndDate    time.Time // events only
}

// Query is what a search page asks. Zero values mean "no constraint";
// Normalize fills in the defaults both engines rely on.
type Query struct {
	Text     string
	Audience []string            // the viewer's keys; a hit must share at least one with the document ("public" is always added)
	Types    []string            // filter on Document.Type
	Filters  map[string][]string // facet field → accepted values (OR inside a field, AND across fields)
	From, To time.Time           // on Document.Date, inclusive; zero means open
	Sort     string              // SortRelevance (default) or SortNewest
	Facets   []string            // which facet counts to return
	Page     int                 // 1-based
	PerPage  int                 // default DefaultPerPage, at most MaxPerPage
	Prefix   bool                // search-as-you-type: the last word is a prefix
	// Now is the instant and time zone the FieldWhen ranges are computed
	// from ("this month" is a calendar month there); zero: time.Now().
	Now time.Time
}

// Hit is one result.
type Hit struct {
	ID, Type, Title, URL string
	// Snippet is HTML-escaped text with <mark>…</mark> around matches: it can
	// be written into a page as is.
	Snippet string
	Date    time.Time
	// Score orders hits within one result; it is engine-specific and must
	// not be compared across engines or queries.
	Score float64
}

// FacetCount is the number of hits that carry Value in a facet field.
type FacetCount struct {
	Value string
	Count int
}

// Result is one page of hits.
type Result struct {
	Hits   []Hit
	Total  int                     // all matching documents, not only this page (see the engines' docs for caps)
	Facets map[string][]FacetCount // sorted by count desc then value
	Engine string                  // the Index.Name() that answered
}

// Index is a search engine holding the hub's documents.
type Index interface {
	Name() string                                       // "embedded" or "meilisearch"
	Setup(ctx context.Context) error                    // create index, apply settings, wait until applied
	Upsert(ctx context.Context, docs ...Document) error // adds or replaces whole documents
	Delete(ctx context.Context, ids ...string) error    // unknown IDs are ignored
	Search(ctx context.Context, q Query) (*Result, error)
	// Rebuild builds a fresh index beside the live one from what fill
	// emits, then switches atomically; the live one keeps answering
	// meanwhile. Writes made while it runs are replayed onto the new one.
	Rebuild(ctx context.Context, fill func(emit func(Document) error) error) error
	Ping(ctx context.Context) error
	Close() error
}

// ErrUnavailable means the engine could not be reached: writes must be
// retried later by the caller's durable queue, and the page shows a clear
// message instead of results.
var ErrUnavailable = errors.New("search: engine unavailable")

// ErrInvalidQuery means the query names a field, facet or sort that does not
// exist, or is otherwise malformed: a programming or URL-tampering error, not
// something to retry.
var ErrInvalidQuery = errors.New("search: invalid query")

// Sort orders.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
)

// Paging limits. MaxResults is the deepest hit a query can page to: it is
// Meilisearch's default pagination.maxTotalHits, applied to both engines so
// that the same URL pages the same way whichever engine answers.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	MaxResults     = 1000
)

// AudiencePublic is the audience key every viewer holds.
const AudiencePublic = "public"

// Field names shared by Query.Filters, Query.Facets and both engines' schemas.
const (
	FieldType       = "type"
	FieldCollective = "collective"
	FieldGroup      = "group"
	FieldRegion     = "region"
	FieldCategories = "categories"
	FieldLicence    = "licence"
	FieldTags       = "tags"
	// FieldWhen is a date-range facet on Document.Date (an event's start):
	// its values are WhenUpcoming, WhenThisMonth and WhenPast. It is not a
	// stored attribute: Normalize turns a filter on it into Query.From/To,
	// and each engine counts the ranges when it is asked as a facet.
	FieldWhen = "when"
)

// Values of the FieldWhen facet.
const (
	WhenUpcoming  = "upcoming"   // from now on
	WhenThisMonth = "this-month" // the calendar month of Query.Now
	WhenPast      = "past"       // before now
)

// DateRange is one value of the FieldWhen facet: Date in [Start, End),
// a zero bound being open.
type DateRange struct {
	Value      string
	Start, End time.Time
}

// WhenRanges returns the ranges of the FieldWhen facet at now, in the
// order pages list them.
func WhenRanges(now time.Time) []DateRange {
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	return []DateRange{
		{Value: WhenUpcoming, Start: now},
		{Value: WhenThisMonth, Start: month, End: month.AddDate(0, 1, 0)},
		{Value: WhenPast, End: now},
	}
}

// FacetFields lists the fields usable in Query.Filters and Query.Facets.
func FacetFields() []string {
	return []string{FieldType, FieldCollective, FieldGroup, FieldRegion, FieldCategories, FieldLicence, FieldTags}
}

// Normalize validates q and returns a copy with defaults applied: Page ≥ 1,
// PerPage in [1, MaxPerPage], Sort set, "public" in Audience, duplicate and
// empty values dropped, map and slices copied so the caller's are never
// modified. Both engines call it first, so they agree on what a query means.
func (q Query) Normalize() (Query, error) {
	// Text is kept as typed: a trailing space tells search-as-you-type that
	// the last word is complete.
	out := q
	if out.Page < 1 {
		out.Page = 1
	}
	switch {
	case out.PerPage <= 0:
		out.PerPage = DefaultPerPage
	case out.PerPage > MaxPerPage:
		out.PerPage = MaxPerPage
	}
	if (out.Page-1)*out.PerPage >= MaxResults {
		return Query{}, fmt.Errorf("%w: page %d is beyond the first %d results", ErrInvalidQuery, out.Page, MaxResults)
	}
	switch out.Sort {
	case "":
		out.Sort = SortRelevance
	case SortRelevance, SortNewest:
	default:
		return Query{}, fmt.Errorf("%w: unknown sort %q", ErrInvalidQuery, q.Sort)
	}
	// A viewer always holds "public"; adding it here means a caller that
	// forgets it gets public results rather than nothing.
	out.Audience = cleanValues(append([]string{AudiencePublic}, q.Audience...))
	out.Types = cleanValues(q.Types)

	if out.Now.IsZero() {
		out.Now = time.Now()
	}
	known := append(FacetFields(), FieldWhen)
	if len(q.Filters) > 0 {
		out.Filters = make(map[string][]string, len(q.Filters))
		for field, values := range q.Filters {
			if !slices.Contains(known, field) {
				return Query{}, fmt.Errorf("%w: unknown filter field %q", ErrInvalidQuery, field)
			}
			if v := cleanValues(values); len(v) > 0 {
				out.Filters[field] = v
			}
		}
	} else {
		out.Filters = nil
	}
	if when, ok := out.Filters[FieldWhen]; ok {
		delete(out.Filters, FieldWhen)
		if err := out.narrowWhen(when); err != nil {
			return Query{}, err
		}
	}
	if len(out.Filters) == 0 {
		out.Filters = nil
	}
	out.Facets = cleanValues(q.Facets)
	for _, f := range out.Facets {
		if !slices.Contains(known, f) {
			return Query{}, fmt.Errorf("%w: unknown facet %q", ErrInvalidQuery, f)
		}
	}
	if !out.From.IsZero() && !out.To.IsZero() && out.From.After(out.To) {
		return Query{}, fmt.Errorf("%w: date range starts after it ends", ErrInvalidQuery)
	}
	return out, nil
}

// narrowWhen intersects From/To with the union of the named FieldWhen
// ranges. The union is always one interval: the three ranges overlap or
// touch. To is inclusive, so the exclusive End becomes End - 1ns.
func (q *Query) narrowWhen(values []string) error {
	ranges := WhenRanges(q.Now)
	var start, end time.Time
	openStart, openEnd := false, false
	for i, v := range values {
		var r *DateRange
		for j := range ranges {
			if ranges[j].Value == v {
				r = &ranges[j]
			}
		}
		if r == nil {
			return fmt.Errorf("%w: unknown %s value %q", ErrInvalidQuery, FieldWhen, v)
		}
		if r.Start.IsZero() {
			openStart = true
		} else if i == 0 || start.IsZero() || r.Start.Before(start) {
			start = r.Start
		}
		if r.End.IsZero() {
			openEnd = true
		} else if i == 0 || end.IsZero() || r.End.After(end) {
			end = r.End
		}
	}
	if !openStart && (q.From.IsZero() || start.After(q.From)) {
		q.From = start
	}
	if !openEnd {
		if last := end.Add(-time.Nanosecond); q.To.IsZero() || last.Before(q.To) {
			q.To = last
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return fmt.Errorf("%w: date range starts after it ends", ErrInvalidQuery)
	}
	return nil
}

// cleanValues returns a new slice without empty strings and duplicates,
// keeping the first occurrence's order.
func cleanValues(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, v := range in {
		if v == "" || slices.Contains(out, v) {
			continue
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// SortFacetCounts orders counts by count descending, then value ascending,
// the order Result.Facets promises whatever the engine returned.
func SortFacetCounts(counts []FacetCount) {
	slices.SortFunc(counts, func(a, b FacetCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	})
}
