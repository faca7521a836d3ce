package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
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
