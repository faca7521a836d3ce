package e2e

import (
	"net/http"
	"testing"
	"time"
)

// use makes the tab report to t (a subtest) until the returned func runs.
func (tb *tab) use(t *testing.T) func() {
	prev := tb.t
	tb.t = t
	return func() { tb.t = prev }
}

// openOrSkip opens path in a subtest. A 404 (no route yet) or a 503 (the
// route is there but hub.Open does not wire its service yet) means the page
// is not ready on this hub: the subtest skips, saying so. Any other status
// but 200 fails it.
func (tb *tab) openOrSkip(t *testing.T, path string) {
	t.Helper()
	switch st := tb.openAny(path); st {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusServiceUnavailable:
		t.Skipf("%s answers %d (%s): not ready on this hub yet, case skipped", path, st, tb.text("main"))
	default:
		t.Fatalf("[%s] %s answers %d", tb.mode(), path, st)
	}
}

// TestGroupAndResourcePages covers the pages of working groups
// (/c/{slug}/g/{group}) and resources (/c/{slug}/resources), which other
// engineers are building: each case whose page answers 404 skips with a
// message, each that answers 200 gets every check of tab.check, and where a
// form to join a group, open a topic or share a resource is there, it is
// used as a person would.
func TestGroupAndResourcePages(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			rep := &report{}
			defer func() { t.Logf("pages:\n%s", rep.table()) }()
			owner := r.owner("lou."+m.name+"@recette.example", "Lou Groupes")
			tb := b.newTab(t, r.base, m.js, rep, 3*time.Minute)
			step := func(name string, f func(t *testing.T)) {
				t.Run(name, func(t *testing.T) {
					defer tb.use(t)()
					f(t)
				})
			}

			step("erreur 404", func(t *testing.T) {
				tb.openWant("/c/alpes/g/groupe-qui-n-existe-pas", http.StatusNotFound)
				tb.wantText("h1") // an error page has a heading
			})
			step("visiteur groupe public", func(t *testing.T) {
				tb.openOrSkip(t, "/c/alpes/g/poste-linux")
				tb.wantText("h1", "Migration du poste de travail sous Linux")
			})
			step("visiteur groupe national", func(t *testing.T) {
				tb.openOrSkip(t, "/c/national/g/commande-publique")
				tb.wantText("h1", "Commande publique et logiciels libres")
			})
			step("visiteur ressources", func(t *testing.T) {
				tb.openOrSkip(t, "/c/alpes/resources")
				tb.wantText("h1", "Ressources")
			})

			step("connexion", func(t *testing.T) {
				tb.open("/login")
				tb.login(owner)
				tb.wantPath("/account")
			})
			step("membre rejoint un groupe", func(t *testing.T) {
				tb.openOrSkip(t, "/c/alpes/g/poste-linux")
				join := `main form[action="/c/alpes/g/poste-linux/join"] button[type="submit"]`
				if tb.count(join) == 0 {
					t.Skip("the group page offers no join form yet")
				}
				tb.click(join)
				tb.wantPath("/c/alpes/g/poste-linux")
				tb.wantText(".flash", "membre du groupe")
			})
			step("membre ouvre un sujet", func(t *testing.T) {
				tb.openOrSkip(t, "/c/alpes/g/poste-linux/new")
				if tb.count("#title") != 1 || tb.count("#body") != 1 {
					t.Skip("the new topic form has no #title and #body yet")
				}
				title := "Images de déploiement Debian (" + m.name + ")"
				tb.fill("#title", title)
				tb.fill("#body", "Quelle image utilisez-vous pour les postes des écoles ?\n\n- Debian 12\n- Linux Mint")
				tb.click(`form[action="/c/alpes/g/poste-linux/new"] button[type="submit"]`)
				tb.wantText("h1", title)
			})
			step("membre ressources", func(t *testing.T) {
				tb.openOrSkip(t, "/c/alpes/resources")
				tb.wantText("h1", "Ressources")
			})
			step("membre partage une ressource", func(t *testing.T) {
				tb.openOrSkip(t, "/c/alpes/resources/new")
				if tb.count("#title") != 1 || tb.count("#type") != 1 {
					t.Skip("the resource form has no #title and #type yet")
				}
				title := "Guide de migration vers SOGo (" + m.name + ")"
				tb.fill("#title", title)
				// Choose the first type offered, as a person would in the list.
				kind := eval[string](tb, `(() => { const o = [...document.querySelectorAll('#type option')].find(o => o.value); if (!o) return ''; document.querySelector('#type').value = o.value; return o.value; })()`)
				if kind == "" {
					t.Fatal("the resource form offers no type")
				}
				if tb.count("#summary") == 1 {
					tb.fill("#summary", "Notre retour d'expérience sur la migration de la messagerie.")
				}
				tb.click(`form.resource-form button[type="submit"], main form[method="post"][action^="/c/alpes/resources"] button[type="submit"]`)
				tb.wantText("h1", title)
				t.Logf("resource shared at %s (type %s)", tb.path(), kind)
			})
		})
	}
}
