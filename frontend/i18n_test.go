package frontend

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// messageIDs reads the message IDs of one language from every
// locales/*.toml file, as go-i18n flattens them (table.key).
func messageIDs(t *testing.T, lang string) map[string]string {
	t.Helper()
	ids := map[string]string{} // id → file
	names, _ := fs.Glob(files, "locales/*.toml")
	for _, p := range names {
		base := strings.TrimSuffix(filepath.Base(p), ".toml")
		if base != lang && !strings.HasSuffix(base, "."+lang) {
			continue
		}
		var raw map[string]any
		b, _ := files.ReadFile(p)
		if err := toml.Unmarshal(b, &raw); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var walk func(prefix string, m map[string]any)
		walk = func(prefix string, m map[string]any) {
			for k, v := range m {
				id := k
				if prefix != "" {
					id = prefix + "." + k
				}
				sub, ok := v.(map[string]any)
				if ok && !isPlural(sub) {
					walk(id, sub)
					continue
				}
				if prev, dup := ids[id]; dup {
					t.Errorf("%s: %s is also in %s", p, id, prev)
				}
				ids[id] = p
			}
		}
		walk("", raw)
	}
	return ids
}

func isPlural(m map[string]any) bool {
	_, ok := m["other"]
	return ok
}

// Every message exists in both languages.
func TestEveryMessageIsInEveryLanguage(t *testing.T) {
	fr, en := messageIDs(t, French), messageIDs(t, English)
	if len(fr) < 100 {
		t.Fatalf("only %d French messages: the files were not read", len(fr))
	}
	for id, file := range fr {
		if _, ok := en[id]; !ok {
			t.Errorf("%s (%s) has no English text", id, file)
		}
	}
	for id, file := range en {
		if _, ok := fr[id]; !ok {
			t.Errorf("%s (%s) has no French text", id, file)
		}
	}
}

// dynamicPrefixes are the messages looked up from data ({{label "rkind"
// .Kind}}, orgKind), which no source names whole.
var dynamicPrefixes = []string{"kind.", "rkind.", "licence.", "format.", "search.type.", "category.", "hosting.", "session.", "attendee.", "regstatus.", "event.closed_", "follow_state."}

// Every message is used: named in a template or in the Go code that
// passes message IDs (flash messages, error titles, headings).
func TestEveryMessageIsUsed(t *testing.T) {
	var sources strings.Builder
	tpl, _ := fs.Glob(files, "templates/*.html")
	for _, p := range tpl {
		b, _ := files.ReadFile(p)
		sources.Write(b)
	}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sources.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := sources.String()
	for id := range messageIDs(t, French) {
		if slices.ContainsFunc(dynamicPrefixes, func(p string) bool { return strings.HasPrefix(id, p) }) {
			continue
		}
		if !strings.Contains(all, `"`+id+`"`) {
			t.Errorf("message %s is used nowhere", id)
		}
	}
}

// Every message a template names exists.
func TestTemplatesNameExistingMessages(t *testing.T) {
	fr := messageIDs(t, French)
	tpl, _ := fs.Glob(files, "templates/*.html")
	for _, p := range tpl {
		b, _ := files.ReadFile(p)
		for _, m := range regexp.MustCompile(`[({]t "([^"]+)"`).FindAllStringSubmatch(string(b), -1) {
			if _, ok := fr[m[1]]; !ok {
				t.Errorf("%s: no message %s", p, m[1])
			}
		}
	}
}

