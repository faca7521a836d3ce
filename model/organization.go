package model

import (
	"time"

	"github.com/uptrace/bun"
)

// OrgKind is the legal nature of an organization.
type OrgKind string

const (
	OrgCommune     OrgKind = "commune"
	OrgDepartement OrgKind = "departement"
	OrgRegion      OrgKind = "region"
	OrgEPCI        OrgKind = "epci"     // intercommunal body
	OrgOverseas    OrgKind = "overseas" // overseas collectivity (COM, collectivité unique)
	OrgState       OrgKind = "state"    // State agency or ministry
	OrgAssociation OrgKind = "association"
	OrgCompany     OrgKind = "company"
)

// OrgKinds lists every kind, in display order.
var OrgKinds = []OrgKind{OrgCommune, OrgDepartement, OrgRegion, OrgEPCI, OrgOverseas, OrgState, OrgAssociation, OrgCompany}

// Valid reports whether k is a known kind.
func (k OrgKind) Valid() bool {
	for _, x := range OrgKinds {
		if k == x {
			return true
		}
	}
	return false
}

// IsCollectivity reports whether the kind is a local government body.
func (k OrgKind) IsCollectivity() bool {
	switch k {
	case OrgCommune, OrgDepartement, OrgRegion, OrgEPCI, OrgOverseas:
		return true
	}
	return false
}

// Organization is a collectivity, a State agency, an association or a company.
type Organization struct {
	bun.BaseModel `bun:"table:organizations"`

	ID          string    `bun:"id,pk"`
	Kind        OrgKind   `bun:"kind"`
	Name        string    `bun:"name"`
	NameNorm    string    `bun:"name_norm"`           // territory.Normalize(Name), for lookups
	InseeCode   string    `bun:"insee_code,nullzero"` // communes, départements, régions
	SIREN       string    `bun:"siren,nullzero"`
	Departement string    `bun:"departement,nullzero"` // INSEE code of the département
	Region      string    `bun:"region,nullzero"`      // INSEE code of the région
	Population  int       `bun:"population"`
	Website     string    `bun:"website,nullzero"`
	Origin      string    `bun:"origin,nullzero"` // the hub it was first learnt from; "": local
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}
