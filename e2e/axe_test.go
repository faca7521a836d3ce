package e2e

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored from its npm package (testdata/SOURCE.md).
//
//go:embed testdata/axe.min.js
var axeSource string

// The WCAG 2.1 A and AA rules: what RGAA 4.1 asks of a public service.
const axeRun = `axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
  resultTypes: ['violations', 'incomplete'],
}).then(r => ({
  violations: r.violations.map(v => ({
    id: v.id, impact: v.impact || '', help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || '', html: n.html.slice(0, 240)})),
  })),
  incomplete: r.incomplete.map(v => v.id + ' (' + v.nodes.map(n => n.target.join(' ') +
    ((n.any[0] && n.any[0].message) ? ': ' + n.any[0].message : '')).join('; ') + ')'),
}))`

type axeResult struct {
	Ran        bool
	Violations []axeViolation `json:"violations"`
	Incomplete []string       `json:"incomplete"` // rules axe could not decide, with where and why (to review by hand)
}

type axeViolation struct {
	ID     string    `json:"id"`
	Impact string    `json:"impact"`
	Help   string    `json:"help"`
	Nodes  []axeNode `json:"nodes"`
}

type axeNode struct {
	Target  string `json:"target"`
	Summary string `json:"summary"`
	HTML    string `json:"html"`
}

// serious counts the violations that fail a page: impact serious or critical.
func (a axeResult) serious() int {
	n := 0
	for _, v := range a.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			n++
		}
	}
	return n
}

// axe runs axe-core on the page shown: a violation of impact serious or
// critical fails the test, the others are logged.
func (tb *tab) axe() axeResult {
	tb.t.Helper()
	if !tb.js {
		// axe-core needs timers and promises, which do not run while script
		// execution is off. Turn it on for the audit of the page as it
		// loaded without JavaScript, then off again before the next step.
		tb.scripts(true)
		defer tb.scripts(false)
	}
	if !eval[bool](tb, "typeof axe === 'object'") {
		if err := chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			tb.t.Fatalf("[%s] inject axe-core in %s: %v", tb.mode(), tb.path(), err)
		}
	}
	res := eval[axeResult](tb, axeRun, chromedp.EvalAwaitPromise)
	res.Ran = true
	path := tb.path()
	for _, v := range res.Violations {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprintf("%s — %s — %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", " ")))
		}
		msg := fmt.Sprintf("[%s] axe %s on %s: %s (%s), %d element(s):\n\t%s", tb.mode(), v.Impact, path, v.ID, v.Help, len(v.Nodes), strings.Join(nodes, "\n\t"))
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.t.Error(msg)
		} else {
			tb.t.Log(msg)
		}
	}
	if len(res.Incomplete) > 0 {
		tb.t.Logf("[%s] axe on %s: to review by hand: %s", tb.mode(), path, strings.Join(res.Incomplete, "; "))
	}
	return res
}

func (tb *tab) scripts(on bool) {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		tb.t.Fatalf("[%s] turn scripts on=%v: %v", tb.mode(), on, err)
	}
}

// TestVendoredAxe checks that testdata holds the axe-core that SOURCE.md
// names, licence included, byte for byte. It needs no browser.
func TestVendoredAxe(t *testing.T) {
	src, err := os.ReadFile("testdata/SOURCE.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\| version \| ([0-9.]+) `).FindSubmatch(src)
	if m == nil {
		t.Fatal("SOURCE.md names no version")
	}
	if first := strings.SplitN(axeSource, "\n", 2)[0]; first != "/*! axe v"+string(m[1]) {
		t.Errorf("axe.min.js starts with %q, SOURCE.md says version %s", first, m[1])
	}
	sum := sha256.Sum256([]byte(axeSource))
	if !bytes.Contains(src, []byte(hex.EncodeToString(sum[:]))) {
		t.Errorf("SOURCE.md does not hold the sha256 of axe.min.js (%x)", sum)
	}
	for _, f := range []string{"testdata/LICENSE.axe-core", "testdata/LICENSE-3RD-PARTY.axe-core.txt"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if f == "testdata/LICENSE.axe-core" && !bytes.Contains(b, []byte("Mozilla Public License, version 2.0")) {
			t.Errorf("%s is not the MPL-2.0", f)
		}
	}
}
