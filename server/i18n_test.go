package server_test

import (
	"context"
	"encoding/xml"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"collectif/access"
	"collectif/collective"
	"collectif/discussion"
	"collectif/frontend"
	"collectif/model"
	"collectif/resource"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
)

// fullRig is the discussion rig with resources wired too, holding a
// public and a members-only topic and resource.
type fullRig struct {
	*discRig
	res *resource.Service
}

func newFullRig(t *testing.T, db *store.DB) *fullRig {
	t.Helper()
	d := newDiscRig(t, db, 0)
	res := resource.New(resource.Deps{DB: db, Dir: filepath.Join(t.TempDir(), "uploads")})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	fe, err := frontend.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Deps{BaseURL: base, Frontend: fe, Collectives: collective.New(db), Accounts: d.accounts,
		Discussions: d.disc, Resources: res, KV: d.kv})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	d.base = base.String()
	r := &fullRig{discRig: d, res: res}

	ctx := context.Background()
	insider := d.member("rssi@ville.example", "Alex Garnier", "cyber", "poste-linux")
	as := access.Account(insider.ID, false)
	for _, c := range []struct{ group, title string }{{"poste-linux", "Migrer 3 000 postes"}, {"cyber", "Incident en cours"}} {
		if _, err := d.disc.CreateTopic(ctx, as, "alpes", c.group, discussion.NewTopic{Title: c.title, Body: "Texte **gras** & <script>alert(1)</script>"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ group, title string }{{"", "Guide de migration"}, {"cyber", "Plan de continuité confidentiel"}} {
		if _, err := res.Create(ctx, as, resource.NewResource{Collective: "alpes", Group: c.group,
			Fields: resource.Fields{Title: c.title, Summary: "Résumé <b>& détails</b>", Type: string(model.KindGuide)}}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

type feed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

func (r *fullRig) feed(t *testing.T, b *browser, path string) feed {
	t.Helper()
	p := b.get(r.base + path)
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("%s: %d %s\n%s", path, p.status, p.header.Get("Content-Type"), p.body)
	}
	var f feed
	if err := xml.Unmarshal([]byte(p.body), &f); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, p.body)
	}
	rels := map[string]string{}
	for _, l := range f.Links {
		rels[l.Rel] = l.Href
	}
	if f.ID == "" || f.Title == "" || f.Updated == "" || f.Author.Name == "" || rels["self"] != r.base+path || rels["alternate"] == "" {
		t.Errorf("%s: incomplete feed: %+v", path, f)
	}
	for _, e := range f.Entries {
		if e.ID == "" || e.Title == "" || e.Updated == "" || !strings.HasPrefix(e.Link.Href, r.base+"/c/alpes/") || e.Content.Type != "html" {
			t.Errorf("%s: incomplete entry %+v", path, e)
		}
		if strings.Contains(e.Content.Body, "<script") || strings.Contains(e.Content.Body, "<b>") {
			t.Errorf("%s: content not escaped: %s", path, e.Content.Body)
		}
	}
	return f
}

func titles(f feed) string {
	var s []string
	for _, e := range f.Entries {
		s = append(s, e.Title)
	}
	return strings.Join(s, " | ")
}

// Feeds carry only public items, even when a member asks for them.
func TestAtomFeedsCarryOnlyPublicItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newFullRig(t, db)
		member := newBrowser(t)
		member.login(r.base, "rssi@ville.example", "un mot de passe long")
		for _, b := range []*browser{newBrowser(t), member} {
			col := titles(r.feed(t, b, "/c/alpes/feed.atom"))
			if !strings.Contains(col, "Migrer 3 000 postes") || !strings.Contains(col, "Guide de migration") {
				t.Errorf("collective feed: %s", col)
			}
			group := titles(r.feed(t, b, "/c/alpes/g/poste-linux/feed.atom"))
			if group != "Migrer 3 000 postes" {
				t.Errorf("group feed: %s", group)
			}
			res := titles(r.feed(t, b, "/resources.atom"))
			if res != "Guide de migration" {
				t.Errorf("resources feed: %s", res)
			}
			for _, s := range []string{col, group, res} {
				if strings.Contains(s, "Incident") || strings.Contains(s, "confidentiel") {
					t.Errorf("a members-only item is in a feed: %s", s)
				}
			}
			if p := b.get(r.base + "/c/alpes/g/cyber/feed.atom"); p.status != 404 || strings.Contains(p.body, "Incident") {
				t.Errorf("members-only group feed: %d\n%s", p.status, p.body)
			}
		}
		// The pages point to their feeds.
		v := newBrowser(t)
		for path, feedPath := range map[string]string{"/": "/resources.atom", "/c/alpes": "/c/alpes/feed.atom", "/c/alpes/g/poste-linux": "/c/alpes/g/poste-linux/feed.atom"} {
			if p := v.get(r.base + path); !strings.Contains(p.body, `<link rel="alternate" type="application/atom+xml" href="`+feedPath+`"`) {
				t.Errorf("%s does not link its feed %s", path, feedPath)
			}
		}
	})
}

