package meili_test

// Tests of the adapter against the stand-in (stand-in, not Meilisearch; see
// meili_standin_test.go): what the adapter sends and how it reads answers.
// Nothing here checks ranking.

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"collectif/search"
	"collectif/search/meili"
	"collectif/search/meili/meilistandin"
	"collectif/search/searchtest"
)

const standInKey = "stand-in-master-key"

func standInEnv(t *testing.T) (*meilistandin.Server, contractEnv) {
	s := meilistandin.New(t, standInKey)
	return s, contractEnv{url: s.URL(), key: standInKey, taskTimeout: 10 * time.Second}
}

func TestStandIn_Contract(t *testing.T) {
	_, env := standInEnv(t)
	runContract(t, env)
}

func TestStandIn_SetupSendsSettingsAndWaits(t *testing.T) {
	s, env := standInEnv(t)
	idx, _, uid := env.open(t)
	mustSetup(t, idx)

	decode := func(name string, into any) {
		t.Helper()
		raw := s.Setting(uid, name)
		if raw == nil {
			t.Fatalf("setting %s not applied", name)
		}
		if err := json.Unmarshal(raw, into); err != nil {
			t.Fatalf("setting %s: %v", name, err)
		}
	}
	var searchable, filterable, sortable, rules, stop []string
	decode("searchableAttributes", &searchable)
	decode("filterableAttributes", &filterable)
	decode("sortableAttributes", &sortable)
	decode("rankingRules", &rules)
	decode("stopWords", &stop)
	if !slices.Equal(searchable, []string{"title", "summary", "tags", "body"}) {
		t.Errorf("searchableAttributes %v", searchable)
	}
	wantFilterable := []string{"type", "collective", "group", "region", "categories", "licence", "tags", "audience", "date"}
	if !slices.Equal(filterable, wantFilterable) {
		t.Errorf("filterableAttributes %v, want %v", filterable, wantFilterable)
	}
	if !slices.Equal(sortable, []string{"date"}) {
		t.Errorf("sortableAttributes %v", sortable)
	}
	if !slices.Equal(rules, []string{"sort", "words", "typo", "proximity", "attribute", "exactness", "date:desc"}) {
		t.Errorf("rankingRules %v", rules)
	}
	if !slices.Equal(stop, search.StopWords()) {
		t.Errorf("stopWords differ from search.StopWords()")
	}
	var synonyms map[string][]string
	decode("synonyms", &synonyms)
	if !maps.EqualFunc(synonyms, search.Synonyms(), slices.Equal) {
		t.Errorf("synonyms differ from search.Synonyms()")
	}
	if !slices.Equal(synonyms["canva"], []string{"Polotno"}) || synonyms["polotno"] != nil {
		t.Errorf("one-way synonym Canva → Polotno: %v / %v", synonyms["canva"], synonyms["polotno"])
	}
	var localized []struct {
		AttributePatterns []string `json:"attributePatterns"`
		Locales           []string `json:"locales"`
	}
	decode("localizedAttributes", &localized)
	if len(localized) != 1 || !slices.Equal(localized[0].Locales, []string{"fra"}) || !slices.Equal(localized[0].AttributePatterns, searchable) {
		t.Errorf("localizedAttributes %+v", localized)
	}
	var typo struct {
		Enabled             bool `json:"enabled"`
		MinWordSizeForTypos struct {
			OneTypo  int `json:"oneTypo"`
			TwoTypos int `json:"twoTypos"`
		} `json:"minWordSizeForTypos"`
	}
	decode("typoTolerance", &typo)
	if !typo.Enabled || typo.MinWordSizeForTypos.OneTypo != 5 || typo.MinWordSizeForTypos.TwoTypos != 9 {
		t.Errorf("typoTolerance %+v", typo)
	}

	// Every task was polled until it reached its final status: the stand-in
	// answers "enqueued" to the first poll, so one poll is not enough.
	if n := s.MinPollsPerTask(); n < 2 {
		t.Errorf("a task was polled %d times: Setup returned before it was processed", n)
	}
	for _, r := range s.RequestsTo(http.MethodPatch, "/settings") {
		if r.Auth != "Bearer "+standInKey {
			t.Errorf("settings sent with Authorization %q", r.Auth)
		}
	}
}

