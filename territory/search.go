package territory

import (
	"cmp"
	"slices"
	"strings"
)

// How a territory matched a query, best first.
const (
	tierCode       = iota + 1 // the query is its code, SIREN or SIRET
	tierExact                 // normalized name equals the normalized query
	tierPrefix                // name starts with the query
	tierWordPrefix            // a later word of the name starts with the query
	tierAllWords              // every word of the query starts a word of the name, in any order
)

type hit struct {
	rec  int32
	tier uint8
}

// Search finds territories by name or code, best matches first, at most limit
// of them (all when limit <= 0), restricted to the given kinds (all kinds when
// none is given).
//
// Names are compared after Normalize, so case, accents, hyphens and
// apostrophes do not matter: "echirolles" finds Échirolles, "saint etienne"
// Saint-Étienne, "l'isle d'abeau" L'Isle-d'Abeau. Matches rank as: exact
// name, then name starting with the query, then a later word of the name
// starting with it ("etienne" finds Saint-Étienne), then names holding every
// query word as a word prefix in any order ("metropole grenoble"); within a
// rank, larger populations come first, then communes before départements,
// régions and EPCIs, then by code.
//
// A query that is a code matches before any name: a 5-character INSEE code
// (commune), a 2- or 3-character code (département and région), a 9-digit
// SIREN, or a 14-digit SIRET, which finds the organization of its SIREN.
// Spaces and dots in codes are ignored ("200 040 715 00012"). Postal codes are
// not INSEE codes and are not searched.
func (x *Index) Search(query string, limit int, kinds ...Kind) []Territory {
	var want [kindCount]bool
	for _, k := range kinds {
		if int(k) < kindCount {
			want[k] = true
		}
	}
	if len(kinds) == 0 {
		want = [kindCount]bool{false, true, true, true, true}
	}
	c := collector{x: x, limit: limit}
	// seen holds one bit per record, so that a territory matching in several
	// ways is returned once, at its best rank.
	seen := make([]uint64, (len(x.recs)+63)/64)
	mark := func(i int) bool {
		if seen[i/64]&(1<<(i%64)) != 0 {
			return false
		}
		seen[i/64] |= 1 << (i % 64)
		return true
	}
	for _, i := range x.codeMatches(query) {
		if want[x.recs[i].kind] && mark(i) {
			c.add(hit{int32(i), tierCode})
		}
	}
	if q := Normalize(query); q != "" {
		x.words(q, func(i, at int) {
			r := &x.recs[i]
			if !want[r.kind] {
				return
			}
			n := r.norm.in(x.norm)
			if !strings.HasPrefix(n[at:], q) || !mark(i) {
				return
			}
			t := uint8(tierWordPrefix)
			if strings.HasPrefix(n, q) {
				t = tierPrefix
				if len(n) == len(q) {
					t = tierExact
				}
			}
			c.add(hit{int32(i), t})
		})
		if strings.IndexByte(q, ' ') >= 0 {
			x.allWords(q, &want, mark, &c)
		}
	}
	hits := c.hits
	slices.SortFunc(hits, c.compare)
	out := make([]Territory, len(hits))
	for j, h := range hits {
		out[j] = x.territory(int(h.rec))
	}
	return out
}

// allWords adds the records whose name has every word of the multi-word
// query q at the start of one of its words, in any order ("metropole
// grenoble" finds Grenoble-Alpes-Métropole).
func (x *Index) allWords(q string, want *[kindCount]bool, mark func(int) bool, c *collector) {
	var words []string
	pick, best := "", -1
	for w := range strings.SplitSeq(q, " ") {
		words = append(words, w)
		// The word with the fewest candidates drives the scan; among equals,
		// the longest, which HasPrefix rejects soonest.
		if n := x.wordCount(w); best < 0 || n < best || (n == best && len(w) > len(pick)) {
			pick, best = w, n
		}
	}
	x.words(pick, func(i, at int) {
		r := &x.recs[i]
		if !want[r.kind] {
			return
		}
		n := r.norm.in(x.norm)
		if !strings.HasPrefix(n[at:], pick) {
			return
		}
		for _, w := range words {
			if !hasWordPrefix(n, w) {
				return
			}
		}
		if mark(i) {
			c.add(hit{int32(i), tierAllWords})
		}
	})
}

