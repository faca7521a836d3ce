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
  };
})()`

func (tb *tab) weight() weight {
	tb.t.Helper()
	type probe struct {
		Document  resourceEntry   `json:"document"`
		Resources []resourceEntry `json:"resources"`
		Elements  int             `json:"elements"`
	}
	p := eval[probe](tb, weightProbe)
	w := weight{Document: p.Document.Transfer, Transfer: p.Document.Transfer, Requests: 1 + len(p.Resources), Elements: p.Elements, Resources: p.Resources}
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
	fmt.Fprintf(&b, "%-8s %-52s %8s %4s %8s %4s %5s %3s %8s %7s %s\n", "mode", "page", "bytes", "req", "net B", "net", "css", "js", "elements", "axe s/c", "axe other")
	for _, p := range r.pages {
		axe := "-"
		other := "-"
		if p.Axe.Ran {
			axe = fmt.Sprint(p.Axe.serious())
			other = fmt.Sprint(len(p.Axe.Violations) - p.Axe.serious())
		}
		fmt.Fprintf(&b, "%-8s %-52s %8d %4d %8d %4d %5d %3d %8d %7s %s\n", p.Mode, p.Path, p.Weight.Transfer, p.Weight.Requests,
			p.Weight.NetBytes, p.Weight.NetRequests, p.Weight.CSS, p.Weight.JS, p.Weight.Elements, axe, other)
	}
	return b.String()
}

// TestPageWeight loads the home page and a collective's page with the demo
// data as a first-time visitor (empty cache), in French and in English, and holds them to the budget:
// under 100 KB transferred, CSS under 30 KB, JavaScript under 20 KB, and not
// one request to another origin (checked for every page by tab.check).
func TestPageWeight(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	rep := &report{}
	for _, lang := range []string{"fr", "en"} {
		for _, p := range []string{"/", "/c/alpes", "/c/national", "/login"} {
			tb := b.newTab(t, r.base, true, rep, 60*time.Second)
			tb.settle = true
			tb.setLang(lang)
			tb.open(p)
			if got := tb.language(); got != lang {
				t.Errorf("%s with the %s cookie: lang=%q", p, lang, got)
			}
		}
	}
	rep.mu.Lock()
	for _, p := range rep.pages {
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
		t.Logf("first visit %s: document %d B; resources: %s", p.Path, w.Document, strings.Join(res, ", "))
	}
	rep.mu.Unlock()
	t.Logf("page weight, first visit, desktop:\n%s", rep.table())
}