var ogRE = regexp.MustCompile(`<meta (?:property|name)="((?:og|twitter):[a-z_]+)" content="([^"]*)">`)

// Public pages carry link-preview metadata.
func TestPublicPagesHaveOpenGraphMetadata(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newFullRig(t, db)
		p := newBrowser(t).get(r.base + "/c/alpes/g/poste-linux")
		og := map[string]string{}
		for _, m := range ogRE.FindAllStringSubmatch(p.body, -1) {
			og[m[1]] = m[2]
		}
		u, _ := url.Parse(r.base)
		want := map[string]string{"og:url": r.base + "/c/alpes/g/poste-linux", "og:type": "website", "og:site_name": u.Host,
			"og:locale": "fr_FR", "twitter:card": "summary"}
		for k, v := range want {
			if og[k] != v {
				t.Errorf("%s = %q, want %q", k, og[k], v)
			}
		}
		if !strings.HasPrefix(og["og:title"], "Poste de travail sous Linux — Collectif des Alpes") || og["og:description"] == "" {
			t.Errorf("og: %v", og)
		}
		if !strings.Contains(p.body, `<meta name="description" content="Groupe de travail Poste de travail sous Linux">`) {
			t.Error("no description")
		}
	})
}

// frenchOnly are sentences of the French pages that must not be in the
// English ones.
var frenchOnly = []string{"Collectifs", "Recherche", "Se connecter", "Aller au contenu", "Fil d&#39;Ariane", "Fil d'Ariane",
	"Dernières discussions", "Dernières ressources", "Groupes de travail", "membres", "réponse", "Connectez-vous", "Ressources",
	"Mot-clé", "Filtrer", "mise en ligne", "Adresse e-mail", "Mot de passe", "Aucun", "Aucune",
	"Rechercher", "Page introuvable", "Mon compte", "Se déconnecter", "Notifications plus", "Jetons", "Enregistrer",
	"Publier", "Répondre", "Supprimer", "Modifier", "Profil", "Annuler", "collectif", "groupe de travail", "le", "à",
	"Créer", "Résumé", "Texte", "Fichiers", "Télécharger"}

