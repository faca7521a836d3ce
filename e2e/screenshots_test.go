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
	_, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	if err != nil {
		tb.t.Fatalf("[%s] prefers-color-scheme %s: %v", tb.mode(), scheme, err)
	}
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
	visitor := []string{"/", "/c/alpes", "/c/alpes/g/poste-linux", "/c/alpes/resources", "/login"}
	member := []string{"/account", "/account/tokens", "/c/alpes/members", "/c/alpes/admin"}
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
