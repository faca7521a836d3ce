package territory

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds a name for matching: lower case, accents and other
// diacritics removed, œ/æ/ß spelled out, and every run of characters that is
// neither a letter nor a digit (spaces, hyphens, apostrophes straight or
// curly, punctuation) turned into a single space, with none at either end.
//
//	Normalize("L'Isle-d'Abeau")  == "l isle d abeau"
//	Normalize("Saint-Étienne")   == "saint etienne"
//	Normalize(" ŒUVRE  commune") == "oeuvre commune"
//
// Two names that a French reader would type the same way normalize to the
// same string, so comparing normalized forms is accent-, case- and
// punctuation-insensitive. Letters of other scripts are kept, lower-cased.
func Normalize(s string) string {
	if isNormalized(s) {
		return s // the common case for typed queries: no allocation
	}
	return string(appendNormalized(make([]byte, 0, len(s)), s))
}

// isNormalized reports whether s is already its own normal form.
func isNormalized(s string) bool {
	prevSpace := true // a leading space is not normal
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			prevSpace = false
		case c == ' ' && !prevSpace:
			prevSpace = true
		default:
			return false
		}
	}
	return !prevSpace || s == ""
}

// appendNormalized appends the normal form of s to dst. Load calls it for
// every name, into one shared buffer, so it avoids allocating: ASCII is
// handled inline and other runes through their NFKD decomposition.
func appendNormalized(dst []byte, s string) []byte {
	start := len(dst)
	space := true // the last byte written is a separator (or nothing yet)
	add := func(r rune) {
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				dst = append(dst, c)
			case 'A' <= c && c <= 'Z':
				dst = append(dst, c+'a'-'A')
			default:
				if !space {
					dst = append(dst, ' ')
					space = true
				}
				return
			}
		case unicode.Is(unicode.Mn, r):
			return // a combining accent left by the decomposition
		default:
			// Letters that NFKD does not decompose but a French reader
			// spells with plain letters.
			switch r {
			case 'œ', 'Œ':
				dst = append(dst, "oe"...)
			case 'æ', 'Æ':
				dst = append(dst, "ae"...)
			case 'ß', 'ẞ':
				dst = append(dst, "ss"...)
			case 'ø', 'Ø':
				dst = append(dst, 'o')
			case 'ł', 'Ł':
				dst = append(dst, 'l')
			case 'đ', 'Đ':
				dst = append(dst, 'd')
			case 'ı':
				dst = append(dst, 'i')
			default:
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					if !space {
						dst = append(dst, ' ')
						space = true
					}
					return
				}
				dst = utf8.AppendRune(dst, unicode.ToLower(r))
			}
		}
		space = false
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			add(rune(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			add(' ') // invalid UTF-8 separates words rather than joining them
			i++
			continue
		}
		if d := norm.NFKD.PropertiesString(s[i:]).Decomposition(); d != nil {
			for len(d) > 0 {
				dr, n := utf8.DecodeRune(d)
				add(dr)
				d = d[n:]
			}
		} else {
			add(r)
		}
		i += size
	}
	if len(dst) > start && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}
