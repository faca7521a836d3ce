package catalog

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/fault"
	"collectif/model"
	"collectif/outbox"
	"collectif/store"
	"collectif/territory"
)

// Declarations federate between hubs (the catalog extension of
// docs/FEDERATION.md): a local declaration is sent by the collectives where
// its organization has members; a declaration received from a hub that a
// local collective follows is stored as a row like any other, with its
// remote_id and origin, so that every figure counts it. One row per
// software and organization whatever its origin: a local declaration wins
// over a remote one, and the first remote one received wins over later
// ones.

// publish asks the federation to bring what followers know of a local
// declaration in line with the database, in the change's transaction.
func (s *Service) publish(ctx context.Context, tx bun.Tx, usageID string) error {
	if s.queue == nil {
		return nil
	}
	return s.queue.Enqueue(ctx, tx, outbox.Job{Type: outbox.Usage, ID: usageID})
}

// FederatedUsage is a local declaration as it federates.
type FederatedUsage struct {
	model.Usage
	Software     model.Software
	Organization model.Organization
	// Collectives are the slugs of the collectives where the organization
	// has active members, in order: those that send the declaration.
	Collectives []string
}

// Federated returns a declaration as it federates, or nil when it does not
// (any more): withdrawn, hidden by a moderator, or received from another
// hub (a hub speaks only for its own declarations).
func (s *Service) Federated(ctx context.Context, usageID string) (*FederatedUsage, error) {
	f := &FederatedUsage{}
	err := s.db.R.NewSelect().Model(&f.Usage).Where("id = ?", usageID).Scan(ctx)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if f.Hidden || f.RemoteID != "" || f.Origin != "" {
		return nil, nil
	}
	if err := s.db.R.NewSelect().Model(&f.Software).Where("id = ?", f.SoftwareID).Scan(ctx); err != nil {
		return nil, err
	}
	if err := s.db.R.NewSelect().Model(&f.Organization).Where("id = ?", f.OrganizationID).Scan(ctx); err != nil {
		return nil, err
	}
	err = s.db.R.NewSelect().TableExpr("collectives AS c").ColumnExpr("DISTINCT c.slug").
		Join("JOIN memberships AS m ON m.collective_id = c.id").Join("JOIN accounts AS a ON a.id = m.account_id").
		Where("m.status = ? AND a.organization_id = ? AND a.deleted_at IS NULL", model.StatusActive, f.OrganizationID).
		OrderExpr("c.slug").Scan(ctx, &f.Collectives)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// RemoteSoftware is the software of a received declaration.
type RemoteSoftware struct {
	Name       string
	SILLID     string
	WikidataID string
}

// RemoteOrganization is the organization of a received declaration.
type RemoteOrganization struct {
	Name      string
	SIREN     string
	InseeCode string
	Kind      string
	Region    string // INSEE code of the région
}

// RemoteUsage is a declaration received from another hub.
type RemoteUsage struct {
	ID           string // its ActivityPub id: the key of Update and Delete
	URL          string // its page at its origin
	Origin       string // the host of the hub it comes from
	Software     RemoteSoftware
	Organization RemoteOrganization
	SinceYear    int
	Scope        int
	Hosting      string
	Version      string
	SavingsEUR   *int64
	Testimonial  string // Markdown
}

// What ReceiveUsage did.
const (
	ReceivedStored   = "stored"   // a new row
	ReceivedUpdated  = "updated"  // the row of that remote id changed
	ReceivedPreceded = "preceded" // a local declaration, or one received first, stands: ignored
)

var (
	sirenRE  = regexp.MustCompile(`^[0-9]{9}$`)
	inseeRE  = regexp.MustCompile(`^[0-9][0-9AB][0-9]{0,3}$`)
	regionRE = regexp.MustCompile(`^[0-9]{2,3}$`)
	sillRE   = regexp.MustCompile(`^[0-9]{1,10}$`)
	orgKinds = map[model.OrgKind]bool{model.OrgCommune: true, model.OrgDepartement: true, model.OrgRegion: true, model.OrgEPCI: true,
		model.OrgOverseas: true, model.OrgState: true, model.OrgAssociation: true, model.OrgCompany: true}
)

// check refuses a received declaration that does not say what it must,
// with a field error (nothing is written).
func (r *RemoteUsage) check() error {
	r.Software.Name, r.Organization.Name = strings.TrimSpace(r.Software.Name), strings.TrimSpace(r.Organization.Name)
	o := r.Organization
	switch {
	case r.ID == "" || r.Origin == "":
		return fault.Field("id", "une déclaration reçue a un identifiant et une origine")
	case r.Software.Name == "" || len([]rune(r.Software.Name)) > 120:
		return fault.Field("software", "le nom du logiciel est requis (120 caractères au plus)")
	case r.Software.SILLID != "" && !sillRE.MatchString(r.Software.SILLID):
		return fault.Field("software", "identifiant SILL invalide")
	case r.Software.WikidataID != "" && !wikidataRE.MatchString(r.Software.WikidataID):
		return fault.Field("software", "identifiant Wikidata invalide")
	case o.Name == "" || len([]rune(o.Name)) > 200:
		return fault.Field("organization", "le nom de l'organisation est requis (200 caractères au plus)")
	case !orgKinds[model.OrgKind(o.Kind)]:
		return fault.Field("organization", "nature d'organisation inconnue %q", o.Kind)
	case o.SIREN != "" && !sirenRE.MatchString(o.SIREN):
		return fault.Field("organization", "SIREN invalide")
	case o.InseeCode != "" && !inseeRE.MatchString(o.InseeCode):
		return fault.Field("organization", "code INSEE invalide")
	case o.Region != "" && !regionRE.MatchString(o.Region):
		return fault.Field("organization", "code de région invalide")
	case len(r.URL) > 2048:
		return fault.Field("url", "adresse trop longue")
	}
	return nil
}

// ReceiveUsage records a declaration received from a hub that a local
// collective follows (the federation has checked that). The software is
// found by SILL ID, then Wikidata ID, then name, and added to the catalog
// (marked with its origin) when unknown; the organization by SIREN, then
// INSEE code, then, among those learnt from the same hub, by name, and
// added likewise. A local declaration of the same software and
// organization, or one received first from elsewhere, stands: the received
// one is then ignored (ReceivedPreceded). A bad declaration is refused
// with an Invalid error and changes nothing.
func (s *Service) ReceiveUsage(ctx context.Context, r RemoteUsage) (string, error) {
	const op = "catalog.ReceiveUsage"
	if err := r.check(); err != nil {
		return "", fault.Wrap(op, err)
	}
	in := UsageInput{SinceYear: r.SinceYear, Scope: r.Scope, Hosting: r.Hosting, Version: r.Version, SavingsEUR: r.SavingsEUR, Testimonial: r.Testimonial}
	outcome := ""
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.clean(ctx, tx, "", &in); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		swID, err := s.remoteSoftware(ctx, tx, r, now)
		if err != nil {
			return err
		}
		orgID, err := s.remoteOrganization(ctx, tx, r, now)
		if err != nil {
			return err
		}
		// The same remote declaration now naming another software or
		// organization (its hub's data changed): the old row goes.
		var old model.Usage
		err = tx.NewSelect().Model(&old).Where("remote_id = ?", r.ID).Scan(ctx)
		if err == nil && (old.SoftwareID != swID || old.OrganizationID != orgID) {
			if _, err := tx.NewDelete().Model((*model.Usage)(nil)).Where("id = ?", old.ID).Exec(ctx); err != nil {
				return err
			}
			if err := s.index(ctx, tx, DocUsage, old.ID, old.SoftwareID); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(store.NotFound(err), store.ErrNotFound) {
			return err
		}
		var cur model.Usage
		err = tx.NewSelect().Model(&cur).Where("software_id = ? AND organization_id = ?", swID, orgID).Scan(ctx)
		switch {
		case err == nil && cur.RemoteID == r.ID:
			apply(&cur, in)
			cur.RemoteURL, cur.UpdatedAt = r.URL, now
			if _, err := tx.NewUpdate().Model(&cur).WherePK().Exec(ctx); err != nil {
				return err
			}
			outcome = ReceivedUpdated
			return s.index(ctx, tx, DocUsage, cur.ID, swID)
		case err == nil:
			outcome = ReceivedPreceded
			return nil
		case errors.Is(store.NotFound(err), store.ErrNotFound):
			u := model.Usage{ID: model.NewID(), SoftwareID: swID, OrganizationID: orgID, RemoteID: r.ID, Origin: r.Origin, RemoteURL: r.URL,
				CreatedAt: now, UpdatedAt: now}
			apply(&u, in)
			if _, err := tx.NewInsert().Model(&u).Exec(ctx); err != nil {
				return err
			}
			outcome = ReceivedStored
			return s.index(ctx, tx, DocUsage, u.ID, swID)
		default:
			return err
		}
	})
	if err != nil {
		return "", fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "remote usage received", "remote_id", r.ID, "origin", r.Origin, "outcome", outcome)
	return outcome, nil
}

