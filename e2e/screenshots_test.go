package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// artifactsDir is where the screenshots go: $COLLECTIF_ARTIFACTS/screenshots
// when the variable is set (CI keeps it), else a temporary directory.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := strings.TrimSpace(os.Getenv("COLLECTIF_ARTIFACTS")); a != "" {
		dir = filepath.Join(a, "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("COLLECTIF_ARTIFACTS: %v", err)
		}
	}
	return dir
}

// colorScheme makes the page see prefers-color-scheme: scheme.
func (tb *tab) colorScheme(scheme string) {
	tb.t.Helper()
	tb.media(map[string]string{"prefers-color-scheme": scheme})
}

// media makes the page see the user preferences of features (name →
// value), and only those.
func (tb *tab) media(features map[string]string) {
	tb.t.Helper()
	var fs []*emulation.MediaFeature
	for n, v := range features {
		fs = append(fs, &emulation.MediaFeature{Name: n, Value: v})
	}
	if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: fs}); err != nil {
		tb.t.Fatalf("[%s] emulate %v: %v", tb.mode(), features, err)
	}
}

// preferencesProbe says what the page makes of the user's preferences:
// whether the media queries match, the page's background colour, the
// animations running, and whether a rule of the stylesheet for reduced
// motion applies.
const preferencesProbe = `(() => {
  let motionRule = false;
  for (const sheet of document.styleSheets) {
    for (const rule of sheet.cssRules) {
      if (rule instanceof CSSMediaRule && rule.conditionText.includes('prefers-reduced-motion') && matchMedia(rule.conditionText).matches) motionRule = true;
    }
  }
  return {
    dark: matchMedia('(prefers-color-scheme: dark)').matches,
    reduce: matchMedia('(prefers-reduced-motion: reduce)').matches,
    background: getComputedStyle(document.documentElement).backgroundColor,
    animations: document.getAnimations().length,
    motionRule: motionRule,
    scrollBehavior: getComputedStyle(document.documentElement).scrollBehavior,
  };
})()`

type preferences struct {
	Dark           bool   `json:"dark"`
	Reduce         bool   `json:"reduce"`
	Background     string `json:"background"`
	Animations     int    `json:"animations"`
	MotionRule     bool   `json:"motionRule"`
	ScrollBehavior string `json:"scrollBehavior"`
}

// TestPreferences opens the catalog, a software's page and an event's
// programme with the dark colour scheme and reduced motion asked for, as
// the user's system would: the stylesheet turns dark (and axe-core, run by
// tab.check, finds its contrasts sufficient), its rule for reduced motion
// applies and nothing moves; in the light scheme the same pages are light.
func TestPreferences(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	conf, _ := r.demoEvents()
	pages := []string{"/logiciels", "/logiciels/nextcloud", "/evenements/" + conf + "/programme"}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			rep := &report{}
			defer func() { t.Logf("pages, dark scheme and reduced motion:\n%s", rep.table()) }()
			tb := b.newTab(t, r.base, m.js, rep, 2*time.Minute)
			tb.media(map[string]string{"prefers-color-scheme": "dark", "prefers-reduced-motion": "reduce"})
			for _, p := range pages {
				tb.open(p)
				got := probePreferences(tb)
				if !got.Dark || !got.Reduce {
					t.Fatalf("[%s] %s: the emulated preferences do not reach the page: %+v", tb.mode(), p, got)
				}
				if got.Background != "rgb(22, 24, 28)" {
					t.Errorf("[%s] %s in the dark scheme: background %s, want the dark one", tb.mode(), p, got.Background)
				}
				if !got.MotionRule || got.Animations != 0 || got.ScrollBehavior != "auto" {
					t.Errorf("[%s] %s with reduced motion: rule applied %v, %d animations, scroll-behavior %s", tb.mode(), p, got.MotionRule, got.Animations, got.ScrollBehavior)
				}
			}
			tb.noAxe = true // the light pages are audited by the other tests
			tb.media(map[string]string{"prefers-color-scheme": "light", "prefers-reduced-motion": "no-preference"})
			tb.open(pages[0])
			if got := probePreferences(tb); got.Dark || got.Reduce || got.Background != "rgb(255, 255, 255)" || got.MotionRule {
				t.Errorf("[%s] %s, light and no preference: %+v", tb.mode(), pages[0], got)
			}
		})
	}
}

