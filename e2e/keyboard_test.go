package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"collectif/access"
)

// focused describes the element that has the focus: tag, id, href and text.
const focusedProbe = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return 'body';
  const r = e.getBoundingClientRect();
  return [e.tagName.toLowerCase(), e.id, e.getAttribute('href') || '', e.textContent.trim().slice(0, 40),
    (r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth) ? 'visible' : 'hidden'].join('|');
})()`

type focus struct{ tag, id, href, text, shown string }

func (tb *tab) focused() focus {
	tb.t.Helper()
	f := strings.SplitN(eval[string](tb, focusedProbe)+"||||", "|", 5)
	return focus{f[0], f[1], f[2], f[3], strings.TrimRight(f[4], "|")}
}

// waitFocus waits a little for the focus to reach the element of that id
// (a same-page link moves it after the key event returns), and answers
// where it is.
func (tb *tab) waitFocus(id string) focus {
	tb.t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		f := tb.focused()
		if f.id == id || time.Now().After(deadline) {
			return f
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKeyboard: on every main page the first Tab lands on the visible skip
// link, whose Enter moves the focus to the content; the login form works
// with the keyboard alone (Tab to the fields, type, Enter submits).
func TestKeyboard(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			rep := &report{}
			owner := r.owner("claude."+m.name+"@recette.example", "Claude Clavier")
			tb := b.newTab(t, r.base, m.js, rep, 2*time.Minute)
			tb.noAxe = true // TestJourneys audits these pages

			for _, path := range []string{"/", "/c/alpes", "/login"} {
				tb.open(path)
				tb.keys(kb.Tab, false)
				f := tb.focused()
				if f.tag != "a" || f.href != "#contenu" {
					t.Errorf("[%s] %s: the first focusable element is %+v, want the skip link to #contenu", tb.mode(), path, f)
					continue
				}
				if f.shown != "visible" {
					t.Errorf("[%s] %s: the skip link has the focus but is not shown on screen", tb.mode(), path)
				}
				tb.keys(kb.Enter, false)
				if f := tb.waitFocus("contenu"); f.id != "contenu" {
					t.Errorf("[%s] %s: after Enter on the skip link the focus is on %+v, want #contenu", tb.mode(), path, f)
				}
			}

			// The login page's focus is now on #contenu: the next Tab
			// reaches the e-mail field.
			tb.keys(kb.Tab, false)
			if f := tb.focused(); f.id != "email" {
				t.Fatalf("[%s] /login: Tab from the content goes to %+v, want #email", tb.mode(), f)
			}
			tb.keys(owner.Email, false)
			tb.keys(kb.Tab, false)
			if f := tb.focused(); f.id != "password" {
				t.Fatalf("[%s] /login: Tab from #email goes to %+v, want #password", tb.mode(), f)
			}
			tb.keys(testPassword, false)
			tb.keys(kb.Enter, true)
			tb.wantPath("/account")
			tb.wantText("main", owner.Email)
		})
	}
}

// ringProbe says how the focused element's focus is drawn: its computed
// outline style and width, or "body" when nothing has the focus.
const ringProbe = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return 'body';
  const s = getComputedStyle(e);
  return s.outlineStyle + ' ' + s.outlineWidth;
})()`

// wantRing fails the test unless the focused element shows a focus ring:
// an outline of some style and a width of at least 2 px (WCAG 2.4.7).
func (tb *tab) wantRing(where string) {
	tb.t.Helper()
	ring := eval[string](tb, ringProbe)
	var style string
	var width float64
	fmt.Sscanf(strings.Replace(ring, "px", "", 1), "%s %g", &style, &width)
	if style == "none" || style == "body" || width < 2 {
		tb.t.Errorf("[%s] %s on %s: the focused element %+v shows no focus ring (outline %q)", tb.mode(), where, tb.path(), tb.focused(), ring)
	}
}

// focusIs reports whether the focused element matches the CSS selector.
func (tb *tab) focusIs(sel string) bool {
	tb.t.Helper()
	return eval[bool](tb, fmt.Sprintf("!!document.activeElement && document.activeElement.matches(%q)", sel))
}