// remoteSoftware finds the software of a received declaration, or adds it.
func (s *Service) remoteSoftware(ctx context.Context, tx bun.Tx, r RemoteUsage, now time.Time) (string, error) {
	sw := r.Software
	norm := territory.Normalize(sw.Name)
	for _, c := range []struct{ where, arg string }{{"sill_id = ?", sw.SILLID}, {"wikidata_id = ?", sw.WikidataID}, {"name_norm = ?", norm}} {
		if c.arg == "" {
			continue
		}
		var ids []string
		if err := tx.NewSelect().Model((*model.Software)(nil)).Column("id").Where(c.where, c.arg).OrderExpr("created_at, id").Limit(1).Scan(ctx, &ids); err != nil {
			return "", err
		}
		if len(ids) > 0 {
			return ids[0], nil
		}
	}
	slug := Slugify(sw.Name)
	if slug == "" {
		slug = "logiciel"
	}
	if n, err := tx.NewSelect().Model((*model.Software)(nil)).Where("slug = ?", slug).Count(ctx); err != nil {
		return "", err
	} else if n > 0 {
		slug += "-" + strings.ToLower(model.NewID()[20:])
	}
	e := model.Software{ID: model.NewID(), Slug: slug, Name: sw.Name, NameNorm: norm, WikidataID: sw.WikidataID, SILLID: sw.SILLID,
		Origin: r.Origin, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(&e).Exec(ctx); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "software learnt from another hub", "software_id", e.ID, "name", e.Name, "origin", r.Origin)
	return e.ID, nil
}