func TestTranslate(t *testing.T) {
	f, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, lang, id string
		args           []any
		want           string
	}{
		{"plain", French, "layout.search", nil, "Recherche"},
		{"english", English, "layout.search", nil, "Search"},
		{"French zero is singular", French, "common.members", []any{0}, "0 membre"},
		{"French one", French, "common.members", []any{1}, "1 membre"},
		{"French two", French, "common.members", []any{2}, "2 membres"},
		{"English zero is plural", English, "common.members", []any{0}, "0 members"},
		{"English one", English, "common.members", []any{1}, "1 member"},
		{"count is grouped", French, "common.members", []any{12345}, "12\u202f345 membres"},
		{"English count grouped", English, "common.members", []any{12345}, "12,345 members"},
		{"named values", English, "login.with", []any{"Name", "ProConnect"}, "Log in with ProConnect"},
		{"an unknown language is French", "de", "layout.search", nil, "Recherche"},
		{"a missing message is its ID", French, "nowhere.to.be.found", nil, "nowhere.to.be.found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := f.T(c.lang, c.id, c.args...); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// A value given to a message is escaped in pages; the message's own
// markup is kept.
func TestTemplateMessagesEscapeTheirValues(t *testing.T) {
	f, _ := New()
	got, err := f.translators[French].translate("collective.login_to_join", "URL", `/x"><script>`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<a href="/x&#34;&gt;&lt;script&gt;">Connectez-vous</a> pour rejoindre ce collectif.`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestMatch(t *testing.T) {
	cases := []struct{ name, cookie, accept, want string }{
		{"nothing: French", "", "", French},
		{"English browser", "", "en-GB,en;q=0.9", English},
		{"American browser", "", "en-US", English},
		{"French browser", "", "fr-FR,fr;q=0.9,en;q=0.8", French},
		{"preference order", "", "de-DE,en;q=0.8,fr;q=0.5", English},
		{"German only: French", "", "de-DE,de;q=0.9", French},
		{"cookie wins", "fr", "en-US", French},
		{"cookie to English", "en", "fr-FR", English},
		{"unknown cookie ignored", "de", "en", English},
		{"garbage header", "", ";;;q=x", French},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Match(c.cookie, c.accept); got != c.want {
				t.Errorf("Match(%q, %q) = %q, want %q", c.cookie, c.accept, got, c.want)
			}
		})
	}
}

func TestNumbersAndMoney(t *testing.T) {
	cases := []struct {
		name string
		f    func(string, any) string
		lang string
		v    any
		want string
	}{
		{"small", formatNumber, French, 12, "12"},
		{"thousands", formatNumber, French, 1234, "1\u202f234"},
		{"millions", formatNumber, French, 1234567, "1\u202f234\u202f567"},
		{"decimal", formatNumber, French, 1234.5, "1\u202f234,5"},
		{"negative", formatNumber, French, -1234.5, "-1\u202f234,5"},
		{"rounded to two decimals", formatNumber, French, 0.1 + 0.2, "0,3"},
		{"English thousands", formatNumber, English, 1234567, "1,234,567"},
		{"English decimal", formatNumber, English, 1234.5, "1,234.5"},
		{"uint", formatNumber, English, uint64(1000), "1,000"},
		{"not a number", formatNumber, French, "douze", "douze"},
		{"euros", formatMoney, French, 1234.5, "1\u202f234,50\u00a0€"},
		{"whole euros", formatMoney, French, 12, "12\u00a0€"},
		{"English euros", formatMoney, English, 1234.5, "€1,234.50"},
		{"English whole euros", formatMoney, English, 1500, "€1,500"},
		{"cents", formatMoney, French, 0.05, "0,05\u00a0€"},
		{"negative euros", formatMoney, English, -3.5, "-€3.50"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f(c.lang, c.v); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestDatesInParis(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	winter := time.Date(2026, 3, 12, 13, 30, 0, 0, time.UTC) // 14 h 30 in Paris (UTC+1)
	summer := time.Date(2026, 7, 1, 22, 0, 0, 0, time.UTC)   // midnight in Paris (UTC+2), the next day
	noon := time.Date(2026, 12, 25, 11, 5, 0, 0, time.UTC)
	cases := []struct {
		name, lang string
		f          func(string, time.Time, *time.Location) string
		at         time.Time
		want       string
	}{
		{"date", French, formatDate, winter, "12 mars 2026"},
		{"English date", English, formatDate, winter, "12 March 2026"},
		{"date and time", French, formatDateTime, winter, "12 mars 2026 à 14 h 30"},
		{"English date and time", English, formatDateTime, winter, "12 March 2026, 2:30 pm"},
		{"Paris is a day ahead of UTC at 22:00 in summer", French, formatDate, summer, "2 juillet 2026"},
		{"midnight", French, formatDateTime, summer, "2 juillet 2026 à 0 h"},
		{"English midnight", English, formatDateTime, summer, "2 July 2026, 12:00 am"},
		{"noon", English, formatDateTime, noon, "25 December 2026, 12:05 pm"},
		{"minutes keep two digits", French, formatDateTime, noon, "25 décembre 2026 à 12 h 05"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f(c.lang, c.at, paris); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestSizes(t *testing.T) {
	cases := []struct {
		lang string
		n    int64
		want string
	}{
		{French, 12, "12 octets"},
		{French, 340 << 10, "340 Ko"},
		{French, 1258291, "1,2 Mo"},
		{French, 20 << 20, "20 Mo"},
		{English, 12, "12 bytes"},
		{English, 1258291, "1.2 MB"},
	}
	for _, c := range cases {
		if got := formatSize(c.lang, c.n); got != c.want {
			t.Errorf("formatSize(%s, %d) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

func TestRegionsAreTheEighteen(t *testing.T) {
	if len(Regions) != 18 {
		t.Fatalf("%d régions", len(Regions))
	}
	names := make([]string, len(Regions))
	for i, r := range Regions {
		names[i] = r.Name
	}
	if !sort.SliceIsSorted(names, func(i, j int) bool { return collate(names[i]) < collate(names[j]) }) {
		t.Errorf("not in the order of their names: %v", names)
	}
	if RegionName("84") != "Auvergne-Rhône-Alpes" || RegionName("99") != "99" {
		t.Error("RegionName")
	}
}

func collate(s string) string { return strings.NewReplacer("Î", "I", "É", "E").Replace(s) }
