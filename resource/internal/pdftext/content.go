package pdftext

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// font is what decoding a shown string needs.
type font struct {
	codeLen int               // bytes per character code: 2 for composite (Type0) fonts
	uni     map[uint32]string // ToUnicode map; nil: Windows-1252
}

func (f *font) decode(b []byte) string {
	var sb strings.Builder
	n := f.codeLen
	for i := 0; i+n <= len(b); i += n {
		var code uint32
		for _, c := range b[i : i+n] {
			code = code<<8 | uint32(c)
		}
		if f.uni != nil {
			sb.WriteString(f.uni[code])
			continue
		}
		if n == 1 {
			sb.WriteRune(cp1252(byte(code)))
		}
	}
	return sb.String()
}

// cp1252 maps the bytes 0x80–0x9F of Windows-1252; the others are Latin-1.
func cp1252(c byte) rune {
	high := [32]rune{'€', ' ', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', ' ', 'Ž', ' ',
		' ', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', ' ', 'ž', 'Ÿ'}
	if c >= 0x80 && c < 0xa0 {
		return high[c-0x80]
	}
	return rune(c)
}

// page runs one page's content stream.
type page struct {
	ctx       context.Context
	xt        *model.XRefTable
	res       types.Dict
	fonts     map[string]*font
	cur       *font
	out       *strings.Builder
	max       int
	maxStream int64
}

func (p *page) font(name string) *font {
	f := &font{codeLen: 1}
	if p.res == nil {
		return f
	}
	fo, ok := p.res.Find("Font")
	if !ok {
		return f
	}
	fd, err := p.xt.DereferenceDict(fo)
	if err != nil || fd == nil {
		return f
	}
	ref, ok := fd.Find(name)
	if !ok {
		return f
	}
	key := ref.String()
	if cached, ok := p.fonts[key]; ok {
		return cached
	}
	p.fonts[key] = f
	d, err := p.xt.DereferenceDict(ref)
	if err != nil || d == nil {
		return f
	}
	if st := d.NameEntry("Subtype"); st != nil && *st == "Type0" {
		f.codeLen = 2
	}
	if tu, ok := d.Find("ToUnicode"); ok {
		if sd, _, err := p.xt.DereferenceStreamDict(tu); err == nil && sd != nil && sd.DecodeWithLimit(p.maxStream) == nil {
			f.uni = parseCMap(sd.Content)
		}
	}
	return f
}

// parseCMap reads the bfchar and bfrange sections of a ToUnicode CMap.
func parseCMap(b []byte) map[uint32]string {
	m := map[uint32]string{}
	toks := tokens(b)
	for i := 0; i < len(toks); i++ {
		switch toks[i].op {
		case "beginbfchar":
			for i++; i+1 < len(toks) && toks[i].op != "endbfchar"; i += 2 {
				m[code(toks[i].str)] = utf16be(toks[i+1].str)
			}
		case "beginbfrange":
			for i++; i+2 < len(toks) && toks[i].op != "endbfrange"; i += 3 {
				lo, hi := code(toks[i].str), code(toks[i+1].str)
				if hi < lo || hi-lo > 0xffff {
					continue
				}
				if dst := toks[i+2]; dst.isArray {
					for j, s := range dst.arr {
						if lo+uint32(j) > hi {
							break
						}
						m[lo+uint32(j)] = utf16be(s)
					}
				} else {
					base := []rune(utf16be(dst.str))
					if len(base) == 0 {
						continue
					}
					for c := lo; c <= hi; c++ {
						r := append([]rune{}, base...)
						r[len(r)-1] += rune(c - lo)
						m[c] = string(r)
					}
				}
			}
		}
	}
	return m
}

func code(b []byte) uint32 {
	var c uint32
	for _, x := range b {
		c = c<<8 | uint32(x)
	}
	return c
}

func utf16be(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return string(utf16.Decode(u))
}

// token is an operand or an operator of a content stream.
type token struct {
	op      string // operator, or "" for an operand
	str     []byte // string operand (literal or hex)
	isStr   bool
	num     float64 // number operand
	isNum   bool
	isArray bool     // array operand: its strings and numbers
	arr     [][]byte // strings of the array
	nums    []float64
	name    string // name operand, without '/'
}

// run interprets the text operators of content.
func (p *page) run(content []byte) {
	var stack []token
	for i, t := range tokens(content) {
		if i%4096 == 0 && p.ctx.Err() != nil {
			return
		}
		if p.out.Len() >= p.max {
			return
		}
		if t.op == "" {
			stack = append(stack, t)
			if len(stack) > 64 {
				stack = stack[1:]
			}
			continue
		}
		switch t.op {
		case "Tf":
			if len(stack) >= 2 && stack[len(stack)-2].name != "" {
				p.cur = p.font(stack[len(stack)-2].name)
			}
		case "Tj", "'", "\"":
			if t.op != "Tj" {
				p.out.WriteString("\n")
			}
			if len(stack) > 0 && stack[len(stack)-1].isStr {
				p.show(stack[len(stack)-1].str)
			}
		case "TJ":
			if len(stack) > 0 && stack[len(stack)-1].isArray {
				a := stack[len(stack)-1]
				for j, s := range a.arr {
					// A large negative adjustment is a space the
					// producer did not write as a character.
					if j < len(a.nums) && a.nums[j] < -200 {
						p.out.WriteString(" ")
					}
					p.show(s)
				}
			}
		case "Td", "TD", "T*", "Tm":
			p.out.WriteString(" ")
		case "ET":
			p.out.WriteString("\n")
		}
		stack = stack[:0]
	}
}

func (p *page) show(b []byte) {
	f := p.cur
	if f == nil {
		f = &font{codeLen: 1}
	}
	p.out.WriteString(f.decode(b))
}

// tokens splits a content stream or a CMap into tokens. Inline image
// data (between ID and EI) is skipped; dictionaries are dropped.
func tokens(b []byte) []token {
	var out []token
	i := 0
	ws := func(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0 }
	delim := func(c byte) bool { return ws(c) || strings.IndexByte("()<>[]{}/%", c) >= 0 }
	var arr *token
	push := func(t token) {
		if arr != nil && t.op == "" {
			switch {
			case t.isStr:
				arr.arr = append(arr.arr, t.str)
				for len(arr.nums) < len(arr.arr)-1 {
					arr.nums = append(arr.nums, 0)
				}
			case t.isNum:
				// The adjustment before the next string.
				for len(arr.nums) < len(arr.arr) {
					arr.nums = append(arr.nums, 0)
				}
				arr.nums = append(arr.nums, t.num)
			}
			return
		}
		out = append(out, t)
	}
	for i < len(b) {
		c := b[i]
		switch {
		case ws(c):
			i++
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		case c == '(':
			s, n := literal(b[i:])
			push(token{str: s, isStr: true})
			i += n
		case c == '<' && i+1 < len(b) && b[i+1] == '<':
			i += 2
			push(token{op: ""}) // dictionary start: ignored
		case c == '>' && i+1 < len(b) && b[i+1] == '>':
			i += 2
		case c == '<':
			j := i + 1
			for j < len(b) && b[j] != '>' {
				j++
			}
			h := strings.Map(func(r rune) rune {
				if strings.ContainsRune("0123456789abcdefABCDEF", r) {
					return r
				}
				return -1
			}, string(b[i+1:min(j, len(b))]))
			if len(h)%2 == 1 {
				h += "0"
			}
			s, _ := hex.DecodeString(h)
			push(token{str: s, isStr: true})
			i = j + 1
		case c == '[':
			arr = &token{isArray: true}
			i++
		case c == ']':
			if arr != nil {
				a := *arr
				arr = nil
				out = append(out, a)
			}
			i++
		case c == '/':
			j := i + 1
			for j < len(b) && !delim(b[j]) {
				j++
			}
			push(token{name: string(b[i+1 : j])})
			i = j
		default:
			j := i
			for j < len(b) && !delim(b[j]) {
				j++
			}
			if j == i {
				i++ // a stray delimiter
				continue
			}
			w := string(b[i:j])
			i = j
			if f, err := strconv.ParseFloat(w, 64); err == nil {
				push(token{num: f, isNum: true})
				continue
			}
			if w == "ID" {
				// Inline image data: skip to "EI" between white space.
				k := i + 1
				for k+2 < len(b) && !(ws(b[k-1]) && b[k] == 'E' && b[k+1] == 'I' && (k+2 == len(b) || ws(b[k+2]))) {
					k++
				}
				i = k + 2
				continue
			}
			if arr == nil {
				out = append(out, token{op: w})
			}
		}
	}
	return out
}

// literal reads a (string) with its escapes and balanced parentheses; it
// returns the bytes and how much of b it used.
func literal(b []byte) ([]byte, int) {
	var out []byte
	depth := 0
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case c == '(':
			if depth > 0 {
				out = append(out, c)
			}
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return out, i + 1
			}
			out = append(out, c)
		case c == '\\' && i+1 < len(b):
			i++
			e := b[i]
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r', '\n':
				if e == '\r' && i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
			default:
				if e >= '0' && e <= '7' {
					v := 0
					k := 0
					for k < 3 && i < len(b) && b[i] >= '0' && b[i] <= '7' {
						v = v*8 + int(b[i]-'0')
						i++
						k++
					}
					i--
					out = append(out, byte(v))
				} else {
					out = append(out, e)
				}
			}
		default:
			out = append(out, c)
		}
		i++
	}
	return out, len(b)
}
