package territory

import (
	"iter"
	"slices"
	"strings"
)

// territory materializes record i. Its strings are substrings of the blob, so
// this does not allocate.
func (x *Index) territory(i int) Territory {
	r := &x.recs[i]
	t := Territory{
		Kind:       r.kind,
		Code:       r.code.in(x.blob),
		SIREN:      r.siren.in(x.blob),
		Name:       r.name.in(x.blob),
		Population: int(r.pop),
		EPCIType:   epciTypes[r.typ],
		Zone:       zonesList[r.zone],
	}
	if r.dep != noRef {
		t.Departement = x.recs[x.ranges[KindDepartement].lo+int(r.dep)].code.in(x.blob)
	}
	if r.reg != noRef {
		t.Region = x.recs[x.ranges[KindRegion].lo+int(r.reg)].code.in(x.blob)
	}
	return t
}

// find returns the index of the record of kind k with the given code.
func (x *Index) find(k Kind, code string) (int, bool) {
	if int(k) >= kindCount {
		return 0, false
	}
	rg := x.ranges[k]
	i, ok := slices.BinarySearchFunc(x.recs[rg.lo:rg.hi], code, func(r rec, code string) int {
		return strings.Compare(r.code.in(x.blob), code)
	})
	return rg.lo + i, ok
}

func (x *Index) lookup(k Kind, code string) (Territory, bool) {
	i, ok := x.find(k, cleanCode(code))
	if !ok {
		return Territory{}, false
	}
	return x.territory(i), true
}

// cleanCode tolerates what people paste: surrounding or inner spaces, and a
// lower-case Corsican "2a"/"2b". It allocates only when it changes something.
func cleanCode(s string) string {
	clean := true
	for i := range len(s) {
		if c := s[i]; c == ' ' || ('a' <= c && c <= 'z') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.ToUpper(strings.ReplaceAll(s, " ", ""))
}

// Commune returns the current commune with this INSEE code ("38151",
// "2A004", "97411").
func (x *Index) Commune(insee string) (Territory, bool) { return x.lookup(KindCommune, insee) }

// Departement returns the département with this code ("38", "2A", "974"); the
// overseas collectivities (975, 977, 978, 984, 986–989) are listed as
// départements too, with Zone ZoneCOM.
func (x *Index) Departement(code string) (Territory, bool) { return x.lookup(KindDepartement, code) }

// Region returns the région with this INSEE code ("84"; overseas régions are
// "01" to "06", overseas collectivities their three-digit code).
func (x *Index) Region(code string) (Territory, bool) { return x.lookup(KindRegion, code) }

// EPCI returns the intercommunal body with this SIREN.
func (x *Index) EPCI(siren string) (Territory, bool) { return x.lookup(KindEPCI, siren) }

// ByCode returns the territory of the given kind and code. A code alone is
// ambiguous (région 84 and département 84 both exist), hence the kind.
func (x *Index) ByCode(kind Kind, code string) (Territory, bool) { return x.lookup(kind, code) }

// BySIREN returns the commune or EPCI with this SIREN. A 14-digit SIRET is
// accepted too and resolved to its SIREN (its first nine digits), so that an
// establishment number from an invoice or a directory finds its organization.
func (x *Index) BySIREN(siren string) (Territory, bool) {
	s := cleanCode(siren)
	if len(s) == 14 && isDigits(s) {
		s = s[:9]
	}
	i, ok := x.sirenRec(s)
	if !ok {
		return Territory{}, false
	}
	return x.territory(i), true
}

// DepartementName returns the name of the département with this code, "" if
// there is none: for display next to a commune.
func (x *Index) DepartementName(code string) string {
	if i, ok := x.find(KindDepartement, cleanCode(code)); ok {
		return x.recs[i].name.in(x.blob)
	}
	return ""
}

// RegionName returns the name of the région with this code, "" if there is
// none.
func (x *Index) RegionName(code string) string {
	if i, ok := x.find(KindRegion, cleanCode(code)); ok {
		return x.recs[i].name.in(x.blob)
	}
	return ""
}

// Members returns the member communes of the EPCI with this SIREN, in INSEE
// code order; nil if there is no such EPCI.
func (x *Index) Members(siren string) []Territory {
	i, ok := x.find(KindEPCI, cleanCode(siren))
	if !ok {
		return nil
	}
	m := x.members[i-x.ranges[KindEPCI].lo]
	var out []Territory
	x.eachMember(m.off, m.end, func(code string) bool {
		// Load checked that every member exists.
		if c, ok := x.find(KindCommune, code); ok {
			out = append(out, x.territory(c))
		}
		return true
	})
	return out
}

// MemberOf returns the intercommunal bodies the commune with this INSEE code
// belongs to: its EPCI à fiscalité propre first, then, in the Grand Paris, its
// établissement public territorial. Four island communes belong to none.
func (x *Index) MemberOf(insee string) []Territory {
	c, ok := x.find(KindCommune, cleanCode(insee))
	if !ok {
		return nil
	}
	var out []Territory
	for _, g := range x.recs[c].grp {
		if g >= 0 {
			out = append(out, x.territory(x.ranges[KindEPCI].lo+int(g)))
		}
	}
	return out
}

// EPCIOf returns the EPCI à fiscalité propre of the commune with this INSEE
// code — the one a hub shows as "member of …".
func (x *Index) EPCIOf(insee string) (Territory, bool) {
	c, ok := x.find(KindCommune, cleanCode(insee))
	if !ok || x.recs[c].grp[0] < 0 {
		return Territory{}, false
	}
	return x.territory(x.ranges[KindEPCI].lo + int(x.recs[c].grp[0])), true
}

// Len returns the number of territories of a kind.
func (x *Index) Len(kind Kind) int {
	if int(kind) >= kindCount {
		return 0
	}
	return x.ranges[kind].hi - x.ranges[kind].lo
}

// All yields every territory of the given kinds (all kinds when none is
// given), kind by kind in the order given, each sorted by code.
func (x *Index) All(kinds ...Kind) iter.Seq[Territory] {
	if len(kinds) == 0 {
		kinds = []Kind{KindCommune, KindDepartement, KindRegion, KindEPCI}
	}
	return func(yield func(Territory) bool) {
		for _, k := range kinds {
			if int(k) >= kindCount {
				continue
			}
			for i := x.ranges[k].lo; i < x.ranges[k].hi; i++ {
				if !yield(x.territory(i)) {
					return
				}
			}
		}
	}
}

// Source describes the origin of the data and the counts its header records.
func (x *Index) Source() Source { return x.src }

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
