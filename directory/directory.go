// Package directory holds the organizations of the hub: collectivities
// (taken from the embedded reference data of territory/ the first time they
// are needed), State agencies, associations and companies.
//
// It imports fault/, model/, store/ and territory/.
package directory

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/fault"
	"collectif/model"
	"collectif/store"
	"collectif/territory"
)

// Service runs directory actions.
type Service struct {
	db  *store.DB
	ref *territory.Index
}

// New returns the directory over db, with ref as the reference data.
func New(db *store.DB, ref *territory.Index) *Service { return &Service{db: db, ref: ref} }

// Reference returns the reference data of collectivities.
func (s *Service) Reference() *territory.Index { return s.ref }

// ByID returns an organization.
func (s *Service) ByID(ctx context.Context, id string) (*model.Organization, error) {
	o := new(model.Organization)
	if err := s.db.R.NewSelect().Model(o).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, fault.New(fault.NotFound, "organisation introuvable")
		}
		return nil, fault.Wrap("directory.ByID", err)
	}
	return o, nil
}

// SIRENOf returns the SIREN of a SIRET (its first nine digits), or "" when
// s is not a 14-digit SIRET.
func SIRENOf(siret string) string {
	s := strings.ReplaceAll(siret, " ", "")
	if len(s) != 14 {
		return ""
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s[:9]
}

// EnsureBySIREN returns the organization with this SIREN inside tx,
// creating it from the reference data when it is a known collectivity not
// yet in the directory. It returns fault NotFound when nobody knows it.
func (s *Service) EnsureBySIREN(ctx context.Context, tx bun.IDB, siren string) (*model.Organization, error) {
	o := new(model.Organization)
	err := tx.NewSelect().Model(o).Where("siren = ?", siren).Scan(ctx)
	if err == nil {
		return o, nil
	}
	if !errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, err
	}
	if s.ref == nil {
		return nil, fault.New(fault.NotFound, "organisation inconnue")
	}
	t, ok := s.ref.BySIREN(siren)
	if !ok || t.SIREN != siren {
		return nil, fault.New(fault.NotFound, "organisation inconnue")
	}
	o = FromTerritory(t)
	if _, err := tx.NewInsert().Model(o).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return nil, err
	}
	// Another transaction may have inserted it first: read what is there.
	if err := tx.NewSelect().Model(o).Where("siren = ?", siren).Scan(ctx); err != nil {
		return nil, err
	}
	return o, nil
}

// FromTerritory makes an organization of a collectivity of the reference data.
func FromTerritory(t territory.Territory) *model.Organization {
	now := time.Now().UTC()
	o := &model.Organization{ID: model.NewID(), Name: t.Name, NameNorm: territory.Normalize(t.Name), SIREN: t.SIREN, Departement: t.Departement,
		Region: t.Region, Population: t.Population, CreatedAt: now, UpdatedAt: now}
	switch t.Kind {
	case territory.KindCommune:
		o.Kind, o.InseeCode = model.OrgCommune, t.Code
	case territory.KindDepartement:
		o.Kind, o.InseeCode = model.OrgDepartement, t.Code
	case territory.KindRegion:
		o.Kind, o.InseeCode = model.OrgRegion, t.Code
	case territory.KindEPCI:
		o.Kind = model.OrgEPCI
	}
	if t.Zone == territory.ZoneCOM {
		o.Kind = model.OrgOverseas
	}
	return o
}

// Ensure is EnsureBySIREN in a transaction of its own.
func (s *Service) Ensure(ctx context.Context, siren string) (*model.Organization, error) {
	var o *model.Organization
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		o, err = s.EnsureBySIREN(ctx, tx, siren)
		return err
	})
	if err != nil {
		return nil, fault.Wrap("directory.Ensure", err)
	}
	return o, nil
}

// Hit is an organization found by Search: one of the directory (ID set)
// or a collectivity of the reference data not yet in it (ID empty; it is
// added when a member or a resource first refers to it).
type Hit struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Kind        model.OrgKind `json:"kind"`
	InseeCode   string        `json:"insee_code,omitempty"`
	SIREN       string        `json:"siren,omitempty"`
	Departement string        `json:"departement,omitempty"`
	Region      string        `json:"region,omitempty"`
	Population  int           `json:"population,omitempty"`
}