// Every page in English, as an English browser gets it: no French
// sentence leaks, the page says lang="en", and the switch goes back.
func TestPagesInEnglishLeakNoFrench(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newFullRig(t, db)
		ctx := context.Background()
		items, err := r.res.Latest(ctx, access.Anonymous(), r.c.ID, 1)
		if err != nil || len(items) != 1 {
			t.Fatal(items, err)
		}
		topics, err := r.disc.Latest(ctx, access.Anonymous(), r.c.ID, 1)
		if err != nil || len(topics) != 1 {
			t.Fatal(topics, err)
		}
		r.user("admin@hub.example", true)
		b := newBrowser(t)
		b.get(r.base + "/lang/en?next=/")
		b.login(r.base, "rssi@ville.example", "un mot de passe long")
		adminB := newBrowser(t)
		adminB.get(r.base + "/lang/en")
		adminB.login(r.base, "admin@hub.example", "un mot de passe long")
		res, topic := "/c/alpes/r/"+items[0].ID, topics[0].URL()
		pages := []struct {
			who  *browser
			path string
		}{
			{newEnglish(t), "/"}, {newEnglish(t), "/c/alpes"}, {newEnglish(t), "/c/alpes/g/poste-linux"}, {newEnglish(t), topic},
			{newEnglish(t), "/c/alpes/resources"}, {newEnglish(t), res}, {newEnglish(t), "/login"}, {newEnglish(t), "/nowhere"},
			{b, "/"}, {b, "/c/alpes"}, {b, "/c/alpes/g/poste-linux"}, {b, topic}, {b, topic + "/edit"}, {b, topic + "/delete"},
			{b, topic + "/history"}, {b, "/c/alpes/g/poste-linux/new"}, {b, "/c/alpes/resources"}, {b, "/c/alpes/resources/new"},
			{b, res}, {b, res + "/edit"}, {b, res + "/delete"}, {b, "/c/alpes/members"}, {b, "/notifications"},
			{b, "/account"}, {b, "/account/tokens"}, {b, "/account/sessions"}, {b, "/account/data"}, {b, "/c/alpes/g/cyber"},
			{adminB, "/collectives/new"}, {adminB, "/c/alpes/admin"},
		}
		for _, pg := range pages {
			p := pg.who.get(r.base + pg.path)
			if p.status != 200 && pg.path != "/nowhere" {
				t.Errorf("%s: %d", pg.path, p.status)
				continue
			}
			if !strings.Contains(p.body, `<html lang="en">`) || !strings.Contains(p.body, `hreflang="fr"`) {
				t.Errorf("%s is not in English", pg.path)
			}
			text := visibleText(p.body)
			for _, fr := range frenchOnly {
				if regexp.MustCompile(`(^|[^\pL])` + regexp.QuoteMeta(fr) + `($|[^\pL])`).MatchString(text) {
					t.Errorf("%s: French %q in the English page: …%s…", pg.path, fr, around(text, fr))
				}
			}
		}
		// Régions are chosen by name, not typed as INSEE codes.
		for _, u := range []string{"/c/alpes/members?region=84"} {
			p := b.get(r.base + u)
			if !strings.Contains(p.body, `<select id="region" name="region">`) || !strings.Contains(p.body, `<option value="84" selected>Auvergne-Rhône-Alpes</option>`) {
				t.Errorf("%s has no région picker with the région chosen", u)
			}
		}
		if p := adminB.get(r.base + "/collectives/new"); !strings.Contains(p.body, `<option value="11">Île-de-France</option>`) {
			t.Errorf("the new collective form has no région picker:\n%s", p.body)
		}
		// Back to French with the footer's link, without JavaScript.
		p := b.get(r.base + "/lang/fr?next=/c/alpes")
		if !strings.HasSuffix(p.url, "/c/alpes") || !strings.Contains(p.body, `<html lang="fr">`) || !strings.Contains(p.body, "Dernières discussions") {
			t.Errorf("back to French: %s\n%s", p.url, p.body)
		}
		// The choice is remembered over the browser's language.
		req, _ := http.NewRequest("GET", r.base+"/", nil)
		req.Header.Set("Accept-Language", "en")
		if p := b.do(req); !strings.Contains(p.body, `<html lang="fr">`) {
			t.Error("the cookie does not win over Accept-Language")
		}
		// The switch never sends people to another site.
		for _, next := range []string{"https://evil.example/", "//evil.example", "/\\evil.example"} {
			req, _ := http.NewRequest("GET", r.base+"/lang/en?next="+url.QueryEscape(next), nil)
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); loc != "/" {
				t.Errorf("next=%s goes to %q", next, loc)
			}
		}
		if p := newBrowser(t).get(r.base + "/lang/de"); p.status != 404 {
			t.Errorf("/lang/de: %d", p.status)
		}
	})
}

// newEnglish is a browser whose language is English.
func newEnglish(t *testing.T) *browser {
	b := newBrowser(t)
	b.c.Transport = langTransport{}
	return b
}

type langTransport struct{}

func (langTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	return http.DefaultTransport.RoundTrip(req)
}

var (
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
	scriptRE = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>`)
	// Content people wrote, in French, is not the interface's: the test
	// data's own French words are left out.
	dataRE = regexp.MustCompile(`(?i)Texte\s+\*{0,2}gras|Résumé (?:&lt;b&gt;)?(?:&amp;|&) détails|Collectif des Alpes|Poste de travail sous Linux|Cellule cybersécurité|Migrer 3 000 postes|Guide de migration|Texte gras|Résumé & détails|Résumé &amp; détails|Alex Garnier|Camille Martin|alert\(1\)`)
)

// visibleText is what a page shows and says: its text, its attributes
// that are read aloud (aria-label, title, alt, placeholder) and its
// title, with the test data, the brand and the link to the French
// version (in French on purpose) left out.
func visibleText(body string) string {
	var attrs []string
	for _, m := range regexp.MustCompile(`(?:aria-label|title|alt|placeholder|content)="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		attrs = append(attrs, m[1])
	}
	body = strings.NewReplacer(`class="brand" href="/">collectif<`, "", `lang="fr">Version française<`, "").Replace(body)
	text := tagRE.ReplaceAllString(scriptRE.ReplaceAllString(body, " "), " ")
	return dataRE.ReplaceAllString(text+" "+strings.Join(attrs, " "), " ")
}

func around(s, sub string) string {
	i := strings.Index(s, sub)
	lo, hi := max(0, i-60), min(len(s), i+len(sub)+60)
	return strings.Join(strings.Fields(s[lo:hi]), " ")
}
