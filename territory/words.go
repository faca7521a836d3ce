package territory

import "strings"

// The word index lets Search visit only the names having a word that starts
// with the query's first two bytes, instead of scanning all 36,000 names
// (which costs about a millisecond for a common prefix such as "saint").
//
// Index.wordIdx holds one entry per word start of every normalized name,
// rec<<8 | offset of the word in the name, grouped by the class of the word's
// first two bytes and in record order within a group; group g spans
// wordIdx[wordGroup[g]:wordGroup[g+1]]. It is built at load time by a counting
// sort in two linear passes, about a millisecond, and takes about 4 bytes per
// word.

// wordClasses is the number of byte classes: a–z, 0–9, and one for
// everything else (a space, the end of the name, a non-ASCII byte).
const wordClasses = 26 + 10 + 1

func wordClass(c byte) int {
	switch {
	case 'a' <= c && c <= 'z':
		return int(c - 'a')
	case '0' <= c && c <= '9':
		return 26 + int(c-'0')
	}
	return wordClasses - 1
}

// wordKey is the group of the word starting at s[0].
func wordKey(s string) int {
	second := byte(' ')
	if len(s) > 1 {
		second = s[1]
	}
	return wordClass(s[0])*wordClasses + wordClass(second)
}

// eachWord calls fn with the offset of each word in the normalized name n.
func eachWord(n string, fn func(at int)) {
	for at := 0; at < len(n); {
		fn(at)
		i := strings.IndexByte(n[at:], ' ')
		if i < 0 {
			return
		}
		at += i + 1
	}
}

func (x *Index) buildWords() {
	group := make([]uint32, wordClasses*wordClasses+1)
	for i := range x.recs {
		n := x.recs[i].norm.in(x.norm)
		eachWord(n, func(at int) { group[wordKey(n[at:])+1]++ })
	}
	for g := 1; g < len(group); g++ {
		group[g] += group[g-1]
	}
	idx := make([]uint32, group[len(group)-1])
	next := make([]uint32, len(group)-1)
	copy(next, group)
	for i := range x.recs {
		n := x.recs[i].norm.in(x.norm)
		eachWord(n, func(at int) {
			g := wordKey(n[at:])
			idx[next[g]] = uint32(i)<<8 | uint32(at)
			next[g]++
		})
	}
	x.wordIdx, x.wordGroup = idx, group
}

// words calls fn(record, offset of the word in its normalized name) for every
// word whose first bytes put it in the group of prefix — a superset of the
// words starting with prefix, which fn checks. A record with several such
// words is visited once per word.
func (x *Index) words(prefix string, fn func(i, at int)) {
	for _, e := range x.wordRange(prefix) {
		fn(int(e>>8), int(e&0xFF))
	}
}

// wordCount is the number of entries words(prefix) visits.
func (x *Index) wordCount(prefix string) int { return len(x.wordRange(prefix)) }

func (x *Index) wordRange(prefix string) []uint32 {
	if prefix == "" {
		return nil
	}
	lo, hi := 0, 0
	if len(prefix) == 1 {
		// Every group whose first byte is this one: they are contiguous.
		lo = wordClass(prefix[0]) * wordClasses
		hi = lo + wordClasses
	} else {
		lo = wordKey(prefix)
		hi = lo + 1
	}
	return x.wordIdx[x.wordGroup[lo]:x.wordGroup[hi]]
}