// probePreferences runs preferencesProbe, a probe of the test (it runs
// with the page's scripts turned off too).
func probePreferences(tb *tab) preferences {
	tb.t.Helper()
	return eval[preferences](tb, preferencesProbe)
}

// fileName turns a page path into a file name: / → accueil, /c/alpes →
// c-alpes.
func fileName(path string) string {
	p := strings.Trim(path, "/")
	if p == "" {
		return "accueil"
	}
	return strings.NewReplacer("/", "-", "?", "-", "=", "-", "&", "-").Replace(p)
}

// TestScreenshots saves full-page PNGs of the main pages at a desktop and a
// phone width, and in the dark scheme, for people to look at; it checks that
// no page scrolls sideways on the phone (WCAG 1.4.10, reflow), and tab.check
// runs axe-core on each page as shown (contrasts of the dark scheme
// included).
func TestScreenshots(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	dir := artifactsDir(t)
	// The pages of working groups and resources are shot when they answer
	// 200 (they are being built); the others must.
	optional := map[string]bool{"/c/alpes/g/poste-linux": true, "/c/alpes/resources": true}
	conf, web := r.demoEvents()
	visitor := []string{"/", "/c/alpes", "/c/alpes/g/poste-linux", "/c/alpes/resources",
		"/logiciels", "/logiciels/nextcloud", "/evenements", "/evenements/" + conf, "/evenements/" + conf + "/programme", "/evenements/" + web,
		"/login"}
	member := []string{"/account", "/account/tokens", "/c/alpes/members", "/c/alpes/admin",
		"/logiciels/gimp/declarer", "/evenements/" + web + "/modifier", "/c/alpes/federation"}
	for _, v := range []struct {
		name          string
		width, height int64
		phone, dark   bool
	}{
		{"bureau", desktopWidth, desktopHeight, false, false},
		{"telephone", phoneWidth, phoneHeight, true, false},
		// The stylesheet has a dark scheme: axe-core checks its contrasts too.
		{"bureau-sombre", desktopWidth, desktopHeight, false, true},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			rep := &report{}
			defer func() { t.Logf("pages, %s (%d px):\n%s", v.name, v.width, rep.table()) }()
			owner := r.owner("sam."+v.name+"@recette.example", "Sam Capture")
			r.employ(owner)                // declares Échirolles' software
			r.organizer(owner, "national") // organizes the national collective's events
			// A pending request, so that /c/alpes/admin shows one.
			r.candidate("alex."+v.name+"@recette.example", "Alex Demande", "alpes", "Bonjour, nous voudrions rejoindre le collectif.")
			tb := b.newTab(t, r.base, true, rep, 2*time.Minute)
			tb.viewport(v.width, v.height, v.phone)
			// The phone shows the same documents as the desktop, audited
			// there; what the phone adds is checked below (reflow).
			tb.noAxe = v.phone
			if v.dark {
				tb.colorScheme("dark")
			}
			shoot := func(path string) {
				t.Helper()
				switch {
				case tb.path() == path:
				case optional[path]:
					if st := tb.openAny(path); st != 200 {
						t.Logf("%s answers %d: no screenshot", path, st)
						return
					}
				default:
					tb.open(path)
				}
				if v.phone {
					if w := eval[int](tb, "document.documentElement.scrollWidth"); w > int(v.width) {
						t.Errorf("%s at %d px: the page is %d px wide and scrolls sideways", path, v.width, w)
					}
				}
				f := filepath.Join(dir, v.name+"-"+fileName(path)+".png")
				if err := os.WriteFile(f, tb.screenshot(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range visitor {
				shoot(p)
			}
			tb.login(owner) // from /login, the last visitor page
			for _, p := range member {
				shoot(p)
			}
		})
	}
	t.Logf("screenshots in %s", dir)
}
