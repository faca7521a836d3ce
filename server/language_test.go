package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"collectif/access"
	"collectif/account"
	"collectif/frontend"
	"collectif/openid/openidtest"
	"collectif/store"
	"collectif/store/storetest"
)

// pageLang is the lang attribute of a page's html element.
func pageLang(p page) string {
	_, rest, ok := strings.Cut(p.body, `<html lang="`)
	if !ok {
		return ""
	}
	l, _, _ := strings.Cut(rest, `"`)
	return l
}

// langCookie is the lang cookie the browser holds for the hub.
func (b *browser) langCookie(base string) string {
	u, _ := url.Parse(base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "lang" {
			return c.Value
		}
	}
	return ""
}

// getIn asks for a page with the browser's Accept-Language.
func (b *browser) getIn(u, acceptLanguage string) page {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept-Language", acceptLanguage)
	return b.do(req)
}

// logout uses the header's button of a page.
func (b *browser) logout(base string) page {
	b.t.Helper()
	p := b.get(base + "/account")
	return b.post(base+"/logout", url.Values{"_csrf": {p.csrf(b.t)}})
}

// A member who chose English gets English on every browser they log in
// from, after logging out and with cookies cleared.
func TestMemberLanguageFollowsThemToEveryBrowser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
		a := r.user("camille@ville.example", false)
		const pw = "un mot de passe long"

		laptop := newBrowser(t)
		if p := laptop.login(r.base, "camille@ville.example", pw); pageLang(p) != "fr" || !strings.Contains(p.body, "<h1>Mon compte</h1>") {
			t.Fatalf("first login: lang=%q\n%s", pageLang(p), p.body)
		}
		// The footer's switch, while logged in.
		p := laptop.get(r.base + "/lang/en?next=/account")
		if !strings.HasSuffix(p.url, "/account") || pageLang(p) != "en" || !strings.Contains(p.body, "<h1>My account</h1>") {
			t.Fatalf("after the switch: %s lang=%q", p.url, pageLang(p))
		}
		if got, _ := r.accounts.ByID(context.Background(), a.ID); got.Lang != "en" {
			t.Fatalf("the account's language is %q after the switch, want en", got.Lang)
		}
		if p := laptop.logout(r.base); pageLang(p) != "en" {
			t.Errorf("after logout the laptop gets lang=%q, want en (its cookie)", pageLang(p))
		}

		// Cookies cleared, or another browser, in French: the login page
		// is French, the pages after login are English.
		other := newBrowser(t)
		if p := other.getIn(r.base+"/login", "fr-FR,fr;q=0.9"); pageLang(p) != "fr" || !strings.Contains(p.body, "Connexion") {
			t.Fatalf("a French browser's login page: lang=%q", pageLang(p))
		}
		p = other.login(r.base, "camille@ville.example", pw)
		if pageLang(p) != "en" || !strings.Contains(p.body, "<h1>My account</h1>") {
			t.Fatalf("after login on another browser: lang=%q\n%s", pageLang(p), p.body)
		}
		if got := other.getIn(r.base+"/c/nowhere", "fr-FR"); pageLang(got) != "en" {
			t.Errorf("the account's choice loses to Accept-Language: lang=%q", pageLang(got))
		}
		if c := other.langCookie(r.base); c != "en" {
			t.Errorf("the login set the lang cookie to %q, want en", c)
		}
		if p := other.logout(r.base); pageLang(p) != "en" {
			t.Errorf("after logout the other browser gets lang=%q, want en", pageLang(p))
		}

		// The account's choice wins over an older cookie of the browser.
		frBrowser := newBrowser(t)
		frBrowser.get(r.base + "/lang/fr")
		if p := frBrowser.login(r.base, "camille@ville.example", pw); pageLang(p) != "en" || frBrowser.langCookie(r.base) != "en" {
			t.Errorf("a browser switched to French, after login: lang=%q, cookie %q; want en", pageLang(p), frBrowser.langCookie(r.base))
		}

		// The export holds the choice; GET /api/v1/me says it.
		exp := frBrowser.get(r.base + "/account/export.json")
		var e struct {
			Profile struct {
				Lang *string `json:"lang"`
			} `json:"profile"`
		}
		if err := json.Unmarshal([]byte(exp.body), &e); err != nil || e.Profile.Lang == nil || *e.Profile.Lang != "en" {
			t.Errorf("the export's profile.lang: %v\n%s", err, exp.body)
		}
		var me struct {
			Lang *string `json:"lang"`
		}
		if p := frBrowser.get(r.base + "/api/v1/me"); json.Unmarshal([]byte(p.body), &me) != nil || me.Lang == nil || *me.Lang != "en" {
			t.Errorf("/api/v1/me: %s", p.body)
		}
		// A program with the member's token gets its error messages in the
		// member's language, whatever its Accept-Language.
		token, _, err := r.accounts.CreateToken(context.Background(), access.Account(a.ID, false), a.ID, "script", "read")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", r.base+"/api/v1/collectives/nowhere", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept-Language", "fr-FR")
		if p := newBrowser(t).do(req); p.status != 404 || !strings.Contains(p.body, `"message":"collective not found"`) {
			t.Errorf("the API's error for the member's token: %d %s", p.status, p.body)
		}
	})
}

