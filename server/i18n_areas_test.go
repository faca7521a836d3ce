package server_test

import (
	"context"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"collectif/access"
	"collectif/catalog"
	"collectif/collective"
	"collectif/event"
	"collectif/federation/delivery"
	"collectif/jobs"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// frenchMessages are the French texts of the given areas' message files
// that differ from their English: the longest piece of each between its
// {{.Values}}, when it is long enough to say something on its own.
func frenchMessages(t *testing.T, atLeast int, areas ...string) []string {
	t.Helper()
	placeholder := regexp.MustCompile(`\{\{[^}]*\}\}|<[^>]*>`)
	read := func(name string) map[string]string {
		out := map[string]string{}
		b, err := os.ReadFile(filepath.Join("..", "frontend", "locales", name))
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := toml.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		var walk func(prefix string, m map[string]any)
		walk = func(prefix string, m map[string]any) {
			for k, v := range m {
				switch v := v.(type) {
				case string:
					out[prefix+k] = v
				case map[string]any:
					if other, ok := v["other"].(string); ok {
						out[prefix+k] = other
						continue
					}
					walk(prefix+k+".", v)
				}
			}
		}
		walk("", raw)
		return out
	}
	var texts []string
	for _, area := range areas {
		fr, en := read(area+".fr.toml"), read(area+".en.toml")
		for id, f := range fr {
			if f == en[id] {
				continue
			}
			best := ""
			for _, piece := range placeholder.Split(f, -1) {
				piece = strings.Trim(piece, " :;,.()«»—?")
				if len([]rune(piece)) > len([]rune(best)) {
					best = piece
				}
			}
			if len([]rune(best)) >= 7 {
				texts = append(texts, best)
			}
		}
	}
	sort.Strings(texts)
	if len(texts) < atLeast {
		t.Fatalf("only %d French texts in %v", len(texts), areas)
	}
	return texts
}

// frenchDates are the names French dates use.
var frenchDates = []string{"janvier", "février", "avril", "juillet", "septembre", "octobre", "novembre", "décembre",
	"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "heure de Paris"}

// checkEnglish fetches a page as b and reports any French text of the
// list in what the page shows.
func checkEnglish(t *testing.T, b *browser, u string, french []string, data ...string) page {
	t.Helper()
	p := b.get(u)
	if p.status != 200 {
		t.Errorf("%s: %d\n%s", u, p.status, p.body)
		return p
	}
	checkBody(t, u, p.body, french, data...)
	return p
}

// checkBody reports any French text of the list in what body shows.
func checkBody(t *testing.T, u, body string, french []string, data ...string) {
	t.Helper()
	p := page{body: body}
	if !strings.Contains(p.body, `<html lang="en">`) {
		t.Errorf("%s is not in English", u)
	}
	shown := html.UnescapeString(visibleText(p.body))
	for _, d := range data { // what people wrote is not the interface
		if d != "" {
			shown = strings.ReplaceAll(shown, d, " ")
		}
	}
	var words []string
	for _, w := range strings.Fields(shown) {
		if !strings.Contains(w, "/") { // addresses are not sentences
			words = append(words, w)
		}
	}
	text := strings.Join(words, " ")
	for _, fr := range append(french, frenchDates...) {
		if regexp.MustCompile(`(^|[^\pL])` + regexp.QuoteMeta(fr) + `($|[^\pL])`).MatchString(text) {
			t.Errorf("%s: French %q in the English page: …%s…", u, fr, around(text, fr))
		}
	}
}

// The catalog in English: list, software page, declaration forms,
// organization page; no text of the catalog's messages in French.
func TestCatalogPagesInEnglish(t *testing.T) {
	french := frenchMessages(t, 100, "catalog")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newCatalogRig(t, db)
		alix := newBrowser(t)
		alix.get(r.base + "/lang/en")
		alix.login(r.base, "alix@echirolles.example", "un mot de passe long")
		form := checkEnglish(t, alix, r.base+"/logiciels/nextcloud/declarer", french)
		bad := alix.post(r.base+"/logiciels/nextcloud/declarer", url.Values{"_csrf": {form.csrf(t)}, "savings_eur": {"beaucoup"}})
		if bad.status != 422 || !strings.Contains(bad.body, `aria-describedby="savings-hint savings_eur-error"`) || !strings.Contains(bad.body, "The declaration is not saved:") {
			t.Errorf("an error in English, tied to its field: %d\n%s", bad.status, bad.body)
		}
		p := alix.post(r.base+"/logiciels/nextcloud/declarer", url.Values{"_csrf": {form.csrf(t)}, "hosting": {"pooled"}, "since_year": {"2019"},
			"scope": {"1400"}, "savings_eur": {"90000"}})
		if !strings.Contains(p.body, "Thank you: Échirolles&#39;s use of NextCloud is declared.") || !strings.Contains(p.body, "€90,000 saved a year") ||
			!strings.Contains(p.body, "hosted shared with other local governments") || !strings.Contains(p.body, "1,400 staff or users") {
			t.Errorf("after declaring, in English:\n%s", p.body)
		}
		m := regexp.MustCompile(`/declarations/([0-9A-Z]{26})/modifier`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no declaration to edit:\n%s", p.body)
		}
		// The catalog's entries are French data (summaries, functions).
		data := []string{catalog.Attribution}
		for n := 1; n <= 50; n++ {
			pg, err := r.svc.List(context.Background(), access.Anonymous(), catalog.Filter{Page: n, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range pg.Items {
				data = append(data, it.Summary, it.Function)
			}
			if n >= pg.Pages || pg.Page != n {
				break
			}
		}
		visitor := newEnglish(t)
		for _, c := range []struct {
			b    *browser
			path string
		}{
			{visitor, "/logiciels"}, {visitor, "/logiciels?page=2"}, {visitor, "/logiciels?category=graphic-design"}, {visitor, "/logiciels?q=zzzz"},
			{visitor, "/logiciels/nextcloud"}, {visitor, "/logiciels/gimp"}, {visitor, "/organisations/" + r.echirolles.ID},
			{alix, "/logiciels?region=mine"}, {alix, "/logiciels/nextcloud"}, {alix, "/organisations/" + r.echirolles.ID},
			{alix, "/organisations/" + r.grenoble.ID}, {alix, "/declarations/" + m[1] + "/modifier"}, {alix, "/declarations/" + m[1] + "/retirer"},
		} {
			checkEnglish(t, c.b, r.base+c.path, french, data...)
		}
		p = visitor.get(r.base + "/logiciels")
		if !strings.Contains(p.body, "<strong>€90,000</strong>") || !strings.Contains(p.body, ">Video conferencing</a>") {
			t.Errorf("savings and categories in English:\n%s", p.body)
		}
		// The région is chosen by name; "mine" picks the viewer's.
		p = alix.get(r.base + "/logiciels?region=mine")
		if !strings.Contains(p.body, `<select id="region" name="region">`) || !strings.Contains(p.body, `<option value="84" selected>Auvergne-Rhône-Alpes</option>`) ||
			!strings.Contains(p.body, `href="/logiciels/nextcloud"`) {
			t.Errorf("région filter:\n%s", p.body)
		}
		if p = visitor.get(r.base + "/logiciels?region=11"); strings.Contains(p.body, `href="/logiciels/nextcloud"`) || !strings.Contains(p.body, `<option value="11" selected>`) {
			t.Errorf("NextCloud is used in Île-de-France?\n%s", p.body)
		}
		if p = visitor.get(r.base + "/logiciels?region=11&page=1"); !strings.Contains(p.body, "Clear the filters") {
			t.Error("a région filter can be cleared")
		}
		// Link previews on the public pages.
		for _, path := range []string{"/logiciels", "/logiciels/nextcloud"} {
			p := visitor.get(r.base + path)
			if !strings.Contains(p.body, `<meta property="og:url" content="`+r.base+path+`">`) || !strings.Contains(p.body, `<meta property="og:locale" content="en_GB">`) {
				t.Errorf("%s has no link-preview metadata", path)
			}
		}
	})
}

// The events in English: list, page, programme, registration and its
// confirmation, the attendee's page, the organizers' pages.
func TestEventPagesInEnglish(t *testing.T) {
	french := frenchMessages(t, 100, "event")
	r := newEventRig(t, store.SQLite)
	r.user("orga@alpes.example", true)
	ctx := context.Background()
	start := time.Date(2031, 10, 24, 9, 0, 0, 0, event.Paris())
	v := r.event(40, start)
	if _, err := r.events.AddSession(ctx, access.System(), v.ID, event.SessionInput{Kind: model.SessionWorkshop, Title: "LibreOffice macros",
		StartsAt: start.Add(30 * time.Minute), EndsAt: start.Add(105 * time.Minute), Capacity: 12, Room: "B12", Track: "Desktop",
		Speakers: []event.Speaker{{Name: "Sacha Roux", Affiliation: "Grenoble"}}}); err != nil {
		t.Fatal(err)
	}
	visitor := newEnglish(t)
	for _, path := range []string{"/evenements", "/c/alpes/evenements", v.URL(), v.URL() + "/programme"} {
		checkEnglish(t, visitor, r.base+path, french)
	}
	p := visitor.get(r.base + v.URL())
	for _, want := range []string{"Friday 24 October 2031, 9:00 am to 11:00 am (Paris time)", "9:30 am – 10:45 am · Workshop · B12 · Desktop",
		`<label for="cat-collectivity">Local government</label>`, `<meta property="og:type" content="website">`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("event page: no %q\n%s", want, p.body)
		}
	}
	// A registration with a mistake: the error is in English (its
	// sentence stays French, from the domain) and tied to its field.
	bad := visitor.post(r.base+v.URL()+"/inscription", url.Values{"_csrf": {p.csrf(t)}, "name": {"Kim Lee"}, "email": {"pas une adresse"},
		"category": {"company"}, "consent": {"1"}})
	if bad.status != 422 || !strings.Contains(bad.body, "The registration is not saved:") || !strings.Contains(bad.body, `aria-describedby="email-error"`) ||
		!strings.Contains(bad.body, `value="Kim Lee"`) {
		t.Errorf("bad registration: %d\n%s", bad.status, bad.body)
	}
	ok := visitor.post(r.base+v.URL()+"/inscription", url.Values{"_csrf": {p.csrf(t)}, "name": {"Kim Lee"}, "email": {"kim@lee.example"},
		"category": {"company"}, "consent": {"1"}})
	if ok.status != 200 || !strings.Contains(ok.body, "Registration confirmed") || !strings.Contains(ok.body, "kim@lee.example") {
		t.Fatalf("registration: %d\n%s", ok.status, ok.body)
	}
	checkBody(t, ok.url, ok.body, french)

	orga := newBrowser(t)
	orga.get(r.base + "/lang/en")
	orga.login(r.base, "orga@alpes.example", "un mot de passe long")
	for _, path := range []string{"/c/alpes/evenements/nouveau", v.URL() + "/modifier", v.URL() + "/inscrits", v.URL() + "/accueil", v.URL() + "/accueil?q=Kim",
		v.URL() + "/inscrits?status=cancelled", v.URL() + "/accueil?q=nobody"} {
		checkEnglish(t, orga, r.base+path, french)
	}
	edit := orga.get(r.base + v.URL() + "/modifier")
	// A session with a mistake keeps what was typed, the error by its field.
	bad = orga.post(r.base+v.URL()+"/seances", url.Values{"_csrf": {edit.csrf(t)}, "kind": {"talk"}, "title": {"Keynote"},
		"session_starts_at": {"tomorrow"}, "session_ends_at": {"2031-10-24T11:00"}})
	if bad.status != 422 || !strings.Contains(bad.body, `id="session_starts_at-error"`) || !strings.Contains(bad.body, `name="title" required maxlength="200" value="Keynote"`) {
		t.Errorf("bad session: %d\n%s", bad.status, bad.body)
	}
	added := orga.post(r.base+v.URL()+"/inscrits", url.Values{"_csrf": {edit.csrf(t)}, "name": {"Noa Petit"}, "email": {"noa@petit.example"}, "category": {"state"}})
	if !strings.Contains(added.body, "Noa Petit: registration confirmed.") || !strings.Contains(added.body, "<td>State administration</td>") {
		t.Errorf("attendee added, in English:\n%s", added.body)
	}
	saved := orga.post(r.base+v.URL()+"/modifier", url.Values{"_csrf": {edit.csrf(t)}, "title": {v.Title}, "starts_at": {"2031-10-24T09:00"},
		"ends_at": {"2031-10-24T11:00"}, "capacity": {"40"}})
	if !strings.Contains(saved.body, "Event saved.") {
		t.Errorf("flash in English:\n%s", saved.body)
	}
}

// The federation's administration pages in English.
func TestFederationAdminPagesInEnglish(t *testing.T) {
	french := frenchMessages(t, 40, "federation")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := jobs.Migrate(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		r := newRig(t, db.Engine(), rigOptions{db: db, delivery: delivery.New(delivery.Deps{DB: db})})
		if _, err := collective.New(db).Create(context.Background(), access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional}); err != nil {
			t.Fatal(err)
		}
		r.user("root@hub.example", true)
		b := newBrowser(t)
		b.get(r.base + "/lang/en")
		b.login(r.base, "root@hub.example", "un mot de passe long")
		p := checkEnglish(t, b, r.base+"/admin/federation", french)
		p = b.post(r.base+"/admin/federation/blocks", url.Values{"_csrf": {p.csrf(t)}, "host": {"spam.example"}, "reason": {"spam"}})
		if !strings.Contains(p.body, "The instance is blocked.") || !strings.Contains(p.body, "spam.example") {
			t.Errorf("block, in English:\n%s", p.body)
		}
		for _, path := range []string{"/admin/federation", "/admin/federation/deliveries", "/admin/federation/deliveries?failing=1", "/c/alpes/federation"} {
			checkEnglish(t, b, r.base+path, french)
		}
	})
}
