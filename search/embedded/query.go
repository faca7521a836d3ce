package embedded

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"

	"collectif/search"
)

// Ranking weights of the ways a query word can match, relative to an exact
// match of its stem: a typo or a prefix says less about intent than the
// word itself, a synonym a little less than what was typed.
const (
	boostFuzzy   = 0.3
	boostPrefix  = 0.5
	boostSynonym = 0.8
	// minPrefixRunes keeps a one-letter prefix from expanding to a large part
	// of the term dictionary on every keystroke.
	minPrefixRunes = 2
)

// analyzers are the text and prefix analyzers of one index generation,
// taken from the mapping stored with it so queries are analysed exactly as
// its documents were, and its synonyms analysed the same way.
type analyzers struct {
	text, prefix analysis.Analyzer
	synonyms     []synonymEntry // longest key first
}

// synonymEntry is one key of search.Synonyms(), as a sequence of analysed
// terms, with what it also finds, each alternative analysed the same way.
type synonymEntry struct {
	terms        []string
	alternatives [][]string
}

func analyse(an analysis.Analyzer, s string) []string {
	var out []string
	for _, tok := range an.Analyze([]byte(s)) {
		out = append(out, string(tok.Term))
	}
	return out
}

func newAnalyzers(text, prefix analysis.Analyzer) *analyzers {
	a := &analyzers{text: text, prefix: prefix}
	for key, alts := range search.Synonyms() {
		terms := analyse(text, key)
		if len(terms) == 0 {
			continue
		}
		e := synonymEntry{terms: terms}
		for _, alt := range alts {
			if t := analyse(text, alt); len(t) > 0 {
				e.alternatives = append(e.alternatives, t)
			}
		}
		a.synonyms = append(a.synonyms, e)
	}
	// Longest first so "marché public" wins over "marché"; then by terms so
	// the table, built from a map, is in a stable order.
	slices.SortFunc(a.synonyms, func(x, y synonymEntry) int {
		if len(x.terms) != len(y.terms) {
			return len(y.terms) - len(x.terms)
		}
		return slices.Compare(x.terms, y.terms)
	})
	return a
}

// word is one word of the query.
type word struct {
	folded string // lowercased, accents folded, elision removed: compared as a prefix
	term   string // the indexed form (stemmed); "" for a stop word
	prefix bool   // the word may be incomplete (search-as-you-type)
}

// unit is what one part of the query contributes: a word, or a run of words
// that form a synonym key, plus the synonyms (as analysed terms) that may
// stand for it.
type unit struct {
	words        []word
	alternatives [][]string
}

// parse splits the query text into units.
func (a *analyzers) parse(text string, prefix bool) []unit {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	// Both analyzers share char filter and tokenizer, so their tokens have
	// the same positions; the text analyzer only drops stop words.
	terms := map[int]string{}
	for _, tok := range a.text.Analyze([]byte(text)) {
		terms[tok.Position] = string(tok.Term)
	}
	var words []word
	for _, tok := range a.prefix.Analyze([]byte(text)) {
		words = append(words, word{folded: string(tok.Term), term: terms[tok.Position]})
	}
	if len(words) == 0 {
		return nil
	}
	// The last word is a prefix only while it is being typed: a trailing
	// space or punctuation says it is complete (Meilisearch reads it so too).
	if prefix {
		last, _ := utf8.DecodeLastRuneInString(text)
		if unicode.IsLetter(last) || unicode.IsDigit(last) {
			words[len(words)-1].prefix = true
		}
	}

	var units []unit
	for i := 0; i < len(words); {
		w := words[i]
		if w.term == "" {
			// A stop word: it only counts while being typed as a prefix.
			if w.prefix {
				units = append(units, unit{words: []word{w}})
			}
			i++
			continue
		}
		if n, alts := a.matchSynonym(words[i:]); n > 0 {
			units = append(units, unit{words: words[i : i+n], alternatives: alts})
			i += n
			continue
		}
		units = append(units, unit{words: []word{w}})
		i++
	}
	return units
}

// matchSynonym finds the longest synonym key at the start of words and
// returns how many words it covers and its alternatives.
func (a *analyzers) matchSynonym(words []word) (int, [][]string) {
	for _, s := range a.synonyms {
		if len(s.terms) > len(words) {
			continue
		}
		ok := true
		for j, t := range s.terms {
			if words[j].term != t {
				ok = false
				break
			}
		}
		if ok {
			return len(s.terms), s.alternatives
		}
	}
	return 0, nil
}

