package territory

import (
	"cmp"
	"compress/gzip"
	_ "embed" // the data file
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The data file, written by internal/gen, is a gzip'd UTF-8 TSV: one record a
// line, fields separated by tabs, no quoting (the generator refuses values
// holding a tab or a newline). Version 1:
//
//	#territory  1  <npm package>  <version>  <data date YYYY-MM-DD>
//	#count      region|departement|commune|epci  <number of records>   (×4)
//	R  <code>   <name>  <zone>                                       <population>
//	D  <code>   <name>  <région code>  <zone>                        <population>
//	C  <INSEE>  <name>  <SIREN or "">  <département code>            <population>
//	E  <SIREN>  <name>  <EPCIType>  <dép.>  <région>  <zone>  <population>  <member INSEE codes, comma-separated>
//
// Sections come in the order R, D, C, E (each refers only to earlier ones),
// each sorted by code, which lets the loader resolve references and the Index
// look codes up by binary search without building maps. A commune's région and
// zone are its département's, so they are not repeated.
//
// Embedding it as a string rather than a []byte keeps it immutable.
//
//go:embed data/territories.tsv.gz
var embedded string

const formatVersion = "1"

// span locates a short substring of Index.blob or Index.norm in 32 bits:
// offset in the low 24, length in the high 8. With ~36,000 records of four
// strings each, that is 4 bytes per string instead of a 16-byte string header.
type span uint32

const (
	spanMaxOff = 1<<24 - 1
	spanMaxLen = 1<<8 - 1
)

func makeSpan(off, n int) (span, error) {
	if off < 0 || off > spanMaxOff || n < 0 || n > spanMaxLen {
		return 0, fmt.Errorf("string at %d of length %d exceeds the index's limits", off, n)
	}
	return span(uint32(n)<<24 | uint32(off)), nil
}

func (s span) in(str string) string {
	off := s.off()
	return str[off : off+s.len()]
}

func (s span) off() int { return int(s & spanMaxOff) }
func (s span) len() int { return int(s >> 24) }

// noRef marks an absent département or région in a rec.
const noRef = 0xFF

// rec is the compact in-memory form of a Territory (32 bytes).
type rec struct {
	code, siren, name span // in Index.blob; an EPCI's siren is its code
	norm              span // the normalized name, in Index.norm
	pop               uint32
	kind              Kind
	dep, reg          uint8 // index within the département / région range, or noRef
	zone              uint8 // index in zonesList
	typ               uint8 // index in epciTypes
	// grp holds, for a commune, the index within the EPCI range of its EPCI
	// à fiscalité propre ([0]) and of its EPT ([1]), -1 for none.
	grp [2]int16
}

// sirenRef maps a SIREN, held as a number, to its record.
type sirenRef struct {
	siren uint32
	rec   int32
}

// Index is the decoded reference data. It is immutable once Load returns it,
// so it is safe for concurrent use.
type Index struct {
	blob   string // the decompressed data file; every string returned is a substring of it
	norm   string // the normalized names, in record order, each followed by '\n'
	recs   []rec
	ranges [kindCount]struct{ lo, hi int } // recs[lo:hi] hold one Kind, sorted by code
	sirens []sirenRef                      // communes and EPCIs, sorted by SIREN
	// members locates, for each EPCI (by index within its range), its
	// member list in blob; it is parsed again on demand rather than kept
	// as a slice per EPCI.
	members []struct{ off, end uint32 }
	// wordIdx and wordGroup index the words of the normalized names for
	// Search; see words.go.
	wordIdx   []uint32
	wordGroup []uint32
	src       Source
}

// Load decodes the embedded data. It takes a few tens of milliseconds and a few
// megabytes: call it once and keep the Index.
func Load() (*Index, error) {
	x, err := parse(embedded)
	if err != nil {
		return nil, fmt.Errorf("territory: embedded data: %w", err)
	}
	return x, nil
}

// maxBlob bounds the decompressed size: spans address 16 MiB, and the real
// file is about 1.6 MB.
const maxBlob = spanMaxOff

func parse(gz string) (*Index, error) {
	zr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	var b strings.Builder
	// A gzip stream ends with the uncompressed size (mod 2^32, little
	// endian): growing once to it spares the builder's repeated copies.
	if n := len(gz); n >= 4 {
		size := int(gz[n-4]) | int(gz[n-3])<<8 | int(gz[n-2])<<16 | int(gz[n-1])<<24
		b.Grow(min(size, maxBlob) + 1)
	}
	// Reading to EOF makes the gzip reader verify the checksum.
	if _, err := io.Copy(&b, io.LimitReader(zr, maxBlob+1)); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if b.Len() > maxBlob {
		return nil, errors.New("data file too large")
	}
	return parseTSV(b.String())
}

// field is a byte range of the blob.
type field struct{ off, end int }

// parser walks the blob line by line.
type parser struct {
	x    *Index
	pos  int // start of the next line
	line int // number of the current line, for errors
	f    [10]field
	nf   int
	nb   []byte // normalized names being built
}

// next splits the next line into p.f; it reports false at the end.
func (p *parser) next() (bool, error) {
	blob := p.x.blob
	if p.pos >= len(blob) {
		return false, nil
	}
	end := strings.IndexByte(blob[p.pos:], '\n')
	if end < 0 {
		return false, fmt.Errorf("line %d: no final newline", p.line+1)
	}
	end += p.pos
	p.line++
	p.nf = 0
	for start := p.pos; ; {
		i := strings.IndexByte(blob[start:end], '\t')
		if p.nf == len(p.f) {
			return false, fmt.Errorf("line %d: too many fields", p.line)
		}
		if i < 0 {
			p.f[p.nf] = field{start, end}
			p.nf++
			break
		}
		p.f[p.nf] = field{start, start + i}
		p.nf++
		start += i + 1
	}
	p.pos = end + 1
	return true, nil
}

func (p *parser) str(i int) string { return p.x.blob[p.f[i].off:p.f[i].end] }

func (p *parser) span(i int) (span, error) {
	s, err := makeSpan(p.f[i].off, p.f[i].end-p.f[i].off)
	if err != nil {
		return 0, fmt.Errorf("line %d: %w", p.line, err)
	}
	return s, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", p.line, fmt.Sprintf(format, args...))
}

// sectionKind gives the Kind of a record letter and the rank its section must
// come in (the order of "RDCE"), the number of fields of its lines and the
// field holding the population; kind 0 for an unknown letter.
func sectionKind(letter string) (k Kind, rank, fields, pop int) {
	switch letter {
	case "R":
		return KindRegion, 1, 5, 4
	case "D":
		return KindDepartement, 2, 6, 5
	case "C":
		return KindCommune, 3, 6, 5
	case "E":
		return KindEPCI, 4, 9, 7
	}
	return 0, 0, 0, 0
}

func parseTSV(blob string) (*Index, error) {
	x := &Index{blob: blob}
	p := &parser{x: x}
	if err := p.header(); err != nil {
		return nil, err
	}
	s := &x.src
	x.recs = make([]rec, 0, s.Regions+s.Departements+s.Communes+s.EPCIs)
	x.sirens = make([]sirenRef, 0, s.Communes+s.EPCIs)
	// Names take about a third of the file; this usually avoids regrowing.
	p.nb = make([]byte, 0, len(blob)/2)
	curRank := 0
	lastDep := -1 // communes come grouped by département: cache the last one
	for {
		ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		k, rank, nf, popField := sectionKind(p.str(0))
		if k == 0 {
			return nil, p.errorf("unknown record type %q", p.str(0))
		}
		if rank != curRank {
			if rank < curRank {
				return nil, p.errorf("%s records out of order", k)
			}
			curRank = rank
			x.ranges[k] = struct{ lo, hi int }{len(x.recs), len(x.recs)}
		}
		if p.nf != nf {
			return nil, p.errorf("%d fields, want %d", p.nf, nf)
		}
		r := rec{kind: k, dep: noRef, reg: noRef, grp: [2]int16{-1, -1}}
		if r.code, err = p.span(1); err != nil {
			return nil, err
		}
		if r.name, err = p.span(2); err != nil {
			return nil, err
		}
		if rg := x.ranges[k]; rg.hi > rg.lo && r.code.in(blob) <= x.recs[rg.hi-1].code.in(blob) {
			return nil, p.errorf("%s %q not sorted after %q", k, r.code.in(blob), x.recs[rg.hi-1].code.in(blob))
		}
		switch k {
		case KindRegion:
			if r.zone, err = p.zone(3); err != nil {
				return nil, err
			}
			r.reg, err = p.selfRef(k)
		case KindDepartement:
			if r.reg, err = p.ref(KindRegion, 3); err != nil {
				return nil, err
			}
			if r.zone, err = p.zone(4); err != nil {
				return nil, err
			}
			r.dep, err = p.selfRef(k)
		case KindCommune:
			// An empty field leaves siren at 0, the "no SIREN" span.
			if p.f[3].end > p.f[3].off {
				if r.siren, err = p.span(3); err != nil {
					return nil, err
				}
			}
			code := p.str(4)
			if lastDep < 0 || x.recs[lastDep].code.in(blob) != code {
				i, ok := x.find(KindDepartement, code)
				if !ok {
					return nil, p.errorf("unknown département %q", code)
				}
				lastDep = i
			}
			d := x.recs[lastDep]
			r.dep, r.reg, r.zone = d.dep, d.reg, d.zone
		case KindEPCI:
			r.siren = r.code
			if r.typ, err = p.epciType(3); err != nil {
				return nil, err
			}
			if r.dep, err = p.ref(KindDepartement, 4); err != nil {
				return nil, err
			}
			if r.reg, err = p.ref(KindRegion, 5); err != nil {
				return nil, err
			}
			if r.zone, err = p.zone(6); err != nil {
				return nil, err
			}
			m := p.f[8]
			if m.end == m.off {
				return nil, p.errorf("EPCI without members")
			}
			x.members = append(x.members, struct{ off, end uint32 }{uint32(m.off), uint32(m.end)})
		}
		if err != nil {
			return nil, err
		}
		pop, err := strconv.ParseUint(p.str(popField), 10, 32)
		if err != nil {
			return nil, p.errorf("population: %v", err)
		}
		r.pop = uint32(pop)
		if r.siren != 0 {
			n, ok := parseSIREN(r.siren.in(blob))
			if !ok {
				return nil, p.errorf("malformed SIREN %q", r.siren.in(blob))
			}
			x.sirens = append(x.sirens, sirenRef{n, int32(len(x.recs))})
		}
		off := len(p.nb)
		p.nb = appendNormalized(p.nb, r.name.in(blob))
		if r.norm, err = makeSpan(off, len(p.nb)-off); err != nil {
			return nil, p.errorf("normalized name: %v", err)
		}
		// A newline, which Normalize never produces, ends every name so
		// that Search can scan all names at once (see Index.scan).
		p.nb = append(p.nb, '\n')
		x.recs = append(x.recs, r)
		x.ranges[k].hi = len(x.recs)
	}
	x.norm = string(p.nb)
	if len(x.recs) >= 1<<24 {
		return nil, errors.New("too many records for the word index")
	}
	x.buildWords()
	for k, want := range map[Kind]int{KindRegion: s.Regions, KindDepartement: s.Departements, KindCommune: s.Communes, KindEPCI: s.EPCIs} {
		if got := x.Len(k); got != want {
			return nil, fmt.Errorf("%d %s records, header says %d", got, k, want)
		}
	}
	if err := x.linkMembers(); err != nil {
		return nil, err
	}
	slices.SortFunc(x.sirens, func(a, b sirenRef) int { return cmp.Compare(a.siren, b.siren) })
	for i := 1; i < len(x.sirens); i++ {
		if x.sirens[i].siren == x.sirens[i-1].siren {
			return nil, fmt.Errorf("SIREN %09d appears twice", x.sirens[i].siren)
		}
	}
	return x, nil
}

// header reads the "#territory" line and the "#count" lines.
func (p *parser) header() error {
	ok, err := p.next()
	if err != nil {
		return err
	}
	if !ok || p.nf != 5 || p.str(0) != "#territory" {
		return errors.New("not a territory data file")
	}
	if v := p.str(1); v != formatVersion {
		return fmt.Errorf("format version %q, want %q", v, formatVersion)
	}
	s := &p.x.src
	s.Package, s.Version, s.Date = p.str(2), p.str(3), p.str(4)
	for range 4 {
		ok, err := p.next()
		if err != nil {
			return err
		}
		if !ok || p.nf != 3 || p.str(0) != "#count" {
			return p.errorf("want a #count line")
		}
		n, err := strconv.Atoi(p.str(2))
		if err != nil || n < 0 {
			return p.errorf("bad count %q", p.str(2))
		}
		var k Kind
		if err := k.UnmarshalText([]byte(p.str(1))); err != nil {
			return p.errorf("%v", err)
		}
		switch k {
		case KindRegion:
			s.Regions = n
		case KindDepartement:
			s.Departements = n
		case KindCommune:
			s.Communes = n
		case KindEPCI:
			s.EPCIs = n
		}
	}
	// The compact record addresses départements and régions with a byte and
	// EPCIs with an int16.
	if s.Regions >= noRef || s.Departements >= noRef || s.EPCIs > 1<<15-1 {
		return errors.New("too many régions, départements or EPCIs for the index")
	}
	return nil
}

// selfRef is the index a département or région record gets within its own
// range, which is how it refers to itself as its Departement or Region.
func (p *parser) selfRef(k Kind) (uint8, error) {
	i := len(p.x.recs) - p.x.ranges[k].lo
	if i >= noRef {
		return 0, p.errorf("too many %s records", k)
	}
	return uint8(i), nil
}

// ref resolves field i, a code of kind k (département or région) or "",
// to its index within k's range.
func (p *parser) ref(k Kind, i int) (uint8, error) {
	code := p.str(i)
	if code == "" {
		return noRef, nil
	}
	j, ok := p.x.find(k, code)
	if !ok {
		return 0, p.errorf("unknown %s %q", k, code)
	}
	return uint8(j - p.x.ranges[k].lo), nil
}

func (p *parser) zone(i int) (uint8, error) {
	z := Zone(p.str(i))
	if n := slices.Index(zonesList[:], z); n >= 0 {
		return uint8(n), nil
	}
	return 0, p.errorf("unknown zone %q", z)
}

func (p *parser) epciType(i int) (uint8, error) {
	t := EPCIType(p.str(i))
	if n := slices.Index(epciTypes[:], t); n > 0 {
		return uint8(n), nil
	}
	return 0, p.errorf("unknown EPCI type %q", t)
}

// linkMembers records in each commune the EPCIs it belongs to, and checks
// that every member is a known commune belonging to at most one EPCI à
// fiscalité propre and one EPT.
func (x *Index) linkMembers() error {
	lo := x.ranges[KindEPCI].lo
	for i, m := range x.members {
		e := &x.recs[lo+i]
		slot := 0
		if !epciTypes[e.typ].FiscalitePropre() {
			slot = 1
		}
		var err error
		prev := x.ranges[KindCommune].lo
		x.eachMember(m.off, m.end, func(code string) bool {
			c, ok := x.findFrom(KindCommune, code, prev)
			prev = c
			if !ok {
				err = fmt.Errorf("EPCI %s: unknown member %q", e.code.in(x.blob), code)
				return false
			}
			if g := x.recs[c].grp[slot]; g >= 0 {
				err = fmt.Errorf("commune %s is a member of both EPCI %s and %s", code,
					x.recs[lo+int(g)].code.in(x.blob), e.code.in(x.blob))
				return false
			}
			x.recs[c].grp[slot] = int16(i)
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// findFrom is find for a code known to sort at or after record from, as the
// members of an EPCI do, listed in code order: it gallops forward from there,
// since members mostly lie close together in one département, which makes
// linking the 35,000 memberships several times cheaper than a full binary
// search each.
func (x *Index) findFrom(k Kind, code string, from int) (int, bool) {
	rg := x.ranges[k]
	if from < rg.lo || from >= rg.hi || x.recs[from].code.in(x.blob) > code {
		return x.find(k, code)
	}
	lo, step := from, 1
	for lo+step < rg.hi && x.recs[lo+step].code.in(x.blob) <= code {
		lo += step
		step *= 2
	}
	hi := min(lo+step, rg.hi)
	i, ok := slices.BinarySearchFunc(x.recs[lo:hi], code, func(r rec, code string) int {
		return strings.Compare(r.code.in(x.blob), code)
	})
	return lo + i, ok
}

// eachMember calls fn with each code of the comma-separated list at
// blob[off:end], until fn returns false.
func (x *Index) eachMember(off, end uint32, fn func(code string) bool) {
	list := x.blob[off:end]
	for list != "" {
		code, rest, _ := strings.Cut(list, ",")
		if !fn(code) {
			return
		}
		list = rest
	}
}

// parseSIREN reads a nine-digit SIREN.
func parseSIREN(s string) (uint32, bool) {
	if len(s) != 9 {
		return 0, false
	}
	var n uint32
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint32(c-'0')
	}
	return n, true
}
