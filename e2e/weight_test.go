package e2e

import (
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"collectif/access"
	"collectif/collective"
	"collectif/event"
	"collectif/model"
)

// The sobriety budget of one page (PRODUCT.md: a typical page under
// 100 KB transferred, no third-party request; CSS and JS limits of the
// end-to-end issue).
const (
	budgetTransfer = 100 * 1024 // bytes on the wire, first visit, all included
	budgetCSS      = 30 * 1024  // bytes of stylesheet bodies, as sent
	budgetJS       = 20 * 1024  // bytes of script bodies, as sent
)

// weight is what the browser itself measured of one page load: the
// navigation and resource entries of its Resource Timing.
type weight struct {
	Transfer  int // navigation + resources, transferSize: the body as sent plus a flat 300 B for headers (Chromium's rule), 0 from the cache
	Document  int // transferSize of the HTML document
	CSS, JS   int // encodedBodySize of stylesheets and scripts, cached or not
	Requests  int // the document and every resource entry
	Elements  int // document.getElementsByTagName('*').length
	Resources []resourceEntry
	// ServerMS is the server's time for the HTML document, as the browser
	// saw it: Navigation Timing's responseStart - requestStart (the
	// request's way there and the first byte's way back included, which
	// is nothing on loopback).
	ServerMS float64

	// What the DevTools network events saw for the page: every request,
	// the favicon included (Resource Timing lists it only sometimes), and
	// the bytes received (encodedDataLength: the real headers included).
	NetRequests, NetBytes int
}

type resourceEntry struct {
	Name      string `json:"name"`
	Initiator string `json:"initiator"`
	Transfer  int    `json:"transfer"`
	Encoded   int    `json:"encoded"`
}

const weightProbe = `(() => {
  const nav = performance.getEntriesByType('navigation')[0] || {transferSize: 0, encodedBodySize: 0, name: location.href};
  return {
    document: {name: nav.name, initiator: 'navigation', transfer: nav.transferSize, encoded: nav.encodedBodySize},
    resources: performance.getEntriesByType('resource').map(r => ({name: r.name, initiator: r.initiatorType, transfer: r.transferSize, encoded: r.encodedBodySize})),
    elements: document.getElementsByTagName('*').length,
    server: nav.responseStart && nav.requestStart ? nav.responseStart - nav.requestStart : -1,
  };
})()`

func (tb *tab) weight() weight {
	tb.t.Helper()
	type probe struct {
		Document  resourceEntry   `json:"document"`
		Resources []resourceEntry `json:"resources"`
		Elements  int             `json:"elements"`
		Server    float64         `json:"server"`
	}
	p := eval[probe](tb, weightProbe)
	w := weight{Document: p.Document.Transfer, Transfer: p.Document.Transfer, Requests: 1 + len(p.Resources), Elements: p.Elements,
		Resources: p.Resources, ServerMS: p.Server}
	for _, r := range p.Resources {
		w.Transfer += r.Transfer
		switch kindOf(r) {
		case "css":
			w.CSS += r.Encoded
		case "js":
			w.JS += r.Encoded
		}
	}
	return w
}

// kindOf classifies a resource by how it was asked for and by its name.
func kindOf(r resourceEntry) string {
	u, err := url.Parse(r.Name)
	ext := ""
	if err == nil {
		ext = strings.ToLower(path.Ext(u.Path))
	}
	switch {
	case r.Initiator == "script" || ext == ".js" || ext == ".mjs":
		return "js"
	case ext == ".css":
		return "css"
	}
	return "other"
}

func (w weight) assertBudget(t *testing.T, where string) {
	t.Helper()
	if n := max(w.Transfer, w.NetBytes); n > budgetTransfer {
		t.Errorf("%s: %d bytes transferred (resource timing %d, network %d), budget %d", where, n, w.Transfer, w.NetBytes, budgetTransfer)
	}
	if w.CSS > budgetCSS {
		t.Errorf("%s: %d bytes of CSS, budget %d", where, w.CSS, budgetCSS)
	}
	if w.JS > budgetJS {
		t.Errorf("%s: %d bytes of JavaScript, budget %d", where, w.JS, budgetJS)
	}
}

// pageFigures is one line of the report.
type pageFigures struct {
	Path   string
	Mode   string
	Label  string // who looks, in which language, when a test says so
	Weight weight
	Axe    axeResult
}

// The columns of the table: bytes and req from Resource Timing (document +
// resources, transferSize), net B and net from the network events, css and
// js as encodedBodySize, elements in the DOM, axe-core violations of impact
// serious or critical ("s/c") and of lesser impact; "-" where axe did not
// run.

// report gathers the figures of the pages a test went through and prints
// them as a table at its end.
type report struct {
	mu    sync.Mutex
	pages []pageFigures
}

func (r *report) add(p pageFigures) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pages = append(r.pages, p)
}

