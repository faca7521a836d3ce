package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// language is the lang attribute of the page shown.
func (tb *tab) language() string {
	return eval[string](tb, "document.documentElement.lang")
}

// setLang gives the tab the cookie of the language switch before any page
// is loaded, as a returning English-speaking visitor has it, so that the
// first visit's weight is measured with an empty cache.
func (tb *tab) setLang(lang string) {
	tb.t.Helper()
	_, err := chromedp.Call(tb.ctx, network.SetCookie, network.SetCookieParams{Name: "lang", Value: lang, URL: tb.base, Path: "/"})
	if err != nil {
		tb.t.Fatalf("[%s] lang cookie: %v", tb.mode(), err)
	}
}

// TestLanguageSwitch: with the browser in French, a visitor switches to
// English from the footer and back, with JavaScript and without; the
// choice is remembered from page to page, and the English pages pass
// axe-core (tab.check runs it on each).
func TestLanguageSwitch(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			rep := &report{}
			defer func() { t.Logf("pages:\n%s", rep.table()) }()
			tb := b.newTab(t, r.base, m.js, rep, 2*time.Minute)

			tb.open("/c/alpes")
			if got := tb.language(); got != "fr" {
				t.Fatalf("[%s] a French browser gets lang=%q", tb.mode(), got)
			}
			tb.wantText("main", "Groupes de travail")

			tb.click(`footer a[hreflang="en"]`)
			tb.wantPath("/c/alpes")
			if got := tb.language(); got != "en" {
				t.Fatalf("[%s] after the switch, lang=%q", tb.mode(), got)
			}
			tb.wantText("main", "Working groups", "Log in")
			tb.wantText("nav.crumbs", "Collectives")

			// Remembered: the next pages are in English too.
			tb.click(`main a[href="/c/alpes/g/poste-linux"]`)
			tb.wantText("main", "Discussions")
			if got := tb.language(); got != "en" {
				t.Errorf("[%s] the choice is not remembered: lang=%q on %s", tb.mode(), got, tb.path())
			}
			tb.click(`header a[href="/"]`)
			tb.wantText("h1", "Collectives")
			tb.click(`header a[href="/login"]`)
			tb.wantText("h1", "Log in")

			// And back to French.
			tb.click(`footer a[hreflang="fr"]`)
			tb.wantPath("/login")
			if got := tb.language(); got != "fr" {
				t.Errorf("[%s] back to French: lang=%q", tb.mode(), got)
			}
			tb.wantText("h1", "Connexion")
		})
	}
}

// choose picks an option of a select by its value, as a person would
// with the mouse.
func (tb *tab) choose(sel, value string) {
	tb.t.Helper()
	if n := tb.count(sel); n != 1 {
		tb.t.Fatalf("[%s] choose %s: %d such fields on %s, want 1", tb.mode(), sel, n, tb.path())
	}
	tb.do("choose "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// TestLanguageSwitchFollowsTheMember: a member switches to English from
// the footer, logs out; on a browser with no cookie at all (cookies
// cleared, or another computer) the login page is French, the pages after
// login are English; the account page's choice takes them back to French.
func TestLanguageSwitchFollowsTheMember(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			rep := &report{}
			defer func() { t.Logf("pages:\n%s", rep.table()) }()
			p := r.localAccount("lea."+m.name+"@recette.example", "Léa Langue")
			tb := b.newTab(t, r.base, m.js, rep, 2*time.Minute)

			tb.open("/login")
			tb.login(p)
			tb.wantPath("/account")
			tb.wantText("h1", "Mon compte")
			tb.click(`footer a[hreflang="en"]`)
			tb.wantPath("/account")
			tb.wantText("h1", "My account")
			tb.click(`form[action="/logout"] button[type="submit"]`)
			if got := tb.language(); got != "en" {
				t.Errorf("[%s] after logout, lang=%q, want en", tb.mode(), got)
			}

			// Another browser context: no cookie of the first one.
			fresh := b.newTab(t, r.base, m.js, rep, 2*time.Minute)
			fresh.open("/login")
			if got := fresh.language(); got != "fr" {
				t.Fatalf("[%s] a browser without cookies gets the login page in lang=%q", fresh.mode(), got)
			}
			fresh.login(p)
			fresh.wantPath("/account")
			if got := fresh.language(); got != "en" {
				t.Fatalf("[%s] the member's English is not followed after login: lang=%q", fresh.mode(), got)
			}
			fresh.wantText("h1", "My account")
			if got := fresh.value("#lang"); got != "en" {
				t.Errorf("[%s] the account page's language field shows %q, want en", fresh.mode(), got)
			}

			// The account page's form.
			fresh.choose("#lang", "fr")
			fresh.click(`form[action="/account/language"] button[type="submit"]`)
			fresh.wantPath("/account")
			fresh.wantText("h1", "Mon compte")
			fresh.wantText("main", "Votre choix de langue est enregistré.")
			if got := fresh.language(); got != "fr" {
				t.Errorf("[%s] after choosing French on the account page: lang=%q", fresh.mode(), got)
			}
		})
	}
}