// The account page's form changes the language; a value the hub does not
// offer is refused next to the field, and changes nothing.
func TestAccountPageSetsTheLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
		a := r.user("camille@ville.example", false)
		phone := newBrowser(t)
		phone.get(r.base + "/lang/fr")
		phone.login(r.base, "camille@ville.example", "un mot de passe long")
		b := newBrowser(t)
		ap := b.login(r.base, "camille@ville.example", "un mot de passe long")
		for _, want := range []string{`<h2 id="langue">Langue / Language</h2>`, `<form method="post" action="/account/language"`,
			`<label for="lang">Langue des pages</label>`, `<select id="lang" name="lang" aria-describedby="lang-help">`,
			`<option value="" selected>Pas de préférence`, `<option value="en" lang="en">English</option>`} {
			if !strings.Contains(ap.body, want) {
				t.Fatalf("the account page lacks %s:\n%s", want, ap.body)
			}
		}

		p := b.post(r.base+"/account/language", url.Values{"_csrf": {ap.csrf(t)}, "lang": {"en"}})
		if !strings.HasSuffix(p.url, "/account") || pageLang(p) != "en" || !strings.Contains(p.body, "Your language choice is saved.") ||
			!strings.Contains(p.body, `<option value="en" lang="en" selected>English</option>`) {
			t.Fatalf("after choosing English: %s lang=%q\n%s", p.url, pageLang(p), p.body)
		}
		if b.langCookie(r.base) != "en" {
			t.Errorf("the lang cookie is %q, want en at once", b.langCookie(r.base))
		}
		// A session already open elsewhere follows at its next page,
		// whatever its cookie says.
		if p := phone.getIn(r.base+"/account", "fr-FR"); pageLang(p) != "en" {
			t.Errorf("the phone's open session gets lang=%q after the choice, want en", pageLang(p))
		}

		p = b.post(r.base+"/account/language", url.Values{"_csrf": {ap.csrf(t)}, "lang": {"de"}})
		if p.status != 422 {
			t.Fatalf("lang=de: %d, want 422", p.status)
		}
		for _, want := range []string{`<p class="error" id="lang-error" role="alert">unknown language: &#34;de&#34; (choose fr, en, or no preference)</p>`,
			`<select id="lang" name="lang" aria-describedby="lang-help lang-error" aria-invalid="true">`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the refusal lacks %s:\n%s", want, p.body)
			}
		}
		if strings.Contains(p.body, `id="profile-error"`) {
			t.Error("the refusal is shown in the profile form too")
		}
		if got, _ := r.accounts.ByID(context.Background(), a.ID); got.Lang != "en" {
			t.Errorf("a refused value changed the language to %q", got.Lang)
		}

		// Back to French, then no preference: Accept-Language decides again
		// on a browser without a cookie.
		p = b.post(r.base+"/account/language", url.Values{"_csrf": {ap.csrf(t)}, "lang": {"fr"}})
		if pageLang(p) != "fr" || !strings.Contains(p.body, "Votre choix de langue est enregistré.") {
			t.Fatalf("after choosing French: lang=%q\n%s", pageLang(p), p.body)
		}
		b.post(r.base+"/account/language", url.Values{"_csrf": {ap.csrf(t)}, "lang": {""}})
		if got, _ := r.accounts.ByID(context.Background(), a.ID); got.Lang != "" {
			t.Fatalf("no preference stored as %q", got.Lang)
		}
		english := newBrowser(t)
		lp := english.getIn(r.base+"/login", "en-GB,en;q=0.9")
		req, _ := http.NewRequest("POST", r.base+"/login", strings.NewReader(url.Values{"_csrf": {lp.csrf(t)}, "email": {"camille@ville.example"}, "password": {"un mot de passe long"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
		if p := english.do(req); pageLang(p) != "en" || english.langCookie(r.base) != "" {
			t.Errorf("no preference, English browser: lang=%q, cookie %q; want en and no cookie", pageLang(p), english.langCookie(r.base))
		}
		if p := english.get(r.base + "/account"); pageLang(p) != "fr" {
			t.Errorf("no preference, no cookie, no Accept-Language: lang=%q, want fr", pageLang(p))
		}
	})
}

// A visitor's switch is a cookie and nothing else; without it the
// browser's Accept-Language decides, then French.
func TestVisitorLanguageSwitchIsACookie(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
		r.user("camille@ville.example", false)
		b := newBrowser(t)
		if p := b.get(r.base + "/"); pageLang(p) != "fr" {
			t.Fatalf("no header, no cookie: lang=%q", pageLang(p))
		}
		if p := newBrowser(t).getIn(r.base+"/", "en-US,en;q=0.9"); pageLang(p) != "en" {
			t.Fatalf("an English browser: lang=%q", pageLang(p))
		}
		p := b.get(r.base + "/lang/en?next=/login")
		if !strings.HasSuffix(p.url, "/login") || pageLang(p) != "en" || b.langCookie(r.base) != "en" {
			t.Fatalf("visitor's switch: %s lang=%q cookie %q", p.url, pageLang(p), b.langCookie(r.base))
		}
		if p := b.getIn(r.base+"/", "fr-FR"); pageLang(p) != "en" {
			t.Errorf("the cookie loses to Accept-Language: lang=%q", pageLang(p))
		}
		var n int
		if err := r.db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM accounts WHERE lang <> ''").Scan(&n); err != nil || n != 0 {
			t.Errorf("a visitor's switch touched %d accounts (%v)", n, err)
		}
		// A member logging in without a preference keeps the browser's.
		if p := b.login(r.base, "camille@ville.example", "un mot de passe long"); pageLang(p) != "en" {
			t.Errorf("login without a preference: lang=%q, want the cookie's en", pageLang(p))
		}
	})
}