func (r *report) table() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-14s %-52s %8s %4s %8s %4s %5s %3s %8s %7s %-9s %7s\n", "mode", "who", "page", "bytes", "req", "net B", "net", "css", "js",
		"elements", "axe s/c", "axe other", "srv ms")
	for _, p := range r.pages {
		axe := "-"
		other := "-"
		if p.Axe.Ran {
			axe = fmt.Sprint(p.Axe.serious())
			other = fmt.Sprint(len(p.Axe.Violations) - p.Axe.serious())
		}
		fmt.Fprintf(&b, "%-8s %-14s %-52s %8d %4d %8d %4d %5d %3d %8d %7s %-9s %7.1f\n", p.Mode, p.Label, p.Path, p.Weight.Transfer, p.Weight.Requests,
			p.Weight.NetBytes, p.Weight.NetRequests, p.Weight.CSS, p.Weight.JS, p.Weight.Elements, axe, other, p.Weight.ServerMS)
	}
	return b.String()
}

// impacts says the violations axe-core found, by impact: "0 critical,
// 0 serious, 1 moderate, 0 minor"; "not run" when it did not run.
func (a axeResult) impacts() string {
	if !a.Ran {
		return "not run"
	}
	n := map[string]int{}
	for _, v := range a.Violations {
		n[v.Impact]++
	}
	return fmt.Sprintf("%d critical, %d serious, %d moderate, %d minor", n["critical"], n["serious"], n["moderate"], n["minor"])
}

