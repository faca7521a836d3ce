package catalog

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"collectif/fault"
)

// Attribution is the credit the SILL's licence (Licence Ouverte 2.0)
// requires wherever its data is shown or redistributed.
const Attribution = "DINUM – Socle interministériel de logiciels libres, 2022-05-10 (Licence Ouverte 2.0), https://code.gouv.fr/sill/"

// OpenSoftware is a software entry of the open data: no personal data.
type OpenSoftware struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	Website     string   `json:"website"`
	Repository  string   `json:"repository"`
	Licence     string   `json:"licence"`
	Logo        string   `json:"logo_url"`
	Categories  []string `json:"categories"`
	Replaces    []string `json:"replaces"`
	WikidataID  string   `json:"wikidata_id"`
	SILLID      string   `json:"sill_id"`
	ComptoirID  string   `json:"comptoir_du_libre_id"`
	Users       int      `json:"organizations_using"`
	Agents      int64    `json:"declared_agents"`
	Savings     int64    `json:"declared_yearly_savings_eur"`
}

// Open turns an item into its open-data form.
func Open(it Item) OpenSoftware {
	o := OpenSoftware{ID: it.ID, Slug: it.Slug, Name: it.Name, Summary: it.Summary, Description: it.Description, Website: it.Website,
		Repository: it.Repository, Licence: it.Licence, Logo: it.LogoURL, Categories: it.Categories, Replaces: it.Replaces,
		WikidataID: it.WikidataID, SILLID: it.SILLID, ComptoirID: it.ComptoirID, Users: it.Users, Agents: it.Agents, Savings: it.Savings}
	if o.Categories == nil {
		o.Categories = []string{}
	}
	if o.Replaces == nil {
		o.Replaces = []string{}
	}
	return o
}

// OpenUsage is a usage declaration of the open data: the organization
// (a public body) and what it declared; never the contact person, nor who
// declared it — only whether a contact accepts questions.
type OpenUsage struct {
	ID               string    `json:"id"`
	Software         string    `json:"software"`
	SoftwareName     string    `json:"software_name"`
	OrganizationID   string    `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	OrganizationKind string    `json:"organization_kind"`
	Region           string    `json:"region"`
	Departement      string    `json:"departement"`
	SinceYear        *int      `json:"since_year"`
	Scope            *int      `json:"scope"`
	Hosting          string    `json:"hosting"`
	Version          string    `json:"version"`
	SavingsEUR       *int64    `json:"yearly_savings_eur"`
	Testimonial      string    `json:"testimonial"`
	HasContact       bool      `json:"has_contact"`
	UpdatedAt        time.Time `json:"updated_at"`
	// Origin is the hub where it was declared when received through
	// federation ("" when declared here), OriginURL its page there.
	Origin    string `json:"origin"`
	OriginURL string `json:"origin_url,omitempty"`
}

// OpenUsageOf turns a declaration into its open-data form.
func OpenUsageOf(u UsageItem) OpenUsage {
	o := OpenUsage{ID: u.ID, Software: u.SoftwareSlug, SoftwareName: u.SoftwareName, OrganizationID: u.OrganizationID,
		OrganizationName: u.OrganizationName, OrganizationKind: string(u.OrganizationKind), Region: u.Region, Departement: u.Departement,
		Hosting: string(u.Hosting), Version: u.Version, SavingsEUR: u.SavingsEUR, Testimonial: u.Testimonial, HasContact: u.ContactID != "", UpdatedAt: u.UpdatedAt,
		Origin: u.Origin, OriginURL: u.RemoteURL}
	if u.SinceYear != 0 {
		o.SinceYear = &u.SinceYear
	}
	if u.Scope != 0 {
		o.Scope = &u.Scope
	}
	return o
}

// AllSoftware returns every entry, by name, in its open-data form.
func (s *Service) AllSoftware(ctx context.Context) ([]OpenSoftware, error) {
	var items []Item
	if err := s.itemQuery(s.db.R).OrderExpr("s.name_norm, s.id").Scan(ctx, &items); err != nil {
		return nil, fault.Wrap("catalog.AllSoftware", err)
	}
	if err := s.loadFacets(ctx, s.db.R, items); err != nil {
		return nil, fault.Wrap("catalog.AllSoftware", err)
	}
	out := make([]OpenSoftware, len(items))
	for i, it := range items {
		out[i] = Open(it)
	}
	return out, nil
}

// AllUsages returns every visible declaration in its open-data form;
// software (an ID or slug), when set, restricts them to one software.
func (s *Service) AllUsages(ctx context.Context, software string) ([]OpenUsage, error) {
	const op = "catalog.AllUsages"
	q := s.usageQuery(s.db.R).Where(visible)
	if software != "" {
		it, err := s.find(ctx, s.db.R, software)
		if err != nil {
			return nil, notFound(op)
		}
		q = q.Where("u.software_id = ?", it.ID)
	}
	var us []UsageItem
	if err := q.OrderExpr("sw.name_norm, o.name, u.id").Scan(ctx, &us); err != nil {
		return nil, fault.Wrap(op, err)
	}
	out := make([]OpenUsage, len(us))
	for i, u := range us {
		out[i] = OpenUsageOf(u)
	}
	return out, nil
}

// WriteSoftwareCSV writes the catalog as CSV (UTF-8, comma-separated,
// lists joined with "; ").
func (s *Service) WriteSoftwareCSV(ctx context.Context, w io.Writer) error {
	all, err := s.AllSoftware(ctx)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "slug", "name", "summary", "website", "repository", "licence", "categories", "replaces", "wikidata_id", "sill_id", "comptoir_du_libre_id", "organizations_using", "declared_agents", "declared_yearly_savings_eur"})
	for _, o := range all {
		cw.Write([]string{o.ID, o.Slug, o.Name, o.Summary, o.Website, o.Repository, o.Licence, strings.Join(o.Categories, "; "), strings.Join(o.Replaces, "; "),
			o.WikidataID, o.SILLID, o.ComptoirID, strconv.Itoa(o.Users), strconv.FormatInt(o.Agents, 10), strconv.FormatInt(o.Savings, 10)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteUsagesCSV writes the visible declarations as CSV, without any
// personal data.
func (s *Service) WriteUsagesCSV(ctx context.Context, w io.Writer) error {
	all, err := s.AllUsages(ctx, "")
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "software", "software_name", "organization_id", "organization_name", "organization_kind", "region", "departement", "since_year", "scope", "hosting", "version", "yearly_savings_eur", "testimonial", "has_contact", "updated_at"})
	num := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	for _, o := range all {
		sav := ""
		if o.SavingsEUR != nil {
			sav = strconv.FormatInt(*o.SavingsEUR, 10)
		}
		cw.Write([]string{o.ID, o.Software, o.SoftwareName, o.OrganizationID, o.OrganizationName, o.OrganizationKind, o.Region, o.Departement,
			num(o.SinceYear), num(o.Scope), o.Hosting, o.Version, sav, o.Testimonial, strconv.FormatBool(o.HasContact), o.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}
