// Package snippet turns engine output into the HTML fragment Hit.Snippet
// promises: the text HTML-escaped, with <mark>…</mark> around matches and
// nothing else. Both engines use it so that the escaping rule lives in one
// place.
package snippet

import (
	"html"
	"strings"
)

// Mark tags written around matches.
const (
	MarkOpen  = "<mark>"
	MarkClose = "</mark>"
	Ellipsis  = "…"
)

// Span is a byte range [Start, End) of a text.
type Span struct{ Start, End int }

// Crop renders the words of text between words[from] and words[to-1]
// (inclusive), marking those whose index is in matched, with an ellipsis
// where text was cut. words must be ordered and non-overlapping.
func Crop(text string, words []Span, matched map[int]bool, from, to int) string {
	if len(words) == 0 || from >= to {
		return html.EscapeString(strings.TrimSpace(text))
	}
	from = max(from, 0)
	to = min(to, len(words))
	var b strings.Builder
	if from > 0 {
		b.WriteString(Ellipsis)
	}
	pos := words[from].Start
	if from == 0 {
		pos = 0 // keep what precedes the first word, e.g. an opening quote
	}
	for i := from; i < to; i++ {
		w := words[i]
		b.WriteString(html.EscapeString(text[pos:w.Start]))
		if matched[i] {
			b.WriteString(MarkOpen)
			b.WriteString(html.EscapeString(text[w.Start:w.End]))
			b.WriteString(MarkClose)
		} else {
			b.WriteString(html.EscapeString(text[w.Start:w.End]))
		}
		pos = w.End
	}
	if to == len(words) {
		b.WriteString(html.EscapeString(text[pos:]))
	} else {
		b.WriteString(Ellipsis)
	}
	return strings.TrimSpace(b.String())
}

// Window chooses which words to show: maxWords words starting a little
// before the first matched word, so the reader sees the match in context.
// It returns [from, to) word indexes.
func Window(n int, firstMatch int, maxWords int) (from, to int) {
	if n <= maxWords || firstMatch < 0 {
		return 0, min(n, maxWords)
	}
	from = max(firstMatch-maxWords/4, 0)
	to = min(from+maxWords, n)
	from = max(to-maxWords, 0)
	return from, to
}

// EscapeMarked HTML-escapes text in which an engine put pre and post around
// matches, then turns those placeholders into <mark> tags. Placeholders are
// chosen by the caller so that document text cannot forge a tag: whatever
// the text holds is escaped, and only the placeholders become markup. An
// unbalanced placeholder is dropped rather than left open.
func EscapeMarked(text, pre, post string) string {
	var b strings.Builder
	open := false
	for len(text) > 0 {
		i := strings.Index(text, pre)
		j := strings.Index(text, post)
		next, isPre := -1, false
		switch {
		case i >= 0 && (j < 0 || i < j):
			next, isPre = i, true
		case j >= 0:
			next = j
		}
		if next < 0 {
			b.WriteString(html.EscapeString(text))
			break
		}
		b.WriteString(html.EscapeString(text[:next]))
		if isPre {
			if !open {
				b.WriteString(MarkOpen)
				open = true
			}
			text = text[next+len(pre):]
		} else {
			if open {
				b.WriteString(MarkClose)
				open = false
			}
			text = text[next+len(post):]
		}
	}
	if open {
		b.WriteString(MarkClose)
	}
	return strings.TrimSpace(b.String())
}
