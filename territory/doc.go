// Package territory holds the reference data of French collectivities, embedded
// in the binary: every current commune, département and région, and every
// intercommunal body — the EPCI à fiscalité propre (communautés de communes,
// d'agglomération, urbaines, métropoles, Métropole de Lyon) and the
// établissements publics territoriaux of the Métropole du Grand Paris — with
// INSEE code or SIREN, name, population, département and région, and the
// member communes of each intercommunal body. Overseas départements, régions
// and collectivities are included.
//
// The data comes from the npm package @etalab/decoupage-administratif, whose
// data (INSEE's Code officiel géographique and légal populations, DGCL's list
// of EPCIs) is published under the Licence Ouverte. A committed generator
// (internal/gen, run by `go generate`) fetches a pinned version with
// `npm pack` and writes data/territories.tsv.gz, which is committed and
// embedded, so neither building nor running the hub needs npm or a network.
// data/SOURCE.md records the version, the licence and what was kept.
//
// Load decodes the embedded file into an Index, which answers lookups by code
// (Commune, Departement, Region, EPCI, BySIREN) and accent-, case- and
// punctuation-insensitive name searches (Search). The caller keeps the Index:
// the package has no global state. Normalize is exported so that other
// packages match names the same way.
//
// The package imports nothing from the collectif module, only the standard
// library and golang.org/x/text.
package territory

//go:generate go run ./internal/gen