// tabTo presses Tab until the element sel finds has the focus, as a
// keyboard user goes through a page; every element reached on the way must
// show its focus ring. It fails the test after limit presses.
func (tb *tab) tabTo(sel string, limit int) {
	tb.t.Helper()
	for i := 0; i < limit; i++ {
		tb.keys(kb.Tab, false)
		tb.wantRing(fmt.Sprintf("Tab %d towards %s", i+1, sel))
		if tb.focusIs(sel) {
			return
		}
	}
	tb.t.Fatalf("[%s] %s: %d presses of Tab do not reach %s (focus on %+v)", tb.mode(), tb.path(), limit, sel, tb.focused())
}

// tabOnce presses Tab once: the focus must then be on sel, with its ring.
func (tb *tab) tabOnce(sel string) {
	tb.t.Helper()
	tb.keys(kb.Tab, false)
	if !tb.focusIs(sel) {
		tb.t.Fatalf("[%s] %s: Tab goes to %+v, want %s", tb.mode(), tb.path(), tb.focused(), sel)
	}
	tb.wantRing("Tab to " + sel)
}

// keysWant is keys for keys that submit a form whose answer has the
// status want (a refused form answers 422).
func (tb *tab) keysWant(keys string, want int64) {
	tb.t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.KeyEvent(keys))
	if err != nil {
		tb.t.Fatalf("[%s] keys %q: %v (at %s)", tb.mode(), keys, err, tb.location())
	}
	tb.loaded(resp, fmt.Sprintf("keys %q", keys), want)
}

