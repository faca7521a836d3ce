package meili_test

// Contract tests: what the adapter promises, checked against whatever
// server the environment provides. TestStandIn_Contract (in
// meili_standin_adapter_test.go) runs them against the stand-in on every
// test run; TestContract_RealMeilisearch runs them, plus the whole behaviour
// suite, against a real Meilisearch when COLLECTIF_MEILI_URL (and, if the
// server has a master key, COLLECTIF_MEILI_KEY) is set, e.g.
//
//	COLLECTIF_MEILI_URL=http://127.0.0.1:7700 COLLECTIF_MEILI_KEY=… go test ./search/meili -run Contract -v
//
// Each test uses its own index names ("collectif_test_…") and deletes them.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"collectif/search"
	"collectif/search/meili"
	"collectif/search/searchtest"
)

// contractEnv is a server to run the contract against.
type contractEnv struct {
	url, key string
	// taskTimeout for indexes opened on it: short on the stand-in, longer
	// on a real server that may be busy.
	taskTimeout time.Duration
}

// open returns an adapter on a fresh index name, deleted when t ends, and a
// raw client on the same server for checks that must go around the adapter.
func (e contractEnv) open(t *testing.T) (*meili.Index, meilisearch.ServiceManager, string) {
	t.Helper()
	uid := fmt.Sprintf("collectif_test_%d_%s", time.Now().UnixNano(), rand.Text()[:8])
	idx, err := meili.New(e.url, e.key, meili.Options{IndexUID: uid, Timeout: 10 * time.Second, TaskTimeout: e.taskTimeout})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	raw := meilisearch.New(e.url, meilisearch.WithAPIKey(e.key))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.taskTimeout)
		defer cancel()
		for _, u := range []string{uid, uid + "_rebuild"} {
			if task, err := raw.DeleteIndex(ctx, u); err == nil {
				_, _ = raw.WaitForTask(ctx, task.TaskUID, 50*time.Millisecond)
			}
		}
		_ = idx.Close()
		raw.Close()
	})
	return idx, raw, uid
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustSetup(t *testing.T, idx *meili.Index, docs ...search.Document) {
	t.Helper()
	ctx := testCtx(t)
	if err := idx.Setup(ctx); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if len(docs) > 0 {
		if err := idx.Upsert(ctx, docs...); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
	}
}

