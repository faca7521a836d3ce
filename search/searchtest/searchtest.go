package searchtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"collectif/search"
)

// opTimeout bounds every call the suite makes, so a hung engine fails the
// test instead of the whole run.
const opTimeout = 2 * time.Minute

// Run checks that an engine behaves as the hub expects on the French
// corpus. open returns a new, empty index (its Setup not yet called) and
// arranges for it to be closed and removed when t ends; Run calls it once
// for the read-only checks and once for each check that changes content.
//
// The checks only assert what both engines guarantee: that a document is
// found, found first, or absent; exact counts under filters; orderings that
// a sort prescribes. They never assert a score or the order of documents
// that relevance alone separates.
func Run(t *testing.T, open func(t *testing.T) search.Index) {
	t.Run("read", func(t *testing.T) {
		idx := load(t, open)
		t.Run("accents", func(t *testing.T) { testAccents(t, idx) })
		t.Run("plurals", func(t *testing.T) { testPlurals(t, idx) })
		t.Run("typos", func(t *testing.T) { testTypos(t, idx) })
		t.Run("synonyms", func(t *testing.T) { testSynonyms(t, idx) })
		t.Run("prefix", func(t *testing.T) { testPrefix(t, idx) })
		t.Run("stop words", func(t *testing.T) { testStopWords(t, idx) })
		t.Run("facets", func(t *testing.T) { testFacets(t, idx) })
		t.Run("filters", func(t *testing.T) { testFilters(t, idx) })
		t.Run("date range", func(t *testing.T) { testDateRange(t, idx) })
		t.Run("sort newest", func(t *testing.T) { testSortNewest(t, idx) })
		t.Run("pagination", func(t *testing.T) { testPagination(t, idx) })
		t.Run("visibility", func(t *testing.T) { testVisibility(t, idx) })
		t.Run("snippets", func(t *testing.T) { testSnippets(t, idx) })
		t.Run("hit fields", func(t *testing.T) { testHitFields(t, idx) })
		t.Run("invalid queries", func(t *testing.T) { testInvalid(t, idx) })
	})
	t.Run("delete", func(t *testing.T) { testDelete(t, load(t, open)) })
	t.Run("rebuild", func(t *testing.T) { testRebuild(t, load(t, open)) })
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// load opens an index, sets it up and fills it with the corpus.
func load(t *testing.T, open func(t *testing.T) search.Index) search.Index {
	t.Helper()
	idx := open(t)
	ctx := ctxFor(t)
	if err := idx.Setup(ctx); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if err := idx.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := idx.Upsert(ctx, Corpus()...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	return idx
}

// find runs q, failing the test on error. PerPage defaults to the maximum
// so that "contains" checks see every match of the small corpus.
func find(t *testing.T, idx search.Index, q search.Query) *search.Result {
	t.Helper()
	if q.PerPage == 0 {
		q.PerPage = search.MaxPerPage
	}
	res, err := idx.Search(ctxFor(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	if res.Engine != idx.Name() {
		t.Errorf("Result.Engine = %q, want %q", res.Engine, idx.Name())
	}
	return res
}

func text(s string) search.Query { return search.Query{Text: s} }

func hitIDs(res *search.Result) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.ID
	}
	return out
}

func wantContains(t *testing.T, what string, res *search.Result, ids ...string) {
	t.Helper()
	got := hitIDs(res)
	for _, id := range ids {
		if !slices.Contains(got, id) {
			t.Errorf("%s: %s not found in %v", what, id, got)
		}
	}
}

func wantAbsent(t *testing.T, what string, res *search.Result, ids ...string) {
	t.Helper()
	got := hitIDs(res)
	for _, id := range ids {
		if slices.Contains(got, id) {
			t.Errorf("%s: %s found in %v, want absent", what, id, got)
		}
	}
}

func wantFirst(t *testing.T, what string, res *search.Result, id string) {
	t.Helper()
	if len(res.Hits) == 0 || res.Hits[0].ID != id {
		t.Errorf("%s: first hit of %v, want %s", what, hitIDs(res), id)
	}
}

// wantFirstAmong checks that the first hit is one of ids.
func wantFirstAmong(t *testing.T, what string, res *search.Result, ids ...string) {
	t.Helper()
	if len(res.Hits) == 0 || !slices.Contains(ids, res.Hits[0].ID) {
		t.Errorf("%s: first hit of %v, want one of %v", what, hitIDs(res), ids)
	}
}

// wantExactly checks the set of hits and Total, for filters that leave no
// room for relevance.
func wantExactly(t *testing.T, what string, res *search.Result, ids ...string) {
	t.Helper()
	got := hitIDs(res)
	slices.Sort(got)
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: hits %v, want %v", what, got, want)
	}
	if res.Total != len(ids) {
		t.Errorf("%s: Total %d, want %d", what, res.Total, len(ids))
	}
}

// publicDocs is the corpus a viewer holding only "public" sees.
func publicDocs() []search.Document {
	var out []search.Document
	for _, d := range Corpus() {
		if slices.Contains(d.Audience, search.AudiencePublic) {
			out = append(out, d)
		}
	}
	return out
}

func idsWhere(keep func(search.Document) bool) []string {
	var out []string
	for _, d := range publicDocs() {
		if keep(d) {
			out = append(out, d.ID)
		}
	}
	return out
}

func testAccents(t *testing.T, idx search.Index) {
	wantFirst(t, "cybersecurite", find(t, idx, text("cybersecurite")), IDWebinaire)
	wantFirst(t, "cybersécurité", find(t, idx, text("cybersécurité")), IDWebinaire)
	wantFirst(t, "CYBERSÉCURITÉ", find(t, idx, text("CYBERSÉCURITÉ")), IDWebinaire)
	for _, q := range []string{"echirolles", "Échirolles", "ECHIROLLES"} {
		res := find(t, idx, text(q))
		wantContains(t, q, res, IDMigrationLinux, IDVilleEchirolles)
		wantFirstAmong(t, q, res, IDMigrationLinux, IDVilleEchirolles)
	}
	// Accents in the document, none in the query, and the other way round.
	wantContains(t, "megalis", find(t, idx, text("megalis")), IDMegalis)
	wantContains(t, "hébergeur", find(t, idx, text("hébergeur")), IDTopicJitsi)
	wantContains(t, "hebergeur", find(t, idx, text("hebergeur")), IDTopicJitsi)
}

func testPlurals(t *testing.T, idx search.Index) {
	wantFirst(t, "webinaires", find(t, idx, text("webinaires")), IDWebinaire)
	// The document says "logiciel libre"; the query is plural.
	wantContains(t, "logiciels libres", find(t, idx, text("logiciels libres")), IDMigrationLinux, IDJourneeLibre)
	// The document says "logiciels libres"; the query is singular.
	wantContains(t, "logiciel libre", find(t, idx, text("logiciel libre")), IDJourneeLibre, IDMigrationLinux)
	wantContains(t, "rançongiciel", find(t, idx, text("rançongiciel")), IDWebinaire)
}

func testTypos(t *testing.T, idx search.Index) {
	res := find(t, idx, text("nextclud"))
	wantContains(t, "nextclud", res, IDNextcloud, IDMarcheNextcloud, IDUsageGrenoble)
	res = find(t, idx, text("visioconferance"))
	wantContains(t, "visioconferance", res, IDBigBlueButton, IDBBBSoftware)
	res = find(t, idx, text("bigbluebuton"))
	wantContains(t, "bigbluebuton", res, IDBBBSoftware, IDUsageIsere)
	// Short words get no typo: "jitsi" (5 letters) allows one, "QGIS" none.
	wantAbsent(t, "qgus", find(t, idx, text("qgus")), IDAtelierQGIS)
}

func testSynonyms(t *testing.T, idx search.Index) {
	// The BigBlueButton resource says "visioconférence", never "visio".
	wantContains(t, "visio", find(t, idx, text("visio")), IDBigBlueButton, IDBBBSoftware)
	wantFirst(t, "Canva", find(t, idx, text("Canva")), IDPolotno)
	// Neither BigBlueButton nor Jitsi documents mention Teams or Zoom.
	wantContains(t, "Teams", find(t, idx, text("Teams")), IDBBBSoftware, IDTopicJitsi)
	wantContains(t, "Zoom", find(t, idx, text("zoom")), IDBBBSoftware, IDTopicJitsi)
	// Maarch says "gestion électronique de documents", never "GED".
	wantContains(t, "GED", find(t, idx, text("GED")), IDMaarch)
	wantContains(t, "ENT", find(t, idx, text("ENT")), IDENT)
	wantContains(t, "SharePoint", find(t, idx, text("SharePoint")), IDNextcloud)
	// Both ways: the RGPD guide is found by "données personnelles".
	wantContains(t, "données personnelles", find(t, idx, text("données personnelles")), IDRGPD)
	// One way only: searching the free software does not bring the
	// proprietary name back (there is nothing to bring back, but the query
	// must not fail or match everything).
	res := find(t, idx, text("Polotno"))
	wantFirst(t, "Polotno", res, IDPolotno)
}

func testPrefix(t *testing.T, idx search.Index) {
	res := find(t, idx, search.Query{Text: "cyber", Prefix: true})
	wantFirst(t, "cyber…", res, IDWebinaire)
	res = find(t, idx, search.Query{Text: "nextcl", Prefix: true})
	wantContains(t, "nextcl…", res, IDNextcloud, IDMarcheNextcloud)
	res = find(t, idx, search.Query{Text: "hébergement nextcl", Prefix: true})
	wantFirst(t, "hébergement nextcl…", res, IDMarcheNextcloud)
	// Without Prefix the last word is complete: "nextcl" is three letters
	// away from "nextcloud", beyond the one typo a six-letter word gets.
	res = find(t, idx, search.Query{Text: "nextcl"})
	wantAbsent(t, "nextcl (no prefix)", res, IDNextcloud)
}

func testStopWords(t *testing.T, idx search.Index) {
	res := find(t, idx, text("le modèle de marché pour Nextcloud"))
	wantFirst(t, "le modèle de marché pour Nextcloud", res, IDMarcheNextcloud)
	res = find(t, idx, text("qui utilise BigBlueButton en Isère"))
	wantFirst(t, "qui utilise BigBlueButton en Isère", res, IDUsageIsere)
	res = find(t, idx, text("webinaire cybersécurité"))
	wantFirst(t, "webinaire cybersécurité", res, IDWebinaire)
}

func testFacets(t *testing.T, idx search.Index) {
	res := find(t, idx, search.Query{Facets: []string{search.FieldType, search.FieldRegion, search.FieldCategories}, PerPage: 1})
	docs := publicDocs()
	if res.Total != len(docs) {
		t.Errorf("Total %d, want %d public documents", res.Total, len(docs))
	}
	want := map[string]map[string]int{search.FieldType: {}, search.FieldRegion: {}, search.FieldCategories: {}}
	for _, d := range docs {
		want[search.FieldType][d.Type]++
		if d.Region != "" {
			want[search.FieldRegion][d.Region]++
		}
		for _, c := range d.Categories {
			want[search.FieldCategories][c]++
		}
	}
	for field, counts := range want {
		got := map[string]int{}
		for _, fc := range res.Facets[field] {
			got[fc.Value] = fc.Count
		}
		if !maps.Equal(got, counts) {
			t.Errorf("facet %s = %v, want %v", field, got, counts)
		}
		sorted := slices.IsSortedFunc(res.Facets[field], func(a, b search.FacetCount) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		if !sorted {
			t.Errorf("facet %s not sorted by count then value: %v", field, res.Facets[field])
		}
	}
	if _, ok := res.Facets[search.FieldLicence]; ok {
		t.Errorf("facet licence returned without being asked")
	}

	// Facet counts follow the text and the filters.
	res = find(t, idx, search.Query{Text: "BigBlueButton", Types: []string{"usage", "software", "resource"}, Facets: []string{search.FieldType}})
	got := map[string]int{}
	for _, fc := range res.Facets[search.FieldType] {
		got[fc.Value] = fc.Count
	}
	for _, ty := range []string{"usage", "software", "resource"} {
		if got[ty] < 1 {
			t.Errorf("BigBlueButton facet type=%s: %v", ty, got)
		}
	}
	if got["member"] != 0 || got["event"] != 0 {
		t.Errorf("facet counts ignore the type filter: %v", got)
	}
}

func testFilters(t *testing.T, idx search.Index) {
	isType := func(ty ...string) func(search.Document) bool {
		return func(d search.Document) bool { return slices.Contains(ty, d.Type) }
	}
	res := find(t, idx, search.Query{Types: []string{"event"}})
	wantExactly(t, "type event", res, idsWhere(isType("event"))...)
	res = find(t, idx, search.Query{Types: []string{"member", "organization"}})
	wantExactly(t, "types member|organization", res, idsWhere(isType("member", "organization"))...)
	res = find(t, idx, search.Query{Filters: map[string][]string{search.FieldType: {"software"}}})
	wantExactly(t, "filter type software", res, idsWhere(isType("software"))...)

	res = find(t, idx, search.Query{Filters: map[string][]string{search.FieldRegion: {"53"}}})
	wantExactly(t, "region 53", res, idsWhere(func(d search.Document) bool { return d.Region == "53" })...)
	res = find(t, idx, search.Query{Filters: map[string][]string{search.FieldRegion: {"53", "76"}}})
	wantExactly(t, "region 53|76", res, idsWhere(func(d search.Document) bool { return d.Region == "53" || d.Region == "76" })...)
	// AND across fields.
	res = find(t, idx, search.Query{
		Types:   []string{"resource"},
		Filters: map[string][]string{search.FieldRegion: {"84"}, search.FieldCollective: {"alpes"}},
	})
	wantExactly(t, "resource ∧ region 84 ∧ alpes", res, idsWhere(func(d search.Document) bool {
		return d.Type == "resource" && d.Region == "84" && d.Collective == "alpes"
	})...)
	// Values with accents and spaces are matched exactly.
	res = find(t, idx, search.Query{Filters: map[string][]string{search.FieldTags: {"marché public"}}})
	wantExactly(t, "tag marché public", res, IDMarcheNextcloud)
	res = find(t, idx, search.Query{Filters: map[string][]string{search.FieldCategories: {"Visioconférence"}}})
	wantExactly(t, "category Visioconférence", res, IDBBBSoftware)
	res = find(t, idx, search.Query{Filters: map[string][]string{search.FieldLicence: {"AGPL-3.0", "MIT"}}})
	wantExactly(t, "licence AGPL|MIT", res, IDNextcloud, IDPolotno)
	// A filter with text.
	res = find(t, idx, search.Query{Text: "Nextcloud", Types: []string{"software"}})
	wantExactly(t, "Nextcloud ∧ software", res, IDNextcloud)
	// A value nobody has.
	res = find(t, idx, search.Query{Filters: map[string][]string{search.FieldRegion: {"99"}}})
	wantExactly(t, "region 99", res)
}

func testDateRange(t *testing.T, idx search.Index) {
	q := search.Query{
		Types: []string{"event"},
		From:  day("2025-01-01T00:00:00Z"),
		To:    day("2025-03-31T23:59:59Z"),
	}
	wantExactly(t, "events Q1 2025", find(t, idx, q), IDWebinaire)
	q = search.Query{Types: []string{"event"}, From: day("2025-01-01T00:00:00Z")}
	wantExactly(t, "events from 2025", find(t, idx, q), IDWebinaire, IDAtelierQGIS)
	q = search.Query{Types: []string{"event"}, To: day("2024-12-31T00:00:00Z")}
	wantExactly(t, "events until 2024", find(t, idx, q), IDJourneeLibre)
	// Bounds are inclusive.
	q = search.Query{Types: []string{"event"}, From: day("2025-02-13T10:00:00Z"), To: day("2025-02-13T10:00:00Z")}
	wantExactly(t, "inclusive bounds", find(t, idx, q), IDWebinaire)

	// The "when" facet: ranges computed from Query.Now.
	now := day("2025-02-10T12:00:00Z")
	when := func(values ...string) search.Query {
		return search.Query{Types: []string{"event"}, Now: now, Filters: map[string][]string{search.FieldWhen: values}}
	}
	wantExactly(t, "upcoming events", find(t, idx, when(search.WhenUpcoming)), IDWebinaire, IDAtelierQGIS)
	wantExactly(t, "events this month", find(t, idx, when(search.WhenThisMonth)), IDWebinaire)
	wantExactly(t, "past events", find(t, idx, when(search.WhenPast)), IDJourneeLibre)
	wantExactly(t, "past or this month", find(t, idx, when(search.WhenPast, search.WhenThisMonth)), IDJourneeLibre, IDWebinaire)
	res := find(t, idx, search.Query{Types: []string{"event"}, Now: now, Facets: []string{search.FieldWhen}})
	got := map[string]int{}
	for _, c := range res.Facets[search.FieldWhen] {
		got[c.Value] = c.Count
	}
	if want := map[string]int{search.WhenUpcoming: 2, search.WhenThisMonth: 1, search.WhenPast: 1}; !maps.Equal(got, want) {
		t.Errorf("when facet = %v, want %v", got, want)
	}
	if _, err := idx.Search(ctxFor(t), when("tomorrow")); !errors.Is(err, search.ErrInvalidQuery) {
		t.Errorf("unknown when value: err = %v, want ErrInvalidQuery", err)
	}
}

func testSortNewest(t *testing.T, idx search.Index) {
	check := func(what string, res *search.Result) {
		t.Helper()
		if len(res.Hits) < 2 {
			t.Fatalf("%s: %d hits, want several", what, len(res.Hits))
		}
		for i := 1; i < len(res.Hits); i++ {
			if res.Hits[i].Date.After(res.Hits[i-1].Date) {
				t.Errorf("%s: hit %d (%s, %s) is newer than hit %d (%s, %s)", what,
					i, res.Hits[i].ID, res.Hits[i].Date, i-1, res.Hits[i-1].ID, res.Hits[i-1].Date)
			}
		}
	}
	res := find(t, idx, search.Query{Types: []string{"resource"}, Sort: search.SortNewest})
	check("resources", res)
	wantFirst(t, "newest resource", res, IDENT)
	res = find(t, idx, search.Query{Text: "Nextcloud", Sort: search.SortNewest})
	check("Nextcloud", res)
	wantFirst(t, "newest Nextcloud", res, IDTopicScript)
}

func testPagination(t *testing.T, idx search.Index) {
	total := len(publicDocs())
	seen := map[string]bool{}
	const per = 4
	for page := 1; page <= total/per+2; page++ {
		res := find(t, idx, search.Query{Page: page, PerPage: per})
		if res.Total != total {
			t.Errorf("page %d: Total %d, want %d", page, res.Total, total)
		}
		wantLen := min(per, max(total-(page-1)*per, 0))
		if len(res.Hits) != wantLen {
			t.Errorf("page %d: %d hits, want %d", page, len(res.Hits), wantLen)
		}
		for _, h := range res.Hits {
			if seen[h.ID] {
				t.Errorf("page %d: %s already seen on an earlier page", page, h.ID)
			}
			seen[h.ID] = true
		}
	}
	if len(seen) != total {
		t.Errorf("pages covered %d documents, want %d", len(seen), total)
	}
	// With text and a sort too.
	first := find(t, idx, search.Query{Text: "Nextcloud", Sort: search.SortNewest, PerPage: 2, Page: 1})
	second := find(t, idx, search.Query{Text: "Nextcloud", Sort: search.SortNewest, PerPage: 2, Page: 2})
	all := find(t, idx, search.Query{Text: "Nextcloud", Sort: search.SortNewest})
	if first.Total != all.Total || second.Total != all.Total {
		t.Errorf("Total varies across pages: %d, %d, %d", first.Total, second.Total, all.Total)
	}
	if len(all.Hits) >= 4 {
		got := append(hitIDs(first), hitIDs(second)...)
		if !slices.Equal(got, hitIDs(all)[:4]) {
			t.Errorf("pages 1-2 %v, want the first four of %v", got, hitIDs(all))
		}
	}
}

func testVisibility(t *testing.T, idx search.Index) {
	for _, aud := range [][]string{nil, {search.AudiencePublic}, {search.AudiencePublic, "group:someone-else"}, {"account:42"}} {
		res := find(t, idx, search.Query{Text: "barème", Audience: aud})
		wantAbsent(t, fmt.Sprintf("barème as %v", aud), res, IDBareme)
		res = find(t, idx, search.Query{Filters: map[string][]string{search.FieldGroup: {"marches"}}, Audience: aud})
		wantAbsent(t, fmt.Sprintf("group marches as %v", aud), res, IDBareme)
	}
	member := []string{search.AudiencePublic, GroupMarches}
	res := find(t, idx, search.Query{Text: "barème", Audience: member})
	wantFirst(t, "barème as a member", res, IDBareme)
	// Members still see public documents, and counts include the private one.
	res = find(t, idx, search.Query{Audience: member, PerPage: 1})
	if res.Total != len(Corpus()) {
		t.Errorf("member Total %d, want %d", res.Total, len(Corpus()))
	}
	// A viewer holding only the group key still gets public documents,
	// since "public" is always added.
	res = find(t, idx, search.Query{Text: "Nextcloud", Audience: []string{GroupMarches}})
	wantContains(t, "Nextcloud as group key only", res, IDNextcloud)
}

func testSnippets(t *testing.T, idx search.Index) {
	res := find(t, idx, text("Nextcloud"))
	var script *search.Hit
	for i := range res.Hits {
		h := &res.Hits[i]
		if h.ID == IDMarcheNextcloud && !strings.Contains(h.Snippet, "<mark>") {
			t.Errorf("%s: snippet without mark: %q", h.ID, h.Snippet)
		}
		if h.ID == IDTopicScript {
			script = h
		}
		checkSnippetHTML(t, h.ID, h.Snippet)
	}
	if script == nil {
		t.Fatalf("topic with HTML not found for Nextcloud: %v", hitIDs(res))
	}
	for _, want := range []string{"&lt;script&gt;", "&amp;", "<mark>Nextcloud</mark>"} {
		if !strings.Contains(script.Snippet, want) {
			t.Errorf("snippet %q lacks %q", script.Snippet, want)
		}
	}
	if strings.Contains(script.Snippet, "<script>") {
		t.Errorf("snippet %q carries raw HTML", script.Snippet)
	}
	// Accent-folded, stemmed and typo matches are marked as written.
	res = find(t, idx, text("echirolles"))
	for _, h := range res.Hits {
		if h.ID == IDMigrationLinux && !strings.Contains(h.Snippet, "<mark>Échirolles</mark>") {
			t.Errorf("snippet %q does not mark Échirolles", h.Snippet)
		}
	}
}

// checkSnippetHTML fails if the snippet holds markup other than balanced
// <mark> tags.
func checkSnippetHTML(t *testing.T, id, s string) {
	t.Helper()
	rest := strings.ReplaceAll(strings.ReplaceAll(s, "<mark>", ""), "</mark>", "")
	if strings.ContainsAny(rest, "<>") {
		t.Errorf("%s: snippet has unescaped markup: %q", id, s)
	}
	if strings.Count(s, "<mark>") != strings.Count(s, "</mark>") {
		t.Errorf("%s: unbalanced marks: %q", id, s)
	}
}

func testHitFields(t *testing.T, idx search.Index) {
	res := find(t, idx, text("Polotno"))
	if len(res.Hits) == 0 {
		t.Fatal("no hit for Polotno")
	}
	h := res.Hits[0]
	var want search.Document
	for _, d := range Corpus() {
		if d.ID == IDPolotno {
			want = d
		}
	}
	if h.ID != want.ID || h.Type != want.Type || h.Title != want.Title || h.URL != want.URL || !h.Date.Equal(want.Date) {
		t.Errorf("hit %+v does not carry the document's ID, Type, Title, URL, Date", h)
	}
	if h.Snippet == "" {
		t.Errorf("hit %s without snippet", h.ID)
	}
}

func testInvalid(t *testing.T, idx search.Index) {
	ctx := ctxFor(t)
	for _, q := range []search.Query{
		{Filters: map[string][]string{"audience": {"group:x"}}}, // audience is not a filter: visibility goes through Query.Audience
		{Filters: map[string][]string{"title": {"x"}}},
		{Facets: []string{"body"}},
		{Sort: "oldest"},
		{From: day("2025-01-02T00:00:00Z"), To: day("2025-01-01T00:00:00Z")},
		{Page: 100, PerPage: 100},
	} {
		if _, err := idx.Search(ctx, q); !errors.Is(err, search.ErrInvalidQuery) {
			t.Errorf("Search(%+v) = %v, want ErrInvalidQuery", q, err)
		}
	}
	// Text that looks like filter or query syntax is just text.
	for _, s := range []string{`"`, `\`, `type = member OR 1 = 1`, `audience IN ["group:x"]`, `(`, `*`, `title:barème`, `+barème -public`} {
		res := find(t, idx, search.Query{Text: s})
		wantAbsent(t, s, res, IDBareme)
	}
}

func testDelete(t *testing.T, idx search.Index) {
	ctx := ctxFor(t)
	before := find(t, idx, search.Query{PerPage: 1}).Total
	wantContains(t, "before delete", find(t, idx, text("Polotno")), IDPolotno)
	if err := idx.Delete(ctx, IDPolotno, "software:does-not-exist"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantAbsent(t, "after delete", find(t, idx, text("Polotno")), IDPolotno)
	if after := find(t, idx, search.Query{PerPage: 1}).Total; after != before-1 {
		t.Errorf("Total %d after delete, want %d", after, before-1)
	}
	// Upsert replaces: the same ID with new content.
	doc := Corpus()[0]
	doc.Title = "Modèle de marché pour l'hébergement Nextcloud (version 2)"
	doc.Summary = "Nouvelle version avec un lot pour la messagerie SOGo."
	if err := idx.Upsert(ctx, doc); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	res := find(t, idx, text("SOGo"))
	wantContains(t, "after replace", res, IDMarcheNextcloud)
	res = find(t, idx, text("Nextcloud"))
	n := 0
	for _, h := range res.Hits {
		if h.ID == IDMarcheNextcloud {
			n++
			if !strings.Contains(h.Title, "version 2") {
				t.Errorf("replaced document still has title %q", h.Title)
			}
		}
	}
	if n != 1 {
		t.Errorf("replaced document appears %d times", n)
	}
	// Nothing to delete is not an error.
	if err := idx.Delete(ctx); err != nil {
		t.Errorf("Delete(): %v", err)
	}
}

func testRebuild(t *testing.T, idx search.Index) {
	ctx := ctxFor(t)
	penpot := search.Document{
		ID: "software:01JZ1A3B5C7D9E1F3G5H7J9K1M", Type: "software", Title: "Penpot",
		Summary: "Maquettes d'interfaces en ligne, alternative libre aux outils de prototypage.",
		URL:     "/s/penpot", Licence: "MPL-2.0", Audience: []string{search.AudiencePublic},
		Date: day("2025-04-01T12:00:00Z"),
	}
	written := search.Document{
		ID: "topic:01JZ2B4C6D8E0F2G4H6J8K0M2N", Type: "topic", Title: "Question posée pendant la reconstruction",
		Summary: "Quelqu'un utilise Zimbra en production ?", URL: "/c/alpes/t/01JZ2B4C6D8E0F2G4H6J8K0M2N",
		Audience: []string{search.AudiencePublic}, Date: day("2025-04-02T12:00:00Z"),
	}

	// Searches keep answering while the rebuild runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var searches, failures atomic.Int64
	var firstErr atomic.Value
	wg.Go(func() {
		deadline := time.Now().Add(opTimeout)
		for time.Now().Before(deadline) {
			select {
			case <-stop:
				return
			default:
			}
			res, err := idx.Search(ctx, search.Query{Text: "BigBlueButton"})
			searches.Add(1)
			if err != nil || len(res.Hits) == 0 {
				failures.Add(1)
				if err == nil {
					err = errors.New("no hit")
				}
				firstErr.CompareAndSwap(nil, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})

	err := idx.Rebuild(ctx, func(emit func(search.Document) error) error {
		for _, d := range Corpus() {
			if d.ID == IDPolotno {
				continue
			}
			if err := emit(d); err != nil {
				return err
			}
		}
		// A write arriving while the new index is being filled must not be
		// lost by the switch.
		if err := idx.Upsert(ctx, written); err != nil {
			return fmt.Errorf("upsert during rebuild: %w", err)
		}
		return emit(penpot)
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d searches failed during rebuild, first: %v", n, searches.Load(), firstErr.Load())
	}
	if searches.Load() == 0 {
		t.Errorf("no search ran during the rebuild")
	}
	wantFirst(t, "Penpot after rebuild", find(t, idx, text("Penpot")), penpot.ID)
	wantAbsent(t, "Polotno after rebuild", find(t, idx, text("Polotno")), IDPolotno)
	wantContains(t, "write made during rebuild", find(t, idx, text("Zimbra")), written.ID)
	want := len(publicDocs()) - 1 + 2
	if got := find(t, idx, search.Query{PerPage: 1}).Total; got != want {
		t.Errorf("Total after rebuild %d, want %d", got, want)
	}

	// A failing fill leaves the live index untouched.
	boom := errors.New("source unavailable")
	err = idx.Rebuild(ctx, func(emit func(search.Document) error) error {
		if err := emit(Corpus()[1]); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Rebuild with failing fill = %v, want it to wrap %v", err, boom)
	}
	wantFirst(t, "Penpot after failed rebuild", find(t, idx, text("Penpot")), penpot.ID)
	if got := find(t, idx, search.Query{PerPage: 1}).Total; got != want {
		t.Errorf("Total after failed rebuild %d, want %d", got, want)
	}
}