// remoteOrganization finds the organization of a received declaration, or
// adds it.
func (s *Service) remoteOrganization(ctx context.Context, tx bun.Tx, r RemoteUsage, now time.Time) (string, error) {
	o := r.Organization
	norm := territory.Normalize(o.Name)
	try := func(q *bun.SelectQuery) (string, error) {
		var ids []string
		if err := q.Model((*model.Organization)(nil)).Column("id").OrderExpr("created_at, id").Limit(1).Scan(ctx, &ids); err != nil {
			return "", err
		}
		if len(ids) > 0 {
			return ids[0], nil
		}
		return "", nil
	}
	if o.SIREN != "" {
		if id, err := try(tx.NewSelect().Where("siren = ?", o.SIREN)); id != "" || err != nil {
			return id, err
		}
	}
	if o.InseeCode != "" {
		if id, err := try(tx.NewSelect().Where("kind = ? AND insee_code = ?", o.Kind, o.InseeCode)); id != "" || err != nil {
			return id, err
		}
	}
	if o.SIREN == "" && o.InseeCode == "" {
		if id, err := try(tx.NewSelect().Where("origin = ? AND kind = ? AND name_norm = ?", r.Origin, o.Kind, norm)); id != "" || err != nil {
			return id, err
		}
	}
	org := model.Organization{ID: model.NewID(), Kind: model.OrgKind(o.Kind), Name: o.Name, NameNorm: norm, InseeCode: o.InseeCode, SIREN: o.SIREN,
		Region: o.Region, Origin: r.Origin, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(&org).Exec(ctx); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "organization learnt from another hub", "organization_id", org.ID, "origin", r.Origin)
	return org.ID, nil
}

// RemoveRemoteUsage deletes the row of a received declaration that its hub
// deleted; nothing else (a local declaration, or another hub's, stays).
func (s *Service) RemoveRemoteUsage(ctx context.Context, remoteID string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var rows []model.Usage
		if err := tx.NewSelect().Model(&rows).Where("remote_id = ?", remoteID).Scan(ctx); err != nil {
			return err
		}
		return s.dropRemote(ctx, tx, rows)
	})
}

// ForgetOrigin deletes, in tx, the declarations received from host (and,
// with subdomains, from its sub-domains): the hub was blocked, or no local
// collective follows it any more. The software entries and organizations
// learnt from it stay, without its declarations.
func (s *Service) ForgetOrigin(ctx context.Context, tx bun.Tx, host string, subdomains bool) (int, error) {
	q := tx.NewSelect().Model((*model.Usage)(nil)).Where("origin IS NOT NULL")
	if subdomains {
		q = q.Where("(origin = ? OR origin LIKE ? OR origin LIKE ? OR origin LIKE ?)", host, host+":%", "%."+host, "%."+host+":%")
	} else {
		q = q.Where("origin = ?", host)
	}
	var rows []model.Usage
	if err := q.Scan(ctx, &rows); err != nil {
		return 0, err
	}
	if len(rows) > 0 {
		s.log.InfoContext(ctx, "remote usages forgotten", "origin", host, "count", len(rows))
	}
	return len(rows), s.dropRemote(ctx, tx, rows)
}

func (s *Service) dropRemote(ctx context.Context, tx bun.Tx, rows []model.Usage) error {
	for _, u := range rows {
		if u.RemoteID == "" {
			continue
		}
		if _, err := tx.NewDelete().Model((*model.Usage)(nil)).Where("id = ?", u.ID).Exec(ctx); err != nil {
			return err
		}
		if err := s.index(ctx, tx, DocUsage, u.ID, u.SoftwareID); err != nil {
			return err
		}
	}
	return nil
}

// CollectiveUsageIDs lists the declarations that a collective sends: the
// local, visible declarations of the organizations of its active members
// (for hubs that start following it and read what was declared before).
func (s *Service) CollectiveUsageIDs(ctx context.Context, slug string) ([]string, error) {
	var ids []string
	orgs := s.db.R.NewSelect().TableExpr("memberships AS m").Join("JOIN accounts AS a ON a.id = m.account_id").
		Join("JOIN collectives AS c ON c.id = m.collective_id").ColumnExpr("a.organization_id").
		Where("c.slug = ? AND m.status = ? AND a.organization_id IS NOT NULL AND a.deleted_at IS NULL", slug, model.StatusActive)
	err := s.db.R.NewSelect().TableExpr("software_usages AS u").Column("u.id").
		Where(visible).Where("u.remote_id IS NULL AND u.origin IS NULL").Where("u.organization_id IN (?)", orgs).
		OrderExpr("u.id").Scan(ctx, &ids)
	return ids, err
}
