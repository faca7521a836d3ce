package meili

import (
	"testing"
	"time"

	"collectif/search"
)

func TestQuote(t *testing.T) {
	cases := map[string]string{
		``:                   `""`,
		`Isère`:              `"Isère"`,
		`say "hi"`:           `"say \"hi\""`,
		`C:\path\`:           `"C:\\path\\"`,
		`x"] OR a IN ["y`:    `"x\"] OR a IN [\"y"`,
		`l'hébergement`:      `"l'hébergement"`,
		"line\nbreak":        "\"line\nbreak\"",
		`\"`:                 `"\\\""`,
		`group:01J8GT0MARCH`: `"group:01J8GT0MARCH"`,
	}
	for in, want := range cases {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestBuildFilter(t *testing.T) {
	q, err := search.Query{
		Audience: []string{"collective:3"},
		Types:    []string{"event", "session"},
		Filters:  map[string][]string{"tags": {"a"}, "categories": {"b", "c"}},
		From:     time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	want := `audience IN ["public", "collective:3"] AND type IN ["event", "session"] AND categories IN ["b", "c"] AND tags IN ["a"] AND date >= 1735689600`
	if got := buildFilter(q); got != want {
		t.Errorf("buildFilter\n got %s\nwant %s", got, want)
	}
	// Even a query that skipped Normalize gets an audience clause.
	if got := buildFilter(search.Query{}); got != `audience IN ["public"]` {
		t.Errorf("buildFilter(zero) = %s", got)
	}
}