func mustSearch(t *testing.T, idx *meili.Index, q search.Query) *search.Result {
	t.Helper()
	res, err := idx.Search(testCtx(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func ids(res *search.Result) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.ID
	}
	slices.Sort(out)
	return out
}

func doc(id, title string, mod func(*search.Document)) search.Document {
	d := search.Document{ID: id, Type: "resource", Title: title, URL: "/r/" + id, Audience: []string{search.AudiencePublic},
		Date: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	if mod != nil {
		mod(&d)
	}
	return d
}

// runContract checks the adapter's promises that hold on any server that
// follows Meilisearch's API, stand-in or real.
func runContract(t *testing.T, env contractEnv) {
	t.Run("setup is idempotent", func(t *testing.T) {
		idx, raw, uid := env.open(t)
		mustSetup(t, idx)
		mustSetup(t, idx)
		s, err := raw.Index(uid).GetSettings(testCtx(t))
		if err != nil {
			t.Fatalf("GetSettings: %v", err)
		}
		for _, a := range []string{"audience", "date", "type", "region", "tags"} {
			if !slices.Contains(s.FilterableAttributes, a) {
				t.Errorf("filterableAttributes %v lack %s", s.FilterableAttributes, a)
			}
		}
		if !slices.Equal(s.SearchableAttributes, []string{"title", "summary", "tags", "body"}) {
			t.Errorf("searchableAttributes = %v", s.SearchableAttributes)
		}
		if err := idx.Ping(testCtx(t)); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})

	t.Run("IDs round-trip through the primary key", func(t *testing.T) {
		idx, _, _ := env.open(t)
		want := []string{"resource:01J8Z6K4Q2N3P5R7T9V1W3X5Y7", "member:jean_dupont-2", "usage:a:b:c", "x:é/ü?&%"}
		var docs []search.Document
		for _, id := range want {
			docs = append(docs, doc(id, "Identifiant "+id, nil))
		}
		mustSetup(t, idx, docs...)
		res := mustSearch(t, idx, search.Query{})
		slices.Sort(want)
		if got := ids(res); !slices.Equal(got, want) {
			t.Errorf("IDs %v, want %v", got, want)
		}
		if err := idx.Delete(testCtx(t), "usage:a:b:c"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if got := mustSearch(t, idx, search.Query{}).Total; got != len(want)-1 {
			t.Errorf("Total after delete = %d", got)
		}
	})

	t.Run("filter values are escaped", func(t *testing.T) {
		idx, _, _ := env.open(t)
		tricky := `Isère "42" \ fin'`
		mustSetup(t, idx,
			doc("resource:a", "Première", func(d *search.Document) { d.Tags = []string{tricky} }),
			doc("resource:b", "Seconde", func(d *search.Document) { d.Tags = []string{"Isère 42 fin"} }),
			doc("resource:c", "Troisième", func(d *search.Document) { d.Tags = []string{`\`} }),
		)
		res := mustSearch(t, idx, search.Query{Filters: map[string][]string{search.FieldTags: {tricky}}})
		if got := ids(res); !slices.Equal(got, []string{"resource:a"}) {
			t.Errorf("tag %q → %v", tricky, got)
		}
		res = mustSearch(t, idx, search.Query{Filters: map[string][]string{search.FieldTags: {`\`}}})
		if got := ids(res); !slices.Equal(got, []string{"resource:c"}) {
			t.Errorf(`tag \ → %v`, got)
		}
		// A value crafted to close the string and add a clause.
		res = mustSearch(t, idx, search.Query{Filters: map[string][]string{search.FieldTags: {`x"] OR audience IN ["group:x`}}})
		if res.Total != 0 {
			t.Errorf("injected filter matched %v", ids(res))
		}
	})

	t.Run("audience always filters", func(t *testing.T) {
		idx, _, _ := env.open(t)
		mustSetup(t, idx,
			doc("resource:public", "Guide public", nil),
			doc("resource:members", "Guide réservé", func(d *search.Document) { d.Audience = []string{"group:7"} }),
			doc("resource:nobody", "Guide sans audience", func(d *search.Document) { d.Audience = nil }),
		)
		for _, aud := range [][]string{nil, {"public"}, {"group:8"}} {
			res := mustSearch(t, idx, search.Query{Text: "guide", Audience: aud})
			if got := ids(res); !slices.Equal(got, []string{"resource:public"}) {
				t.Errorf("audience %v → %v", aud, got)
			}
		}
		res := mustSearch(t, idx, search.Query{Text: "guide", Audience: []string{"group:7"}})
		if got := ids(res); !slices.Equal(got, []string{"resource:members", "resource:public"}) {
			t.Errorf("group:7 → %v", got)
		}
	})

	t.Run("refusals are reported, not taken for unavailability", func(t *testing.T) {
		idx, raw, uid := env.open(t)
		mustSetup(t, idx, doc("resource:a", "Atelier", func(d *search.Document) { d.Region = "84" }))
		// Simulate an index whose settings are not the adapter's (another
		// version, a manual change): region no longer filterable, date no
		// longer sortable.
		ctx := testCtx(t)
		task, err := raw.Index(uid).UpdateFilterableAttributes(ctx, &[]interface{}{"audience", "type", "date"})
		if err == nil {
			_, err = raw.WaitForTask(ctx, task.TaskUID, 50*time.Millisecond)
		}
		if err == nil {
			task, err = raw.Index(uid).UpdateSortableAttributes(ctx, &[]string{})
		}
		if err == nil {
			_, err = raw.WaitForTask(ctx, task.TaskUID, 50*time.Millisecond)
		}
		if err != nil {
			t.Fatalf("changing settings around the adapter: %v", err)
		}
		_, err = idx.Search(ctx, search.Query{Filters: map[string][]string{search.FieldRegion: {"84"}}})
		if err == nil || errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "invalid_search_filter") {
			t.Errorf("filter on undeclared attribute: %v, want an invalid_search_filter error", err)
		}
		_, err = idx.Search(ctx, search.Query{Sort: search.SortNewest})
		if err == nil || errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "invalid_search_sort") {
			t.Errorf("sort on undeclared attribute: %v, want an invalid_search_sort error", err)
		}
		_, err = idx.Search(ctx, search.Query{Facets: []string{search.FieldRegion}})
		if err == nil || errors.Is(err, search.ErrUnavailable) {
			t.Errorf("facet on undeclared attribute: %v, want a refusal", err)
		}
		// Setup puts things right.
		mustSetup(t, idx)
		res := mustSearch(t, idx, search.Query{Filters: map[string][]string{search.FieldRegion: {"84"}}, Sort: search.SortNewest})
		if res.Total != 1 {
			t.Errorf("after Setup: Total %d", res.Total)
		}
	})

	t.Run("snippets are escaped and marked", func(t *testing.T) {
		idx, _, _ := env.open(t)
		mustSetup(t, idx, doc("topic:html", "Balises", func(d *search.Document) {
			d.Type = "topic"
			d.Summary = `Faut-il autoriser <script>alert("x")</script> & les iframes dans Nextcloud ?`
		}))
		res := mustSearch(t, idx, search.Query{Text: "nextcloud"})
		if len(res.Hits) != 1 {
			t.Fatalf("hits %v", ids(res))
		}
		s := res.Hits[0].Snippet
		for _, want := range []string{"&lt;script&gt;", "&amp;", "<mark>Nextcloud</mark>"} {
			if !strings.Contains(s, want) {
				t.Errorf("snippet %q lacks %q", s, want)
			}
		}
		if strings.Contains(s, "<script>") || strings.Contains(s, "[[") {
			t.Errorf("snippet %q leaks markup or placeholders", s)
		}
	})

	t.Run("dates, sort and pages", func(t *testing.T) {
		idx, _, _ := env.open(t)
		var docs []search.Document
		for n := range 7 {
			docs = append(docs, doc("event:"+strconv.Itoa(n), "Rencontre numéro "+strconv.Itoa(n), func(d *search.Document) {
				d.Type = "event"
				d.Date = time.Date(2025, time.Month(n+1), 10, 9, 0, 0, 0, time.UTC)
				d.EndDate = d.Date.Add(2 * time.Hour)
			}))
		}
		mustSetup(t, idx, docs...)
		res := mustSearch(t, idx, search.Query{Types: []string{"event"}, From: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 5, 10, 9, 0, 0, 0, time.UTC)})
		if got := ids(res); !slices.Equal(got, []string{"event:2", "event:3", "event:4"}) {
			t.Errorf("March–May 10th 09:00 inclusive → %v", got)
		}
		var seen []string
		for page := 1; page <= 3; page++ {
			res := mustSearch(t, idx, search.Query{Sort: search.SortNewest, Page: page, PerPage: 3})
			if res.Total != 7 {
				t.Errorf("page %d: Total %d", page, res.Total)
			}
			for _, h := range res.Hits {
				seen = append(seen, h.ID)
			}
		}
		want := []string{"event:6", "event:5", "event:4", "event:3", "event:2", "event:1", "event:0"}
		if !slices.Equal(seen, want) {
			t.Errorf("newest first over pages: %v, want %v", seen, want)
		}
		res = mustSearch(t, idx, search.Query{Facets: []string{search.FieldType}})
		if got := res.Facets[search.FieldType]; len(got) != 1 || got[0] != (search.FacetCount{Value: "event", Count: 7}) {
			t.Errorf("facets %v", res.Facets)
		}
	})

	t.Run("rebuild swaps and cleans up", func(t *testing.T) {
		idx, raw, uid := env.open(t)
		mustSetup(t, idx, doc("resource:old", "Ancien contenu", nil))
		err := idx.Rebuild(testCtx(t), func(emit func(search.Document) error) error {
			for n := range 3 {
				if err := emit(doc("resource:new"+strconv.Itoa(n), "Nouveau contenu", nil)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		res := mustSearch(t, idx, search.Query{})
		if got := ids(res); !slices.Equal(got, []string{"resource:new0", "resource:new1", "resource:new2"}) {
			t.Errorf("after rebuild: %v", got)
		}
		if _, err := raw.GetIndex(testCtx(t), uid+"_rebuild"); err == nil {
			t.Errorf("the rebuild index is left behind")
		}
		// The rebuilt index has the settings too.
		res = mustSearch(t, idx, search.Query{Facets: []string{search.FieldType}, Sort: search.SortNewest})
		if len(res.Facets[search.FieldType]) != 1 {
			t.Errorf("facets after rebuild: %v", res.Facets)
		}
	})
}

// TestContract_RealMeilisearch runs the contract and the behaviour suite
// against a real server, when one is configured.
func TestContract_RealMeilisearch(t *testing.T) {
	url := os.Getenv("COLLECTIF_MEILI_URL")
	if url == "" {
		t.Skip("COLLECTIF_MEILI_URL not set: no real Meilisearch to test against (the stand-in tests still run)")
	}
	env := contractEnv{url: url, key: os.Getenv("COLLECTIF_MEILI_KEY"), taskTimeout: 2 * time.Minute}
	t.Run("contract", func(t *testing.T) { runContract(t, env) })
	t.Run("behaviour", func(t *testing.T) {
		searchtest.Run(t, func(t *testing.T) search.Index {
			idx, _, _ := env.open(t)
			return idx
		})
	})
}