// TestKeyboardForms goes through two forms with the keyboard alone (Tab,
// Enter, Space, arrows and typed text; no click, no script filling a
// field) in a browser with JavaScript turned off:
//
//   - a visitor registers for the demo's webinar; a mistyped e-mail
//     address is refused with an error summary the page scrolls to, a
//     message tied to the field, and nothing typed lost; once corrected,
//     the confirmation page says so and the private link of the mail
//     shows the registration, as stored;
//   - a member declares, from a software's page, that their organization
//     uses it; the software's page then lists the organization.
//
// Every element the focus reaches shows its focus ring.
func TestKeyboardForms(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	_, web := r.demoEvents()

	t.Run("inscription", func(t *testing.T) {
		rep := &report{}
		defer func() { t.Logf("pages:\n%s", rep.table()) }()
		tb := b.newTab(t, r.base, false, rep, 3*time.Minute)
		const name, org = "Dominique Clavier", "Mairie de Vizille"
		tb.open("/evenements/" + web)
		title := tb.text("h1")
		tb.tabTo("#name", 60)
		tb.keys(name, false)
		tb.tabOnce("#email")
		tb.keys("dominique@mairie", false) // the domain lacks its ending
		tb.tabOnce("#organization")
		tb.keys(org, false)
		// The first radio button of the group, none being checked yet:
		// Space checks it.
		tb.tabOnce(`input[name="category"]`)
		tb.keys(" ", false)
		category := eval[string](tb, "document.activeElement.value")
		tb.tabOnce("#consent")
		tb.keys(" ", false)
		tb.tabOnce(`form[action^="/evenements/` + web + `/inscription"] button[type="submit"]`)
		tb.keysWant(kb.Enter, http.StatusUnprocessableEntity)

		// The error: summed up where the page scrolled to, tied to its field.
		if !strings.HasPrefix(eval[string](tb, "document.title"), "Erreur") {
			t.Errorf("the title of the refused form does not start with the error: %q", eval[string](tb, "document.title"))
		}
		if tb.count(`.error-summary[role="alert"] a[href="#email"]`) != 1 {
			t.Errorf("no error summary linking to the e-mail field")
		}
		if !eval[bool](tb, `(() => { const r = document.querySelector('.error-summary').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`) {
			t.Errorf("the error summary is not on screen after the refused form (at %s)", tb.location())
		}
		if tb.count(`#email[aria-invalid="true"][aria-describedby~="email-error"]`) != 1 || tb.text("#email-error") == "" {
			t.Errorf("the e-mail field is not marked invalid and tied to its message")
		}
		for sel, want := range map[string]string{"#name": name, "#email": "dominique@mairie", "#organization": org} {
			if got := tb.value(sel); got != want {
				t.Errorf("after the refused form %s holds %q, want %q", sel, got, want)
			}
		}
		if tb.count(`input[name="category"][value="`+category+`"]:checked`) != 1 || tb.count("#consent:checked") != 1 {
			t.Errorf("after the refused form the category or the consent is no longer checked")
		}

		// From the summary to the field, and the correction.
		tb.tabOnce(`.error-summary a[href="#email"]`)
		tb.enter()
		if f := tb.waitFocus("email"); f.id != "email" {
			t.Fatalf("Enter on the summary's link puts the focus on %+v, want #email (at %s; %s)", f, tb.location(),
				eval[string](tb, `document.querySelector('.error-summary').outerHTML + ' / ' + document.getElementById('email').outerHTML`))
		}
		tb.wantRing("the e-mail field reached from the summary")
		tb.keys(kb.End, false)
		tb.keys(".example", false)
		tb.tabTo(`form[action^="/evenements/`+web+`/inscription"] button[type="submit"]`, 10)
		tb.keys(kb.Enter, true)
		tb.wantText("h1", "Inscription confirmée")
		tb.wantText("main", title, "dominique@mairie.example")

		// The mail's private link shows the registration as stored.
		tb.open(r.privateLink("dominique@mairie.example"))
		tb.wantText("main", title, name, "dominique@mairie.example", org, "confirmée")
	})

	t.Run("declaration", func(t *testing.T) {
		rep := &report{}
		defer func() { t.Logf("pages:\n%s", rep.table()) }()
		agent := r.agent("camille.clavier@recette.example", "Camille Clavier")
		tb := b.newTab(t, r.base, false, rep, 3*time.Minute)
		tb.open("/login")
		tb.tabTo("#email", 30)
		tb.keys(agent.Email, false)
		tb.tabOnce("#password")
		tb.keys(testPassword, false)
		tb.keys(kb.Enter, true)
		tb.wantPath("/account")

		tb.open("/logiciels/gimp")
		tb.tabTo(`a[href="/logiciels/gimp/declarer"]`, 40)
		tb.keys(kb.Enter, true)
		tb.wantPath("/logiciels/gimp/declarer")
		// The hosting: Tab reaches the checked radio button, an arrow
		// moves to the next one and checks it.
		tb.tabTo(`input[name="hosting"]`, 30)
		tb.keys(kb.ArrowDown, false)
		hosting := eval[string](tb, "document.activeElement.value")
		tb.wantRing("the hosting's radio button")
		tb.tabOnce("#since_year")
		tb.keys("2021", false)
		tb.tabOnce("#scope")
		tb.keys("120", false)
		tb.tabTo(`form[action="/logiciels/gimp/declarer"] button[type="submit"]`, 10)
		tb.keys(kb.Enter, true)
		tb.wantPath("/logiciels/gimp")
		city := r.echirolles().Name
		tb.wantText(".flash", city)
		tb.wantText(".cards", city, "2021")

		// Stored as typed.
		ctx, cancel := r.ctx()
		defer cancel()
		v, err := r.hub.Catalog.Get(ctx, access.Account(agent.ID, false), "gimp")
		if err != nil {
			t.Fatal(err)
		}
		if v.Mine == nil || v.Mine.SinceYear != 2021 || v.Mine.Scope != 120 || string(v.Mine.Hosting) != hosting {
			t.Errorf("the declaration stored: %+v, want since 2021, 120 agents, hosting %s", v.Mine, hosting)
		}
	})
}

// enter presses Enter as a keyboard does: a key-down that the focused
// element may handle, then the character, which the browser drops when the
// key-down was handled (a link followed), and the key-up. (chromedp's
// KeyEvent sends the character whatever happened to the key-down: on a
// link to a form's field, the character then reaches the field and submits
// its form, which no keyboard does.)
func (tb *tab) enter() {
	tb.t.Helper()
	down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
	char := down
	char.Type, char.Text, char.UnmodifiedText = input.DispatchKeyEventTypeChar, "\r", "\r"
	up := down
	up.Type = input.DispatchKeyEventTypeKeyUp
	for _, k := range []input.DispatchKeyEventParams{down, char, up} {
		if _, err := chromedp.Call(tb.ctx, input.DispatchKeyEvent, k); err != nil {
			tb.t.Fatalf("[%s] Enter: %v", tb.mode(), err)
		}
	}
}
