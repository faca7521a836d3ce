package territory

import (
	"fmt"
)

// Kind is the kind of a territory.
type Kind uint8

// The kinds of territory. The zero Kind is invalid, so that a zero Territory
// is recognisably "not found".
const (
	KindCommune Kind = iota + 1
	KindDepartement
	KindRegion
	KindEPCI // any intercommunal body; Territory.EPCIType tells which
)

// kindCount bounds arrays indexed by Kind.
const kindCount = int(KindEPCI) + 1

var kindNames = [kindCount]string{"", "commune", "departement", "region", "epci"}

// String returns the kind's stable lower-case name ("commune", "departement",
// "region", "epci"), the same one MarshalText writes.
func (k Kind) String() string {
	if int(k) < kindCount && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MarshalText writes the kind's name, so that it reads well in JSON and in the
// database rather than as a number that would change if kinds were reordered.
func (k Kind) MarshalText() ([]byte, error) {
	if int(k) >= kindCount || k == 0 {
		return nil, fmt.Errorf("territory: invalid kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads a name written by MarshalText.
func (k *Kind) UnmarshalText(b []byte) error {
	for i := 1; i < kindCount; i++ {
		if string(b) == kindNames[i] {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("territory: unknown kind %q", b)
}

// EPCIType is the legal nature of an intercommunal body, as coded by the DGCL
// and INSEE.
type EPCIType string

// The legal natures present in the data.
const (
	EPCICC            EPCIType = "CC"    // communauté de communes
	EPCICA            EPCIType = "CA"    // communauté d'agglomération
	EPCICU            EPCIType = "CU"    // communauté urbaine
	EPCIMetropole     EPCIType = "METRO" // métropole
	EPCIMetropoleLyon EPCIType = "MET69" // Métropole de Lyon, a collectivity with special status
	EPCIEPT           EPCIType = "EPT"   // établissement public territorial (Grand Paris)
)

// epciTypes gives each known nature a small number for the compact in-memory
// record; index 0 is "none" (not an EPCI). internal/gen keeps a copy of this
// list: the data file cannot hold a nature the loader does not know.
var epciTypes = [...]EPCIType{"", EPCICC, EPCICA, EPCICU, EPCIMetropole, EPCIMetropoleLyon, EPCIEPT}

// Label returns the French name of the legal nature, for display.
func (t EPCIType) Label() string {
	switch t {
	case EPCICC:
		return "communauté de communes"
	case EPCICA:
		return "communauté d'agglomération"
	case EPCICU:
		return "communauté urbaine"
	case EPCIMetropole:
		return "métropole"
	case EPCIMetropoleLyon:
		return "Métropole de Lyon"
	case EPCIEPT:
		return "établissement public territorial"
	}
	return string(t)
}

// FiscalitePropre reports whether the body levies its own taxes (EPCI à
// fiscalité propre). Every commune belongs to at most one such body; the EPTs
// of the Grand Paris are the exception in the data, nested inside the
// Métropole du Grand Paris.
func (t EPCIType) FiscalitePropre() bool {
	return t != "" && t != EPCIEPT
}

// Zone tells metropolitan France from overseas, as the source data does.
type Zone string

// The zones.
const (
	ZoneMetro Zone = "metro" // metropolitan France, Corsica included
	ZoneDROM  Zone = "drom"  // overseas départements and régions (971–974, 976)
	ZoneCOM   Zone = "com"   // overseas collectivities (975, 977, 978, 984, 986–989)
)

var zonesList = [...]Zone{"", ZoneMetro, ZoneDROM, ZoneCOM}

// Territory is one collectivity or intercommunal body. Its strings share the
// Index's memory, so returning one allocates nothing.
type Territory struct {
	Kind Kind
	// Code is the INSEE code of a commune ("38151", "2A004"), département
	// ("38", "2A", "974") or région ("84", "04"), and the SIREN of an EPCI.
	// Codes of different kinds overlap in form (région 84, département 84),
	// so a code means something only with its Kind.
	Code string
	// SIREN is the commune's or EPCI's SIREN, "" when the data has none
	// (départements, régions, communes of the overseas collectivities).
	SIREN string
	Name  string
	// Population is the légal population given by the source for communes,
	// the municipal population for EPCIs, and the sum of their communes'
	// for départements and régions; 0 when unknown.
	Population int
	// Departement and Region are codes. A département's Departement is its
	// own code and a région's Region its own. An EPCI has them only when all
	// its member communes share them.
	Departement string
	Region      string
	// EPCIType is the legal nature of an EPCI, "" for other kinds.
	EPCIType EPCIType
	// Zone is metropolitan, overseas département/région, or overseas
	// collectivity; "" for an EPCI whose members span several.
	Zone Zone
}

// Source describes where the embedded data comes from, as recorded in the data
// file's header by the generator.
type Source struct {
	Package string // npm package name
	Version string // its version
	Date    string // date of the package's data files, YYYY-MM-DD
	// Counts of records per kind, as counted by the generator from the package
	// files; Load checks that it read exactly these.
	Communes, Departements, Regions, EPCIs int
}
