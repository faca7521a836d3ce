package event

import (
	"slices"
	"testing"
)

// TestMailsInEveryLanguage: every mail written in French is written in
// English too, and the other way round.
func TestMailsInEveryLanguage(t *testing.T) {
	names := func(lang string) []string {
		out := mailTexts.Names(lang)
		slices.Sort(out)
		return out
	}
	fr, en := names(French), names(English)
	if len(fr) < 9 || !slices.Equal(fr, en) {
		t.Errorf("French mails %v, English mails %v", fr, en)
	}
	for _, w := range wordsOf {
		if len(w.categories) != len(Categories()) || len(w.statuses) != 3 || len(w.kinds) != 3 || len(w.csvHeader) != 8 {
			t.Errorf("missing labels: %+v", w)
		}
	}
}
