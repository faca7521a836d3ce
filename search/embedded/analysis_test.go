package embedded

import (
	"slices"
	"strings"
	"testing"
)

func testAnalyzers(t *testing.T) *analyzers {
	t.Helper()
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	text, prefix := m.AnalyzerNamed(analyzerText), m.AnalyzerNamed(analyzerPrefix)
	if text == nil || prefix == nil {
		t.Fatal("analyzers missing from mapping")
	}
	return newAnalyzers(text, prefix)
}

func terms(a *analyzers, s string) []string {
	var out []string
	for _, tok := range a.text.Analyze([]byte(s)) {
		out = append(out, string(tok.Term))
	}
	return out
}

// The analyzer must make these pairs index to the same terms: the reason it
// exists rather than bleve's stock "fr" analyzer.
func TestAnalyzerFoldsAndStems(t *testing.T) {
	a := testAnalyzers(t)
	pairs := [][2]string{
		{"cybersécurité", "cybersecurite"},
		{"Échirolles", "echirolles"},
		{"webinaires", "webinaire"},
		{"logiciels libres", "logiciel libre"},
		{"café", "cafe"},
		{"naïf", "naif"},
		{"Noël", "noel"},
		{"cimetière", "cimetiere"},
		{"l’hébergement", "hebergement"},
		{"l'hébergement", "hébergements"},
		{"marchés publics", "marché public"},
		{"collectivités", "collectivite"},
		{"ŒUVRE", "oeuvre"},
	}
	for _, p := range pairs {
		x, y := terms(a, p[0]), terms(a, p[1])
		if len(x) == 0 || !slices.Equal(x, y) {
			t.Errorf("%q → %v, %q → %v: want equal and non-empty", p[0], x, p[1], y)
		}
	}
}

func TestAnalyzerDropsStopWords(t *testing.T) {
	a := testAnalyzers(t)
	got := terms(a, "le modèle de marché pour l'hébergement à la mairie")
	for _, stop := range []string{"le", "de", "pour", "a", "la"} {
		if slices.Contains(got, stop) {
			t.Errorf("stop word %q kept in %v", stop, got)
		}
	}
	if len(got) != 4 {
		t.Errorf("got %v, want 4 content terms", got)
	}
	// "est" is kept on purpose (Grand Est).
	if got := terms(a, "Grand Est"); len(got) != 2 {
		t.Errorf("Grand Est → %v", got)
	}
}

func TestParseSynonymsAndPrefix(t *testing.T) {
	a := testAnalyzers(t)
	units := a.parse("logiciel de GED pour la mairie", false)
	var alts []string
	for _, u := range units {
		for _, terms := range u.alternatives {
			alts = append(alts, strings.Join(terms, " "))
		}
	}
	for _, want := range []string{strings.Join(terms(a, "gestion électronique de documents"), " "), strings.Join(terms(a, "commune"), " ")} {
		if !slices.Contains(alts, want) {
			t.Errorf("alternatives %v lack %q", alts, want)
		}
	}
	// The longest key wins: "marché public" is one unit, not "marché" + "public".
	units = a.parse("marché public Nextcloud", false)
	if len(units) != 2 || len(units[0].words) != 2 {
		t.Errorf("marché public Nextcloud → %+v", units)
	}

	units = a.parse("cyber", true)
	if len(units) != 1 || !units[0].words[0].prefix {
		t.Errorf("prefix not set: %+v", units)
	}
	units = a.parse("cyber ", true)
	if len(units) != 1 || units[0].words[0].prefix {
		t.Errorf("a trailing space must end the prefix: %+v", units)
	}
	if units := a.parse("  ", true); units != nil {
		t.Errorf("blank text → %+v", units)
	}
}

func TestWithinDistance(t *testing.T) {
	cases := []struct {
		a, b string
		d    int
		want bool
	}{
		{"nextclud", "nextcloud", 1, true},
		{"visioconferanc", "visioconferenc", 2, true},
		{"abc", "xyz", 2, false},
		{"kitten", "sitting", 2, false},
		{"kitten", "sitting", 3, true},
	}
	for _, c := range cases {
		if got := withinDistance(c.a, c.b, c.d); got != c.want {
			t.Errorf("withinDistance(%q, %q, %d) = %v", c.a, c.b, c.d, got)
		}
	}
}