// A link from another site changes the browser's cookie at most, never
// the account.
func TestCrossSiteSwitchLeavesTheAccount(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
	a := r.user("camille@ville.example", false)
	b := newBrowser(t)
	b.login(r.base, "camille@ville.example", "un mot de passe long")
	req, _ := http.NewRequest("GET", r.base+"/lang/en", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	b.do(req)
	if got, _ := r.accounts.ByID(context.Background(), a.ID); got.Lang != "" {
		t.Errorf("a cross-site link set the account's language to %q", got.Lang)
	}
}

// A member's OpenID login brings their language to the browser, as the
// password login does.
func TestOpenIDLoginAppliesTheLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r, _ := oidcRig(t, db)
		first := &browser{t: t, c: openidtest.NewBrowser(t).Client}
		if p := first.get(r.base + "/login/oidc/proconnect"); pageLang(p) != "fr" || !strings.HasPrefix(p.url, r.base+"/account") {
			t.Fatalf("first login: %d %s lang=%q", p.status, p.url, pageLang(p))
		}
		a, err := r.accounts.ByEmail(context.Background(), "camille.martin@ville-echirolles.fr")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.accounts.SetLanguage(context.Background(), access.Account(a.ID, false), a.ID, "en"); err != nil {
			t.Fatal(err)
		}
		b := &browser{t: t, c: openidtest.NewBrowser(t).Client}
		if p := b.getIn(r.base+"/login", "fr-FR"); pageLang(p) != "fr" {
			t.Fatalf("login page: lang=%q", pageLang(p))
		}
		if p := b.get(r.base + "/login/oidc/proconnect"); pageLang(p) != "en" || !strings.Contains(p.body, "<h1>My account</h1>") {
			t.Fatalf("OpenID login of a member who chose English: lang=%q\n%s", pageLang(p), p.body)
		}
		if b.langCookie(r.base) != "en" {
			t.Errorf("the OpenID login set the lang cookie to %q, want en", b.langCookie(r.base))
		}
	})
}

// The languages a member may choose are the pages' languages.
func TestAccountLanguagesArePageLanguages(t *testing.T) {
	if !slices.Equal(account.Languages, frontend.Languages) {
		t.Fatalf("account offers %v, the pages exist in %v", account.Languages, frontend.Languages)
	}
}