// TestPageWeight loads every main page with the demo data as a first-time
// visitor (empty cache), in French and some in English: home, collectives,
// the catalog (list, a software with its usages, a collective's catalog,
// an organization), events (list, an event, its programme, the
// registration form); then, logged in with an empty cache, the usage
// forms, the organizer's pages and the federation's; then the pages a
// form leads to (the registration's confirmation, the private link). Every
// page is held to the budget (under 100 KB transferred, CSS under 30 KB,
// JavaScript under 20 KB, not one request to another origin) and to
// axe-core (tab.check), and its figures are logged: bytes, requests,
// elements, axe-core violations by impact and the server's time for the
// HTML, the slowest page said at the end.
func TestPageWeight(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	conf, web := r.demoEvents()
	org := r.echirolles().ID
	usage := r.usageOf("nextcloud")
	// An agent of Échirolles who organizes the national collective's
	// events and moderates the federation of "alpes"; an administrator of
	// the hub, with one instance blocked so that its page lists one.
	agent := r.agent("agathe.poids@recette.example", "Agathe Poids")
	r.organizer(agent, "national")
	r.organizer(agent, "alpes")
	admin := r.admin("ali.poids@recette.example", "Ali Poids")
	ctx, cancel := r.ctx()
	if _, err := r.hub.Federation.BlockInstance(ctx, access.Account(admin.ID, true), "spam.example", "Messages indésirables en nombre.", false); err != nil {
		t.Fatal(err)
	}
	// The federation queue of "alpes" with entries: a follow waiting for
	// approval on a public approval group, and an open report.
	if _, err := r.hub.Collectives.CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "achats-e2e", Name: "Achats groupés",
		JoinPolicy: model.JoinApproval, Visibility: model.VisibilityPublic}); err != nil {
		t.Fatal(err)
	}
	remote, now := "https://social.example/users/camille", time.Now().UTC()
	for _, row := range []struct {
		table string
		cols  map[string]any
	}{
		{"remote_actors", map[string]any{"iri": remote, "host": "social.example", "type": "Person", "preferred_username": "camille",
			"name": "Camille Martin", "url": "https://social.example/@camille", "inbox": remote + "/inbox", "fetched_at": now}},
		{"federation_followers", map[string]any{"id": model.NewID(), "local_actor": r.base + "/c/alpes/g/achats-e2e", "remote_actor": remote,
			"remote_host": "social.example", "follow_id": remote + "/follows/1", "inbox": remote + "/inbox", "state": "pending",
			"created_at": now, "updated_at": now}},
		{"federation_reports", map[string]any{"id": model.NewID(), "activity_id": "https://social.example/flags/1", "local_actor": r.base + "/c/alpes",
			"remote_actor": remote, "content": "Publicité répétée dans les réponses.", "objects": "[]", "state": "open", "created_at": now}},
	} {
		cols := row.cols
		if _, err := r.hub.DB.W.NewInsert().Model(&cols).TableExpr(row.table).Exec(ctx); err != nil {
			t.Fatalf("insert into %s: %v", row.table, err)
		}
	}
	// Someone registered for the webinar, for the organizer's lists.
	if _, err := r.hub.Events.Register(ctx, access.Anonymous(), web, event.Registrant{Name: "Sacha Inscrit", Email: "sacha@mairie.example",
		Organization: "Mairie de Vizille", Category: "collectivity", Consent: true}); err != nil {
		t.Fatal(err)
	}
	cancel()

	first := &report{} // first visits, empty cache
	type visit struct {
		lang, who string
		paths     []string
	}
	visitor := []string{"/", "/c/alpes", "/c/national", "/login",
		"/logiciels", "/logiciels/nextcloud", "/c/alpes/logiciels", "/organisations/" + org,
		"/evenements", "/evenements/" + conf, "/evenements/" + conf + "/programme", "/evenements/" + web}
	english := []string{"/", "/c/alpes", "/logiciels", "/logiciels/nextcloud", "/evenements", "/evenements/" + conf, "/evenements/" + conf + "/programme"}
	member := []string{"/logiciels/gimp/declarer", "/declarations/" + usage + "/modifier",
		"/c/national/evenements/nouveau", "/evenements/" + web + "/modifier", "/evenements/" + web + "/inscrits", "/evenements/" + web + "/accueil",
		"/c/alpes/federation"}
	visits := []visit{
		{"fr", "visiteur", visitor},
		{"en", "visitor", english},
		{"fr", "membre", member},
		{"en", "member", []string{"/logiciels/gimp/declarer", "/evenements/" + web + "/inscrits", "/c/alpes/federation"}},
		{"fr", "admin", []string{"/admin/federation", "/admin/federation/deliveries"}},
		{"en", "admin", []string{"/admin/federation"}},
	}
	sessions := map[string][]*network.Cookie{
		"membre": r.session(b, agent), "member": r.session(b, agent),
		"admin": r.session(b, admin),
	}
	for _, v := range visits {
		for _, p := range v.paths {
			tb := b.newTab(t, r.base, true, first, 60*time.Second)
			tb.settle = true
			tb.label = v.lang + " " + v.who
			tb.setLang(v.lang)
			tb.setCookies(sessions[v.who])
			tb.open(p)
			if got := tb.language(); got != v.lang {
				t.Errorf("%s with the %s cookie: lang=%q", p, v.lang, got)
			}
			if v.who != "visiteur" && v.who != "visitor" && tb.count(`header form[action="/logout"]`) != 1 {
				t.Errorf("%s (%s): not logged in", p, tb.label)
			}
			if p == "/c/alpes/federation" {
				// The audit saw the queue with its entries.
				if body := tb.text("main"); !strings.Contains(body, "Camille Martin") || !strings.Contains(body, "Publicité répétée dans les réponses.") {
					t.Errorf("%s (%s): the waiting follow or the report is not shown:\n%s", p, tb.label, body)
				}
			}
		}
	}

	// The pages a form leads to: the registration's confirmation and the
	// private link of the mail, in a tab that has loaded the form.
	after := &report{}
	for _, lang := range []string{"fr", "en"} {
		tb := b.newTab(t, r.base, true, after, 2*time.Minute)
		tb.settle = true
		tb.label = map[string]string{"fr": "fr visiteur", "en": "en visitor"}[lang]
		tb.setLang(lang)
		tb.noAxe = true // audited above
		tb.open("/evenements/" + web)
		tb.noAxe = false
		email := "poids." + lang + "@mairie.example"
		tb.fill("#name", "Dominique Poids")
		tb.fill("#email", email)
		tb.fill("#organization", "Mairie de Vizille")
		tb.do("category", chromedp.Click(chromedp.CSS("#cat-collectivity")), chromedp.Click(chromedp.CSS("#consent")))
		tb.click(`form[action^="/evenements/` + web + `/inscription"] button[type="submit"]`)
		tb.open(r.privateLink(email))
	}

	first.mu.Lock()
	for _, p := range first.pages {
		w := p.Weight
		if w.Requests < 2 || w.CSS == 0 {
			t.Errorf("%s: %d requests, %d bytes of CSS: the stylesheet was not loaded", p.Path, w.Requests, w.CSS)
		}
		if w.Transfer <= w.Document {
			t.Errorf("%s: first visit transferred %d bytes, no more than the document (%d): was the cache really empty?", p.Path, w.Transfer, w.Document)
		}
		var res []string
		for _, e := range w.Resources {
			res = append(res, fmt.Sprintf("%s (%s, %d B)", e.Name, e.Initiator, e.Transfer))
		}
		sort.Strings(res)
		t.Logf("first visit %s (%s): document %d B; resources: %s", p.Path, p.Label, w.Document, strings.Join(res, ", "))
	}
	first.mu.Unlock()
	var slowest pageFigures
	for _, rep := range []*report{first, after} {
		rep.mu.Lock()
		for _, p := range rep.pages {
			t.Logf("page %s (%s): %d B transferred, %d requests, %d DOM elements, axe-core: %s; server time %.1f ms",
				p.Path, p.Label, max(p.Weight.Transfer, p.Weight.NetBytes), p.Weight.Requests, p.Weight.Elements, p.Axe.impacts(), p.Weight.ServerMS)
			if p.Weight.ServerMS > slowest.Weight.ServerMS {
				slowest = p
			}
		}
		rep.mu.Unlock()
	}
	t.Logf("page weight, first visit, desktop:\n%s", first.table())
	t.Logf("pages after a form (stylesheet cached):\n%s", after.table())
	t.Logf("slowest page for the server: %s (%s), %.1f ms", slowest.Path, slowest.Label, slowest.Weight.ServerMS)
}

// session logs p in through the form, in a tab of its own, and answers the
// cookies to give other tabs.
func (r *rig) session(b *browser, p person) []*network.Cookie {
	r.t.Helper()
	tb := b.newTab(r.t, r.base, true, &report{}, time.Minute)
	tb.noAxe = true
	tb.open("/login")
	tb.login(p)
	return tb.cookies()
}