func TestStandIn_DocumentsUseEncodedKeys(t *testing.T) {
	s, env := standInEnv(t)
	idx, _, uid := env.open(t)
	mustSetup(t, idx, searchtest.Corpus()...)
	keyRE := regexp.MustCompile(`^[A-Za-z0-9_-]{1,511}$`)
	stored := s.StoredDocIDs(uid)
	if len(stored) != len(searchtest.Corpus()) {
		t.Fatalf("%d documents stored, want %d", len(stored), len(searchtest.Corpus()))
	}
	for _, k := range stored {
		if !keyRE.MatchString(k) {
			t.Errorf("stored key %q is not a valid Meilisearch identifier", k)
		}
		if strings.Contains(k, ":") {
			t.Errorf("stored key %q keeps ':'", k)
		}
	}
	for _, r := range s.RequestsTo(http.MethodPost, "/documents") {
		if !strings.Contains(r.Query, "primaryKey=id") {
			t.Errorf("documents sent without primaryKey=id: %q", r.Query)
		}
		var docs []map[string]any
		if err := json.Unmarshal(r.Body, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if _, ok := d["audience"]; !ok {
				t.Errorf("document %v sent without audience", d["id"])
			}
			if date, ok := d["date"]; ok {
				if _, isNum := date.(float64); !isNum {
					t.Errorf("date sent as %T, want a number", date)
				}
			}
		}
	}
	res := mustSearch(t, idx, search.Query{Types: []string{"software"}})
	for _, h := range res.Hits {
		if !strings.HasPrefix(h.ID, "software:") {
			t.Errorf("hit ID %q not decoded", h.ID)
		}
	}
}

