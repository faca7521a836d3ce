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
	o := &model.Organization{ID: model.NewID(), Name: t.Name, SIREN: t.SIREN, Departement: t.Departement,
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