// typoBudget follows Meilisearch's defaults (minWordSizeForTypos oneTypo 5,
// twoTypos 9), counted on the indexed form since that is what is compared.
// Words with digits get none: "2024" must not find "2023".
func typoBudget(term string) int {
	if strings.ContainsFunc(term, unicode.IsDigit) {
		return 0
	}
	switch n := utf8.RuneCountInString(term); {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// buildText turns units into a bleve query: each unit is a disjunction of
// the ways it can match in each text field. With all, every unit must match;
// otherwise any may, and bleve's disjunction scores by the share of units
// matched (coord), so documents matching more words rank first. It returns
// nil when nothing is searchable (empty text, or stop words only): the
// caller then matches all documents, as Meilisearch's placeholder search
// does.
func buildText(units []unit, all, typos bool) query.Query {
	var qs []query.Query
	for _, u := range units {
		// A stop word being typed ("nextcloud le…") is not required: it
		// would otherwise narrow results to documents with a word starting
		// with "le" until the next letter comes.
		if all && len(units) > 1 && len(u.words) == 1 && u.words[0].term == "" {
			continue
		}
		if q := unitQuery(u, typos); q != nil {
			qs = append(qs, q)
		}
	}
	switch {
	case len(qs) == 0:
		return nil
	case all:
		return query.NewConjunctionQuery(qs)
	}
	d := query.NewDisjunctionQuery(qs)
	d.SetMin(1)
	return d
}

func unitQuery(u unit, typos bool) query.Query {
	var alts []query.Query
	// The words as typed: all of them must match.
	var conj []query.Query
	for _, w := range u.words {
		if q := wordQuery(w, typos); q != nil {
			conj = append(conj, q)
		}
	}
	switch len(conj) {
	case 0:
	case 1:
		alts = append(alts, conj[0])
	default:
		alts = append(alts, query.NewConjunctionQuery(conj))
	}
	// Synonyms: every word of a synonym must match, in any text field.
	// Phrase queries would need term vectors, which would double the index;
	// requiring all words comes close for names of three or four words.
	for _, terms := range u.alternatives {
		var words []query.Query
		for _, term := range terms {
			var fields []query.Query
			for _, f := range textFields() {
				q := query.NewTermQuery(term)
				q.SetField(f.name)
				q.SetBoost(f.boost * boostSynonym)
				fields = append(fields, q)
			}
			words = append(words, query.NewDisjunctionQuery(fields))
		}
		if len(words) == 1 {
			alts = append(alts, words[0])
		} else {
			alts = append(alts, query.NewConjunctionQuery(words))
		}
	}
	if len(alts) == 0 {
		return nil
	}
	return query.NewDisjunctionQuery(alts)
}

func wordQuery(w word, typos bool) query.Query {
	var qs []query.Query
	for _, f := range textFields() {
		if w.term != "" {
			t := query.NewTermQuery(w.term)
			t.SetField(f.name)
			t.SetBoost(f.boost)
			qs = append(qs, t)
			if d := typoBudget(w.term); d > 0 && f.typos && typos {
				fz := query.NewFuzzyQuery(w.term)
				fz.SetField(f.name)
				fz.SetFuzziness(d)
				// The first letter must be right: it keeps the automaton
				// small, and Meilisearch counts a first-letter typo double.
				fz.SetPrefix(1)
				fz.SetBoost(f.boost * boostFuzzy)
				qs = append(qs, fz)
			}
		}
		if w.prefix && utf8.RuneCountInString(w.folded) >= minPrefixRunes {
			p := query.NewPrefixQuery(w.folded)
			p.SetField(f.name)
			p.SetBoost(f.boost * boostPrefix)
			qs = append(qs, p)
		}
	}
	if len(qs) == 0 {
		return nil
	}
	return query.NewDisjunctionQuery(qs)
}

// buildFilter is the part of the query that selects without scoring:
// audience (always), types, facet filters and the date range.
func buildFilter(q search.Query) query.Query {
	must := []query.Query{anyOf(fieldAudience, q.Audience)}
	if len(q.Types) > 0 {
		must = append(must, anyOf(search.FieldType, q.Types))
	}
	fields := make([]string, 0, len(q.Filters))
	for f := range q.Filters {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for _, f := range fields {
		must = append(must, anyOf(f, q.Filters[f]))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		incl := true
		var from, to = q.From, q.To
		if !from.IsZero() {
			from = from.UTC()
		}
		if !to.IsZero() {
			to = to.UTC()
		}
		r := query.NewDateRangeInclusiveQuery(from, to, &incl, &incl)
		r.SetField(fieldDate)
		must = append(must, r)
	}
	if len(must) == 1 {
		return must[0] // a conjunction of one is a searcher more per hit
	}
	return query.NewConjunctionQuery(must)
}

func anyOf(field string, values []string) query.Query {
	if len(values) == 1 {
		// The common case (a visitor's audience, one type): the term's
		// own searcher, without a disjunction over it.
		t := query.NewTermQuery(values[0])
		t.SetField(field)
		return t
	}
	qs := make([]query.Query, 0, len(values))
	for _, v := range values {
		t := query.NewTermQuery(v)
		t.SetField(field)
		qs = append(qs, t)
	}
	return query.NewDisjunctionQuery(qs)
}
