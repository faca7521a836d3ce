package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestSearchSuggestions types the start of a word in the search box and
// gets suggestions as a combobox (keyboard included); without JavaScript
// the same box submits the form and lists results.
func TestSearchSuggestions(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	// The demonstration data is indexed by the hub's workers: wait for it.
	// The bound is against a hang: the demo's catalog alone is hundreds of
	// index jobs, which the race detector makes slow.
	const word, prefix = "BigBlueButton", "BigBlu"
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := http.Get(r.base + "/api/v1/search?q=" + url.QueryEscape(word))
		if err != nil {
			t.Fatal(err)
		}
		// Wait for the software entry itself (titled with the word), not
		// just a group or resource that mentions it: the catalog's index
		// jobs come after the rest of the demo's.
		var res struct {
			Hits []struct{ Title string }
		}
		json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		titled := false
		for _, h := range res.Hits {
			titled = titled || strings.Contains(h.Title, word)
		}
		if titled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no public document titled %q within 3 min", word)
		}
		time.Sleep(100 * time.Millisecond)
	}

	t.Run("javascript", func(t *testing.T) {
		tb := b.newTab(t, r.base, true, &report{}, 2*time.Minute)
		tb.open("/search")
		tb.check()
		tb.do("type a prefix", chromedp.Focus(chromedp.CSS("#q")), chromedp.SendKeys(chromedp.CSS("#q"), prefix),
			chromedp.WaitVisible(chromedp.CSS(`#q-suggestions [role=option]`)))
		if got := tb.text(`#q-suggestions [role=option]`); !strings.Contains(got, word) {
			t.Errorf("first suggestion %q does not contain %q", got, word)
		}
		attr := func(name string) string {
			return eval[string](tb, `document.getElementById("q").getAttribute("`+name+`") || ""`)
		}
		if attr("role") != "combobox" || attr("aria-expanded") != "true" || attr("aria-controls") != "q-suggestions" {
			t.Errorf("combobox attributes: role %q, aria-expanded %q, aria-controls %q", attr("role"), attr("aria-expanded"), attr("aria-controls"))
		}
		tb.keys(kb.ArrowDown, false)
		if got := attr("aria-activedescendant"); got != "q-suggestions-0" {
			t.Errorf("after ArrowDown, aria-activedescendant = %q", got)
		}
		// axe-core with the list open.
		tb.check()
		tb.keys(kb.Escape, false)
		if attr("aria-expanded") != "false" || tb.count(`#q-suggestions [role=option]`) != 0 {
			t.Errorf("Escape did not close the list")
		}
		// Enter on a highlighted suggestion opens it.
		// Wait for the list that answers the new text, not an older one.
		tb.do("type again", chromedp.SendKeys(chromedp.CSS("#q"), "e"),
			chromedp.WaitVisible(chromedp.CSS(`#q-suggestions[data-query="`+prefix+`e"] [role=option]`)))
		want := eval[string](tb, `document.querySelector("#q-suggestions [role=option]").dataset.url`)
		tb.keys(kb.ArrowDown, false)
		tb.keys(kb.Enter, true)
		if u, _ := url.Parse(want); u == nil || tb.path() != u.Path {
			t.Errorf("Enter opened %s, want %s", tb.path(), want)
		}
	})
	t.Run("sans-javascript", func(t *testing.T) {
		tb := b.newTab(t, r.base, false, &report{}, 2*time.Minute)
		tb.open("/search")
		tb.fill("#q", word)
		tb.keys(kb.Enter, true)
		tb.wantText("ol.results", word)
		tb.check()
	})
}
