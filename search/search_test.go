package search

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNormalizeDefaults(t *testing.T) {
	in := Query{Text: " visio ", Audience: []string{"group:1", "", "group:1"}, Types: []string{"event", ""}}
	q, err := in.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if q.Page != 1 || q.PerPage != DefaultPerPage || q.Sort != SortRelevance {
		t.Errorf("defaults: %+v", q)
	}
	if q.Text != " visio " {
		t.Errorf("Text changed to %q: a trailing space is meaningful", q.Text)
	}
	if !slices.Equal(q.Audience, []string{AudiencePublic, "group:1"}) {
		t.Errorf("Audience %v", q.Audience)
	}
	if !slices.Equal(q.Types, []string{"event"}) {
		t.Errorf("Types %v", q.Types)
	}
	if !slices.Equal(in.Audience, []string{"group:1", "", "group:1"}) {
		t.Errorf("caller's slice modified: %v", in.Audience)
	}
	q, _ = Query{PerPage: 1000}.Normalize()
	if q.PerPage != MaxPerPage {
		t.Errorf("PerPage %d", q.PerPage)
	}
	q, _ = Query{Filters: map[string][]string{FieldRegion: {"", "84"}, FieldTags: {""}}}.Normalize()
	if len(q.Filters) != 1 || !slices.Equal(q.Filters[FieldRegion], []string{"84"}) {
		t.Errorf("Filters %v", q.Filters)
	}
}

func TestNormalizeRefuses(t *testing.T) {
	for _, q := range []Query{
		{Filters: map[string][]string{"audience": {"x"}}},
		{Filters: map[string][]string{"Region": {"x"}}},
		{Facets: []string{"date"}},
		{Sort: "date"},
		{From: time.Unix(10, 0), To: time.Unix(5, 0)},
		{Page: 11, PerPage: 100},
		{Page: 51},
	} {
		if _, err := q.Normalize(); !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("Normalize(%+v) = %v", q, err)
		}
	}
	if _, err := (Query{Page: 10, PerPage: 100}).Normalize(); err != nil {
		t.Errorf("last reachable page refused: %v", err)
	}
}

func TestSortFacetCounts(t *testing.T) {
	c := []FacetCount{{"b", 1}, {"a", 1}, {"c", 5}}
	SortFacetCounts(c)
	if !slices.Equal(c, []FacetCount{{"c", 5}, {"a", 1}, {"b", 1}}) {
		t.Errorf("%v", c)
	}
}

func TestSynonyms(t *testing.T) {
	s := Synonyms()
	for key, values := range s {
		if key != strings.ToLower(key) {
			t.Errorf("key %q not lowercase", key)
		}
		for _, v := range values {
			if strings.EqualFold(v, key) {
				t.Errorf("%q maps to itself", key)
			}
		}
		if len(values) == 0 {
			t.Errorf("%q has no synonym", key)
		}
	}
	wants := map[string][]string{
		"visio":                {"visioconférence", "visio-conférence"},
		"visioconférence":      {"visio"},
		"visio-conférence":     {"visio"},
		"ent":                  {"espace numérique de travail"},
		"ged":                  {"gestion électronique de documents"},
		"canva":                {"Polotno"},
		"teams":                {"BigBlueButton", "Jitsi"},
		"zoom":                 {"BigBlueButton", "Jitsi"},
		"outlook":              {"SOGo", "Thunderbird"},
		"exchange":             {"SOGo", "Thunderbird"},
		"office":               {"LibreOffice", "Collabora"},
		"sharepoint":           {"Nextcloud"},
		"onedrive":             {"Nextcloud"},
		"marché":               {"marché public", "commande publique"},
		"commande publique":    {"marché"},
		"mairie":               {"commune"},
		"commune":              {"mairie"},
		"cyber":                {"cybersécurité"},
		"rgpd":                 {"données personnelles"},
		"données personnelles": {"RGPD"},
		"dsi":                  {"direction des systèmes d'information"},
	}
	for key, want := range wants {
		for _, w := range want {
			if !slices.Contains(s[key], w) {
				t.Errorf("Synonyms()[%q] = %v, lacks %q", key, s[key], w)
			}
		}
	}
	// Replacements are one way: the free software does not find the product it replaces.
	for _, free := range []string{"polotno", "nextcloud", "bigbluebutton", "libreoffice"} {
		if _, ok := s[free]; ok {
			t.Errorf("one-way synonym reversed: %q → %v", free, s[free])
		}
	}
	// Each call builds a fresh map.
	s["visio"] = nil
	if len(Synonyms()["visio"]) == 0 {
		t.Error("Synonyms() shares state between calls")
	}
}

func TestStopWords(t *testing.T) {
	w := StopWords()
	for _, want := range []string{"le", "la", "les", "de", "des", "pour", "à", "a", "été", "ete", "même", "meme", "qui"} {
		if !slices.Contains(w, want) {
			t.Errorf("stop words lack %q", want)
		}
	}
	for _, keep := range []string{"est", "nextcloud", "ent", "commune"} {
		if slices.Contains(w, keep) {
			t.Errorf("%q must not be a stop word", keep)
		}
	}
	seen := map[string]bool{}
	for _, s := range w {
		if seen[s] {
			t.Errorf("duplicate %q", s)
		}
		seen[s] = true
	}
}
