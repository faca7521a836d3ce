package model

import (
	"time"

	"github.com/uptrace/bun"
)

// ResourceKind is what sort of document a resource is.
type ResourceKind string

const (
	KindGuide        ResourceKind = "guide"
	KindProcurement  ResourceKind = "procurement_template" // a template for public procurement (CCTP, RC…)
	KindDeliberation ResourceKind = "deliberation"         // a council's deliberation
	KindStudy        ResourceKind = "study"
	KindSlides       ResourceKind = "slides"
	KindVideo        ResourceKind = "video"
	KindLink         ResourceKind = "link"
)

// ResourceKinds lists every kind, in display order.
var ResourceKinds = []ResourceKind{KindGuide, KindProcurement, KindDeliberation, KindStudy, KindSlides, KindVideo, KindLink}

// Valid reports whether k is a known kind.
func (k ResourceKind) Valid() bool {
	for _, x := range ResourceKinds {
		if k == x {
			return true
		}
	}
	return false
}

// Licences of resources, by SPDX identifier where SPDX has one.
const (
	LicenceEtalab2   = "etalab-2.0" // Licence Ouverte 2.0, the default of French public information
	LicenceCCBY4     = "CC-BY-4.0"
	LicenceCCBYSA4   = "CC-BY-SA-4.0"
	LicenceCC0       = "CC0-1.0"
	LicenceODbL1     = "ODbL-1.0"            // for data sets
	LicenceReserved  = "all-rights-reserved" // no SPDX id: a document that is not open
	DefaultLicenceID = LicenceEtalab2
)

// Licences lists every licence a resource may carry, in display order.
var Licences = []string{LicenceEtalab2, LicenceCCBY4, LicenceCCBYSA4, LicenceCC0, LicenceODbL1, LicenceReserved}

// ValidLicence reports whether id is a known licence.
func ValidLicence(id string) bool {
	for _, x := range Licences {
		if id == x {
			return true
		}
	}
	return false
}

// Resource is a document, template or link shared in a collective, or in
// one of its working groups (whose visibility it then follows).
type Resource struct {
	bun.BaseModel `bun:"table:resources"`

	ID           string       `bun:"id,pk"`
	CollectiveID string       `bun:"collective_id"`
	GroupID      string       `bun:"group_id,nullzero"`
	AuthorID     string       `bun:"author_id,nullzero"` // null once the author's account row is gone
	Title        string       `bun:"title"`
	Summary      string       `bun:"summary"`
	Body         string       `bun:"body"` // Markdown
	Kind         ResourceKind `bun:"kind"`
	Licence      string       `bun:"licence"`
	Link         string       `bun:"link,nullzero"`        // http(s) URL: the page of a link, the video of a video
	SoftwareID   string       `bun:"software_id,nullzero"` // the catalog's tool this resource is about
	CreatedAt    time.Time    `bun:"created_at"`
	UpdatedAt    time.Time    `bun:"updated_at"`
}

// ResourceTag is one tag of a resource (normalized: lower case, no spaces).
type ResourceTag struct {
	bun.BaseModel `bun:"table:resource_tags"`

	ResourceID string `bun:"resource_id,pk"`
	Tag        string `bun:"tag,pk"`
}

// StoredFile is an uploaded file's content, stored once under the uploads
// directory by its SHA-256 whatever the number of attachments using it.
type StoredFile struct {
	bun.BaseModel `bun:"table:resource_files"`

	SHA256    string    `bun:"sha256,pk"` // hex
	Size      int64     `bun:"size"`
	Text      string    `bun:"text"` // extracted plain text, for search (text formats only)
	CreatedAt time.Time `bun:"created_at"`
}

// Attachment is a file joined to a resource.
type Attachment struct {
	bun.BaseModel `bun:"table:resource_attachments,alias:a"`

	ID         string `bun:"id,pk"`
	ResourceID string `bun:"resource_id"`
	SHA256     string `bun:"sha256"`
	Name       string `bun:"name"` // the sanitized file name, for display and download
	// ContentType is sniffed from the content, never taken from the
	// client; it is the attachment's, not the stored file's, because the
	// name tells Markdown and CSV from plain text.
	ContentType string    `bun:"content_type"`
	CreatedAt   time.Time `bun:"created_at"`

	// Size is the stored file's, filled by reads that join it.
	Size int64 `bun:"size,scanonly"`
}