func TestStandIn_SearchRequest(t *testing.T) {
	s, env := standInEnv(t)
	idx, _, _ := env.open(t)
	mustSetup(t, idx, searchtest.Corpus()...)

	cases := []struct {
		name  string
		q     search.Query
		check func(t *testing.T, body map[string]any)
	}{
		{"audience always, public added", search.Query{Text: "nextcloud"}, func(t *testing.T, body map[string]any) {
			if body["filter"] != `audience IN ["public"]` {
				t.Errorf("filter %q", body["filter"])
			}
		}},
		{"viewer keys, types, filters, dates", search.Query{
			Text:     "atelier",
			Audience: []string{"group:7", "account:42"},
			Types:    []string{"event"},
			Filters:  map[string][]string{search.FieldRegion: {"84", "53"}, search.FieldCollective: {`al"pes\`}},
			From:     time.Unix(1700000000, 0), To: time.Unix(1800000000, 0),
		}, func(t *testing.T, body map[string]any) {
			want := `audience IN ["public", "group:7", "account:42"] AND type IN ["event"] AND collective IN ["al\"pes\\"] AND region IN ["84", "53"] AND date >= 1700000000 AND date <= 1800000000`
			if body["filter"] != want {
				t.Errorf("filter\n got %s\nwant %s", body["filter"], want)
			}
		}},
		{"prefix off adds a trailing space", search.Query{Text: "nextcl"}, func(t *testing.T, body map[string]any) {
			if body["q"] != "nextcl " {
				t.Errorf("q %q", body["q"])
			}
		}},
		{"prefix on sends the text as typed", search.Query{Text: "nextcl", Prefix: true}, func(t *testing.T, body map[string]any) {
			if body["q"] != "nextcl" {
				t.Errorf("q %q", body["q"])
			}
		}},
		{"empty text is a placeholder search", search.Query{Text: "   "}, func(t *testing.T, body map[string]any) {
			if body["q"] != "" {
				t.Errorf("q %q", body["q"])
			}
		}},
		{"paging, sort, facets, formatting", search.Query{Text: "x", Page: 3, PerPage: 500, Sort: search.SortNewest, Facets: []string{"type", "tags"}}, func(t *testing.T, body map[string]any) {
			if body["page"] != 3.0 || body["hitsPerPage"] != 100.0 {
				t.Errorf("page %v hitsPerPage %v", body["page"], body["hitsPerPage"])
			}
			if !equalAny(body["sort"], []string{"date:desc"}) {
				t.Errorf("sort %v", body["sort"])
			}
			if !equalAny(body["facets"], []string{"type", "tags"}) {
				t.Errorf("facets %v", body["facets"])
			}
			if !equalAny(body["locales"], []string{"fra"}) {
				t.Errorf("locales %v", body["locales"])
			}
			pre, _ := body["highlightPreTag"].(string)
			if pre == "" || strings.Contains(pre, "<") {
				t.Errorf("highlightPreTag %q: want a placeholder, not markup", pre)
			}
			if body["cropLength"] != 30.0 || body["showRankingScore"] != true {
				t.Errorf("cropLength %v showRankingScore %v", body["cropLength"], body["showRankingScore"])
			}
		}},
		{"relevance sends no sort", search.Query{Text: "x"}, func(t *testing.T, body map[string]any) {
			if _, ok := body["sort"]; ok {
				t.Errorf("sort %v sent for relevance", body["sort"])
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustSearch(t, idx, c.q)
			c.check(t, s.LastSearch(t))
		})
	}
}

func equalAny(v any, want []string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i := range list {
		if list[i] != want[i] {
			return false
		}
	}
	return true
}

func TestStandIn_ReadsAnswers(t *testing.T) {
	_, env := standInEnv(t)
	idx, _, _ := env.open(t)
	mustSetup(t, idx, searchtest.Corpus()...)
	res := mustSearch(t, idx, search.Query{Text: "Polotno", Facets: []string{search.FieldType, search.FieldCategories}})
	if res.Engine != "meilisearch" {
		t.Errorf("Engine %q", res.Engine)
	}
	var polotno *search.Hit
	for i := range res.Hits {
		if res.Hits[i].ID == searchtest.IDPolotno {
			polotno = &res.Hits[i]
		}
	}
	if polotno == nil {
		t.Fatalf("Polotno not found: %v", ids(res))
	}
	if polotno.Type != "software" || polotno.Title != "Polotno" || polotno.URL != "/s/polotno" ||
		!polotno.Date.Equal(time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)) || polotno.Score <= 0 {
		t.Errorf("hit %+v", *polotno)
	}
	if !strings.Contains(polotno.Snippet, "<mark>Polotno</mark>") && !strings.Contains(polotno.Snippet, "Canva") {
		t.Errorf("snippet %q", polotno.Snippet)
	}
	if got := res.Facets[search.FieldCategories]; !slices.Equal(got, []search.FacetCount{{Value: "Communication", Count: 1}, {Value: "Graphisme", Count: 1}}) {
		t.Errorf("categories facet %v", got)
	}
	// Facets are sorted by count, then value, whatever order the server used.
	res = mustSearch(t, idx, search.Query{Facets: []string{search.FieldType}, PerPage: 1})
	if !slices.IsSortedFunc(res.Facets[search.FieldType], func(a, b search.FacetCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	}) {
		t.Errorf("facets not sorted: %v", res.Facets[search.FieldType])
	}
	if res.Total != len(searchtest.Corpus())-1 || len(res.Hits) != 1 {
		t.Errorf("Total %d, %d hits", res.Total, len(res.Hits))
	}
	// Asked facets with no value come back empty, not missing.
	res = mustSearch(t, idx, search.Query{Text: "Polotno", Facets: []string{search.FieldGroup}})
	if v, ok := res.Facets[search.FieldGroup]; !ok || len(v) != 0 {
		t.Errorf("group facet %v, %v", v, ok)
	}
}

func TestStandIn_TaskFailureIsReported(t *testing.T) {
	s, env := standInEnv(t)
	idx, _, _ := env.open(t)
	mustSetup(t, idx)
	s.Configure(func(s *meilistandin.Server) {
		s.FailNext = meilistandin.APIError(400, "invalid_document_fields", "invalid_request", "stand-in: refused on purpose")
	})
	err := idx.Upsert(testCtx(t), searchtest.Corpus()[0])
	if err == nil || errors.Is(err, search.ErrUnavailable) {
		t.Fatalf("Upsert = %v, want a task failure that is not ErrUnavailable", err)
	}
	for _, want := range []string{"failed", "invalid_document_fields", "refused on purpose"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestStandIn_TaskTimeoutIsBounded(t *testing.T) {
	s := meilistandin.New(t, "")
	idx, err := meili.New(s.URL(), "", meili.Options{IndexUID: "held", TaskTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Configure(func(s *meilistandin.Server) { s.HoldTasks = true })
	start := time.Now()
	err = idx.Setup(testCtx(t))
	if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "not processed") {
		t.Errorf("Setup with tasks never processed = %v, want ErrUnavailable (not processed)", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Setup took %s despite a 300ms task timeout", d)
	}
}

func TestStandIn_Unavailable(t *testing.T) {
	// A port nobody listens on: take a free one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + l.Addr().String()
	_ = l.Close()

	s := meilistandin.New(t, standInKey)
	s.Configure(func(s *meilistandin.Server) { s.HTTPStatus = http.StatusServiceUnavailable })

	cases := map[string]struct{ url, key string }{
		"connection refused": {deadURL, ""},
		"503":                {s.URL(), standInKey},
		"wrong key":          {meilistandin.New(t, standInKey).URL(), "not-the-key"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			idx, err := meili.New(c.url, c.key, meili.Options{Timeout: 2 * time.Second, TaskTimeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t)
			calls := map[string]error{
				"Ping":    idx.Ping(ctx),
				"Setup":   idx.Setup(ctx),
				"Upsert":  idx.Upsert(ctx, searchtest.Corpus()[0]),
				"Delete":  idx.Delete(ctx, "resource:x"),
				"Rebuild": idx.Rebuild(ctx, func(func(search.Document) error) error { return nil }),
			}
			_, calls["Search"] = idx.Search(ctx, search.Query{Text: "nextcloud"})
			for call, err := range calls {
				if !errors.Is(err, search.ErrUnavailable) {
					t.Errorf("%s = %v, want ErrUnavailable", call, err)
				}
			}
		})
	}
}

func TestStandIn_CallerCancellationIsNotUnavailability(t *testing.T) {
	_, env := standInEnv(t)
	idx, _, _ := env.open(t)
	mustSetup(t, idx)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := idx.Search(ctx, search.Query{Text: "x"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, search.ErrUnavailable) {
		t.Errorf("Search with cancelled context = %v", err)
	}
}

func TestStandIn_InvalidQueryMakesNoRequest(t *testing.T) {
	s, env := standInEnv(t)
	idx, _, _ := env.open(t)
	before := len(s.RequestsTo(http.MethodPost, "/search"))
	_, err := idx.Search(testCtx(t), search.Query{Filters: map[string][]string{"audience": {"x"}}})
	if !errors.Is(err, search.ErrInvalidQuery) {
		t.Errorf("err = %v", err)
	}
	if after := len(s.RequestsTo(http.MethodPost, "/search")); after != before {
		t.Errorf("an invalid query reached the server")
	}
}

func TestStandIn_RebuildSequence(t *testing.T) {
	s, env := standInEnv(t)
	idx, _, uid := env.open(t)
	mustSetup(t, idx, searchtest.Corpus()...)
	late := searchtest.Corpus()[3]
	late.ID = "resource:written-during-rebuild"
	err := idx.Rebuild(testCtx(t), func(emit func(search.Document) error) error {
		for _, d := range searchtest.Corpus()[:2] {
			if err := emit(d); err != nil {
				return err
			}
		}
		return idx.Upsert(testCtx(t), late)
	})
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	tmp := uid + "_rebuild"
	var swaps int
	settingsOnTmp := len(s.RequestsTo(http.MethodPatch, "/indexes/"+tmp+"/settings"))
	docsToTmp := len(s.RequestsTo(http.MethodPost, "/indexes/"+tmp+"/documents"))
	for _, r := range s.RequestsTo(http.MethodPost, "/swap-indexes") {
		swaps++
		if !strings.Contains(string(r.Body), `"indexes":["`+uid+`","`+tmp+`"]`) {
			t.Errorf("swap body %s", r.Body)
		}
	}
	deletesOfTmp := len(s.RequestsTo(http.MethodDelete, "/indexes/"+tmp))
	if settingsOnTmp != 1 || docsToTmp < 2 || swaps != 1 || deletesOfTmp != 2 {
		t.Errorf("settings on tmp %d, document batches to tmp %d (fill + replay), swaps %d, deletes of tmp %d (before and after)",
			settingsOnTmp, docsToTmp, swaps, deletesOfTmp)
	}
	if names := s.IndexNames(); !slices.Equal(names, []string{uid}) {
		t.Errorf("indexes left: %v", names)
	}
	res := mustSearch(t, idx, search.Query{})
	want := []string{searchtest.Corpus()[0].ID, searchtest.Corpus()[1].ID, late.ID}
	slices.Sort(want)
	if got := ids(res); !slices.Equal(got, want) {
		t.Errorf("after rebuild %v, want %v", got, want)
	}

	// A failing fill leaves the live index as it was, and the temporary one gone.
	boom := errors.New("source down")
	err = idx.Rebuild(testCtx(t), func(emit func(search.Document) error) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("Rebuild = %v, want %v", err, boom)
	}
	if got := ids(mustSearch(t, idx, search.Query{})); !slices.Equal(got, want) {
		t.Errorf("after failed rebuild %v", got)
	}
}

func TestNewValidates(t *testing.T) {
	for _, c := range []struct{ url, uid string }{
		{"", ""}, {"127.0.0.1:7700", ""}, {"ftp://h", ""}, {"http://h", "bad uid"}, {"http://h", "a/b"},
	} {
		if _, err := meili.New(c.url, "", meili.Options{IndexUID: c.uid}); err == nil {
			t.Errorf("New(%q, uid %q) accepted", c.url, c.uid)
		}
	}
	idx, err := meili.New("http://127.0.0.1:7700/", "", meili.Options{})
	if err != nil || idx.Name() != "meilisearch" {
		t.Errorf("New with defaults: %v", err)
	}
}
