package embedded

import (
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"

	"collectif/search/internal/snippet"
)

// Snippet sizes. snippetWords matches the cropLength the Meilisearch
// adapter asks for, so both engines show snippets of the same length.
// snippetScanBytes bounds the work per hit: bodies carry attachments' text
// and can be long; a match past that point yields the start of the text,
// unmarked.
const (
	snippetWords     = 30
	snippetScanBytes = 64 << 10
)

// matcher decides whether a word of a stored text matched the query, the way
// the query matched it in the index: same stem, a typo within budget, the
// typed prefix, or a synonym's word. It exists because snippets are built
// from the stored text rather than from term vectors, which would double the
// index size.
type matcher struct {
	an       *analyzers
	exact    map[string]bool
	fuzzy    map[string]int // term → typo budget
	prefixes []string
	cache    map[string]bool // word as written → matched, for the per-word fallback
}

func newMatcher(an *analyzers, units []unit) *matcher {
	m := &matcher{an: an, exact: map[string]bool{}, fuzzy: map[string]int{}, cache: map[string]bool{}}
	for _, u := range units {
		for _, w := range u.words {
			if w.term != "" {
				m.exact[w.term] = true
				if d := typoBudget(w.term); d > 0 {
					m.fuzzy[w.term] = d
				}
			}
			if w.prefix && utf8.RuneCountInString(w.folded) >= minPrefixRunes {
				m.prefixes = append(m.prefixes, w.folded)
			}
		}
		for _, terms := range u.alternatives {
			for _, term := range terms {
				m.exact[term] = true
			}
		}
	}
	return m
}

func (m *matcher) empty() bool {
	return len(m.exact) == 0 && len(m.prefixes) == 0
}

func (m *matcher) match(folded, term string) bool {
	if term != "" {
		if m.exact[term] {
			return true
		}
		for q, d := range m.fuzzy {
			if term[0] == q[0] && withinDistance(term, q, d) {
				return true
			}
		}
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(folded, p) {
			return true
		}
	}
	return false
}

// render returns the snippet of text and whether any word in it matched.
func (m *matcher) render(text string) (string, bool) {
	if text == "" {
		return "", false
	}
	if len(text) > snippetScanBytes {
		cut := snippetScanBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	orig := unicode.NewUnicodeTokenizer().Tokenize([]byte(text))
	spans := make([]snippet.Span, len(orig))
	for i, t := range orig {
		spans[i] = snippet.Span{Start: t.Start + elidedPrefix(t.Term), End: t.End}
	}
	matched := map[int]bool{}
	first := -1
	if !m.empty() {
		folded, terms, aligned := m.analyseAligned(text, orig)
		for i := range orig {
			var ok bool
			if aligned {
				ok = m.match(folded[i], terms[i])
			} else {
				ok = m.matchWord(string(orig[i].Term))
			}
			if ok {
				matched[i] = true
				if first < 0 {
					first = i
				}
			}
		}
	}
	from, to := snippet.Window(len(spans), first, snippetWords)
	return snippet.Crop(text, spans, matched, from, to), first >= 0
}

// analyseAligned analyses the whole text at once and lines the results up
// with the words of the original text by position. The ASCII-folding char
// filter runs before tokenizing, so offsets differ from the original text
// but positions do not — unless folding changed the word count (a "½"
// becoming "1/2"); then it reports false and the caller analyses word by word.
func (m *matcher) analyseAligned(text string, orig analysis.TokenStream) (folded, terms []string, ok bool) {
	pre := m.an.prefix.Analyze([]byte(text))
	if len(pre) != len(orig) {
		return nil, nil, false
	}
	byPos := make(map[int]int, len(pre))
	folded = make([]string, len(pre))
	for i, t := range pre {
		if t.Position != orig[i].Position {
			return nil, nil, false
		}
		folded[i] = string(t.Term)
		byPos[t.Position] = i
	}
	terms = make([]string, len(pre))
	for _, t := range m.an.text.Analyze([]byte(text)) {
		if i, found := byPos[t.Position]; found {
			terms[i] = string(t.Term)
		}
	}
	return folded, terms, true
}

func (m *matcher) matchWord(w string) bool {
	if v, ok := m.cache[w]; ok {
		return v
	}
	var folded, term string
	if toks := m.an.prefix.Analyze([]byte(w)); len(toks) > 0 {
		folded = string(toks[0].Term)
	}
	if toks := m.an.text.Analyze([]byte(w)); len(toks) > 0 {
		term = string(toks[0].Term)
	}
	v := m.match(folded, term)
	m.cache[w] = v
	return v
}

// elidedPrefix returns the length of an elided article at the start of a
// word ("d'" in "d'Échirolles", "qu’" in "qu’elle"), which the tokenizer
// keeps in the word but the analyzer drops: the mark goes around the word
// only, as Meilisearch, which splits at apostrophes, puts it.
func elidedPrefix(word []byte) int {
	for _, apos := range []string{"'", "’"} {
		if i := strings.Index(string(word), apos); i > 0 && i <= len("quoiqu") {
			return i + len(apos)
		}
	}
	return 0
}

// withinDistance reports whether the Levenshtein distance between a and b is
// at most d, stopping as soon as every cell of a row exceeds d.
func withinDistance(a, b string, d int) bool {
	ra, rb := []rune(a), []rune(b)
	if abs(len(ra)-len(rb)) > d {
		return false
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > d {
			return false
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)] <= d
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