// hasWordPrefix reports whether a word of the normalized name n starts with w.
func hasWordPrefix(n, w string) bool {
	for {
		if strings.HasPrefix(n, w) {
			return true
		}
		i := strings.IndexByte(n, ' ')
		if i < 0 {
			return false
		}
		n = n[i+1:]
	}
}

// collector keeps the best hits. With a limit it holds at most that many in
// a heap whose root is the worst kept, so that a one-letter query matching
// thousands of names costs no sort of them all.
type collector struct {
	x     *Index
	limit int
	hits  []hit
}

// compare orders hits best first: by rank, then larger population, then kind,
// then code, which is a total order, so results do not depend on the order
// in which matches were found.
func (c *collector) compare(a, b hit) int {
	if n := cmp.Compare(a.tier, b.tier); n != 0 {
		return n
	}
	ra, rb := &c.x.recs[a.rec], &c.x.recs[b.rec]
	if n := cmp.Compare(rb.pop, ra.pop); n != 0 {
		return n
	}
	if n := cmp.Compare(ra.kind, rb.kind); n != 0 {
		return n
	}
	return strings.Compare(ra.code.in(c.x.blob), rb.code.in(c.x.blob))
}

func (c *collector) add(h hit) {
	if c.limit <= 0 {
		c.hits = append(c.hits, h)
		return
	}
	hs := c.hits
	if len(hs) < c.limit {
		hs = append(hs, h)
		for j := len(hs) - 1; j > 0; { // sift up: a parent is never better than its children
			p := (j - 1) / 2
			if c.compare(hs[p], hs[j]) >= 0 {
				break
			}
			hs[p], hs[j] = hs[j], hs[p]
			j = p
		}
		c.hits = hs
		return
	}
	if c.compare(h, hs[0]) >= 0 {
		return // not better than the worst kept
	}
	hs[0] = h
	for j := 0; ; { // sift down
		w, l := j, 2*j+1
		if l < len(hs) && c.compare(hs[l], hs[w]) > 0 {
			w = l
		}
		if r := l + 1; r < len(hs) && c.compare(hs[r], hs[w]) > 0 {
			w = r
		}
		if w == j {
			break
		}
		hs[j], hs[w] = hs[w], hs[j]
		j = w
	}
}

// codeMatches returns the records whose code, SIREN or SIRET the query is.
func (x *Index) codeMatches(query string) []int {
	c := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '.' || r == '\u00a0':
			return -1
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, strings.TrimSpace(query))
	var out []int
	switch {
	case len(c) == 14 && isDigits(c), len(c) == 9 && isDigits(c):
		if i, ok := x.sirenRec(c[:9]); ok {
			out = append(out, i)
		}
	case len(c) == 5 && isINSEE(c):
		if i, ok := x.find(KindCommune, c); ok {
			out = append(out, i)
		}
	case (len(c) == 2 || len(c) == 3) && isINSEE(c):
		if i, ok := x.find(KindDepartement, c); ok {
			out = append(out, i)
		}
		if i, ok := x.find(KindRegion, c); ok {
			out = append(out, i)
		}
	}
	return out
}

// isINSEE reports whether s is made of digits, with a Corsican "2A"/"2B"
// allowed at the start.
func isINSEE(s string) bool {
	if len(s) >= 2 && s[0] == '2' && (s[1] == 'A' || s[1] == 'B') {
		return len(s) == 2 || isDigits(s[2:])
	}
	return isDigits(s)
}

func (x *Index) sirenRec(siren string) (int, bool) {
	n, ok := parseSIREN(siren)
	if !ok {
		return 0, false
	}
	i, ok := slices.BinarySearchFunc(x.sirens, n, func(r sirenRef, n uint32) int { return cmp.Compare(r.siren, n) })
	if !ok {
		return 0, false
	}
	return int(x.sirens[i].rec), true
}