// Search finds organizations by name (accents, case, hyphens and
// apostrophes ignored: "echirolles" finds Échirolles) or by code (INSEE,
// SIREN, SIRET).
func (s *Service) Search(ctx context.Context, q string, limit int) ([]Hit, error) {
	const op = "directory.Search"
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, fault.Wrap(op, fault.Field("q", "indiquez un nom ou un code à chercher"))
	}
	if len(q) > 200 {
		return nil, fault.Wrap(op, fault.Field("q", "recherche trop longue"))
	}
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	norm := territory.Normalize(q)
	var rows []model.Organization
	like := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(norm)
	err := s.db.R.NewSelect().Model(&rows).
		Where(`(name_norm LIKE ? ESCAPE '\' OR name_norm LIKE ? ESCAPE '\' OR siren = ? OR insee_code = ?)`, like+"%", "% "+like+"%", digits(q, 9), q).
		OrderExpr("population DESC, name").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	out := make([]Hit, 0, limit)
	seen := map[string]bool{}
	for _, o := range rows {
		out = append(out, Hit{ID: o.ID, Name: o.Name, Kind: o.Kind, InseeCode: o.InseeCode, SIREN: o.SIREN, Departement: o.Departement, Region: o.Region, Population: o.Population})
		seen[string(o.Kind)+o.InseeCode+"|"+o.SIREN] = true
	}
	if s.ref != nil {
		for _, t := range s.ref.Search(q, limit) {
			o := FromTerritory(t)
			if seen[string(o.Kind)+o.InseeCode+"|"+o.SIREN] || len(out) >= limit {
				continue
			}
			out = append(out, Hit{Name: o.Name, Kind: o.Kind, InseeCode: o.InseeCode, SIREN: o.SIREN, Departement: o.Departement, Region: o.Region, Population: o.Population})
		}
	}
	return out, nil
}

// digits returns s without spaces when it is n digits (or a 14-digit SIRET,
// then its SIREN), "" otherwise.
func digits(s string, n int) string {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) == 14 {
		s = s[:9]
	}
	if len(s) != n {
		return ""
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s
}

// NewOrganization is an organization that is not a collectivity: a State
// agency, an association, a company.
type NewOrganization struct {
	Kind    model.OrgKind
	Name    string
	SIREN   string
	Website string
}

// Create adds an organization; instance administrators only.
func (s *Service) Create(ctx context.Context, admin bool, in NewOrganization) (*model.Organization, error) {
	const op = "directory.Create"
	if !admin {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seuls les administrateurs du hub ajoutent des organisations"}
	}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Kind != model.OrgState && in.Kind != model.OrgAssociation && in.Kind != model.OrgCompany:
		return nil, fault.Wrap(op, fault.Field("kind", "une organisation ajoutée à la main est une agence de l'État, une association ou une entreprise ; les collectivités viennent du référentiel"))
	case in.Name == "" || len([]rune(in.Name)) > 200:
		return nil, fault.Wrap(op, fault.Field("name", "le nom est obligatoire (200 caractères au plus)"))
	case in.SIREN != "" && digits(in.SIREN, 9) != strings.ReplaceAll(in.SIREN, " ", ""):
		return nil, fault.Wrap(op, fault.Field("siren", "un SIREN compte 9 chiffres"))
	}
	now := time.Now().UTC()
	o := &model.Organization{ID: model.NewID(), Kind: in.Kind, Name: in.Name, NameNorm: territory.Normalize(in.Name),
		SIREN: strings.ReplaceAll(in.SIREN, " ", ""), Website: in.Website, CreatedAt: now, UpdatedAt: now}
	if _, err := s.db.W.NewInsert().Model(o).Exec(ctx); err != nil {
		if store.IsUniqueViolation(err) {
			return nil, &fault.Error{Kind: fault.Conflict, Op: op, Field: "siren", Message: "une organisation a déjà ce SIREN"}
		}
		return nil, fault.Wrap(op, err)
	}
	return o, nil
}
