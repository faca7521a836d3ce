package model

import (
	"time"

	"github.com/uptrace/bun"
)

// Software is a free-software entry of the catalog.
type Software struct {
	bun.BaseModel `bun:"table:software"`

	ID          string    `bun:"id,pk"`
	Slug        string    `bun:"slug"`
	Name        string    `bun:"name"`
	NameNorm    string    `bun:"name_norm"`
	Summary     string    `bun:"summary"`     // one sentence
	Description string    `bun:"description"` // Markdown
	Function    string    `bun:"function"`    // what it does, as the SILL says it
	Website     string    `bun:"website"`
	Repository  string    `bun:"repository"`
	Licence     string    `bun:"licence"` // SPDX identifier or expression
	LogoURL     string    `bun:"logo_url"`
	WikidataID  string    `bun:"wikidata_id"`
	SILLID      string    `bun:"sill_id,nullzero"`
	SILLStatus  string    `bun:"sill_status"` // R, O, FR
	ComptoirID  string    `bun:"comptoir_id"`
	Origin      string    `bun:"origin,nullzero"` // the hub it was first learnt from; "": local
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// SoftwareCategory files a software under a category of the catalog.
type SoftwareCategory struct {
	bun.BaseModel `bun:"table:software_categories"`

	SoftwareID string `bun:"software_id,pk"`
	Category   string `bun:"category,pk"`
}

// SoftwareReplace is a proprietary product a software replaces.
type SoftwareReplace struct {
	bun.BaseModel `bun:"table:software_replaces"`

	SoftwareID  string `bun:"software_id,pk"`
	Product     string `bun:"product"`
	ProductNorm string `bun:"product_norm,pk"`
}

// ProviderKind is what kind of body a provider is.
type ProviderKind string

const (
	ProviderCompany       ProviderKind = "company"
	ProviderAssociation   ProviderKind = "association"
	ProviderIntercommunal ProviderKind = "intercommunal"
	ProviderPublic        ProviderKind = "public"
)

// Provider offers support or hosting for some software.
type Provider struct {
	bun.BaseModel `bun:"table:providers"`

	ID        string       `bun:"id,pk"`
	Name      string       `bun:"name"`
	NameNorm  string       `bun:"name_norm"`
	Kind      ProviderKind `bun:"kind"`
	Website   string       `bun:"website"`
	CreatedAt time.Time    `bun:"created_at"`
	UpdatedAt time.Time    `bun:"updated_at"`
}

// ProviderSoftware links a provider to a software it supports.
type ProviderSoftware struct {
	bun.BaseModel `bun:"table:provider_software"`

	ProviderID string `bun:"provider_id,pk"`
	SoftwareID string `bun:"software_id,pk"`
}

// PooledInstance is an instance of a software that a body runs for others.
type PooledInstance struct {
	bun.BaseModel `bun:"table:pooled_instances"`

	ID             string    `bun:"id,pk"`
	SoftwareID     string    `bun:"software_id"`
	OrganizationID string    `bun:"organization_id,nullzero"`
	Operator       string    `bun:"operator"` // who runs it
	Audience       string    `bun:"audience"` // who may use it
	URL            string    `bun:"url"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// Hosting says where a software used by an organization runs.
type Hosting string

const (
	HostingInHouse  Hosting = "in_house"
	HostingPooled   Hosting = "pooled" // with other collectivities
	HostingProvider Hosting = "provider"
)

// Usage is an organization's declaration that it runs a software.
type Usage struct {
	bun.BaseModel `bun:"table:software_usages"`

	ID             string    `bun:"id,pk"`
	SoftwareID     string    `bun:"software_id"`
	OrganizationID string    `bun:"organization_id"`
	SinceYear      int       `bun:"since_year,nullzero"`
	Scope          int       `bun:"scope,nullzero"` // agents or users
	Hosting        Hosting   `bun:"hosting"`
	Version        string    `bun:"version"`
	SavingsEUR     *int64    `bun:"savings_eur"` // yearly, declared; nil: not said
	Testimonial    string    `bun:"testimonial"` // Markdown
	ContactID      string    `bun:"contact_id,nullzero"`
	DeclaredBy     string    `bun:"declared_by,nullzero"`
	Hidden         bool      `bun:"hidden"`
	HiddenReason   string    `bun:"hidden_reason"`
	HiddenBy       string    `bun:"hidden_by,nullzero"`
	RemoteID       string    `bun:"remote_id,nullzero"`
	Origin         string    `bun:"origin,nullzero"`
	RemoteURL      string    `bun:"remote_url,nullzero"` // its page at its origin
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}
