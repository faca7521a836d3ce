package catalog

import (
	"context"
	"errors"
	"html/template"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
)

// UsageItem is a usage declaration as pages show it.
type UsageItem struct {
	model.Usage
	SoftwareSlug     string        `bun:"software_slug"`
	SoftwareName     string        `bun:"software_name"`
	OrganizationName string        `bun:"organization_name"`
	OrganizationKind model.OrgKind `bun:"organization_kind"`
	Region           string        `bun:"region"`
	Departement      string        `bun:"departement"`
	Population       int           `bun:"population"`
	ContactName      string        `bun:"contact_name"`
	RegionName       string        `bun:"-"`
	TestimonialHTML  template.HTML `bun:"-"`
	// CanEdit: the viewer may change or withdraw it (their organization's).
	CanEdit bool `bun:"-"`
	// CanModerate: the viewer may hide, restore or remove it.
	CanModerate bool `bun:"-"`
}

func (s *Service) usageQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("software_usages AS u").ColumnExpr("u.*").
		ColumnExpr("sw.slug AS software_slug, sw.name AS software_name").
		ColumnExpr("o.name AS organization_name, o.kind AS organization_kind, COALESCE(o.region, '') AS region, COALESCE(o.departement, '') AS departement, o.population").
		ColumnExpr("COALESCE(ct.name, '') AS contact_name").
		Join("JOIN software AS sw ON sw.id = u.software_id").
		Join("JOIN organizations AS o ON o.id = u.organization_id").
		Join("LEFT JOIN accounts AS ct ON ct.id = u.contact_id AND ct.deleted_at IS NULL")
}

// usages returns the declarations matching where, as p may see them:
// hidden ones only for their organization's people, moderators and
// instance administrators.
func (s *Service) usages(ctx context.Context, p access.Principal, where string, args ...any) ([]UsageItem, error) {
	var out []UsageItem
	if err := s.usageQuery(s.db.R).Where(where, args...).OrderExpr("o.population DESC, o.name, u.id").Scan(ctx, &out); err != nil {
		return nil, err
	}
	v, err := s.viewer(ctx, p)
	if err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, u := range out {
		// A declaration received from another hub is changed there, not
		// here (its organization may declare here, which then wins).
		u.CanEdit = u.RemoteID == "" && u.OrganizationID == v.OrganizationID && access.Can(p, access.DeclareUsage, access.Subject{OwnOrganization: true})
		st, err := s.moderation(ctx, s.db.R, p, u.OrganizationID)
		if err != nil {
			return nil, err
		}
		u.CanModerate = access.Can(p, access.ModerateCatalog, st)
		if u.Hidden && !u.CanEdit && !u.CanModerate {
			continue
		}
		if p.IsAnonymous() {
			u.ContactName = "" // visitors learn that someone answers, not who
		}
		u.RegionName = s.RegionName(u.Region)
		if u.TestimonialHTML, err = s.md.HTML(u.Testimonial); err != nil {
			return nil, err
		}
		kept = append(kept, u)
	}
	return kept, nil
}

// moderation returns p's standing for moderating the declarations of an
// organization: their role in a collective they administer where a member
// of that organization belongs.
func (s *Service) moderation(ctx context.Context, db bun.IDB, p access.Principal, orgID string) (access.Subject, error) {
	var st access.Subject
	if p.AccountID == "" {
		return st, nil
	}
	var roles []model.Role
	err := db.NewSelect().TableExpr("memberships AS m").Column("m.role").
		Where("m.account_id = ? AND m.status = ? AND m.role IN (?)", p.AccountID, model.StatusActive, bun.List([]model.Role{model.RoleOwner, model.RoleAdmin})).
		Where("EXISTS (SELECT 1 FROM memberships m2 JOIN accounts a ON a.id = m2.account_id WHERE m2.collective_id = m.collective_id AND m2.status = ? AND a.organization_id = ?)", model.StatusActive, orgID).
		Limit(1).Scan(ctx, &roles)
	if err != nil && !errors.Is(store.NotFound(err), store.ErrNotFound) {
		return st, err
	}
	if len(roles) > 0 {
		st.Role = roles[0]
	}
	return st, nil
}

// UsageInput is what a declaration says.
type UsageInput struct {
	Software    string // ID or slug
	SinceYear   int    // 0: not said
	Scope       int    // agents or users; 0: not said
	Hosting     string // in_house, pooled, provider
	Version     string
	SavingsEUR  *int64 // nil: not said
	Testimonial string // Markdown
	ContactID   string // an account of the organization; empty: none
}

func (s *Service) clean(ctx context.Context, db bun.IDB, orgID string, in *UsageInput) error {
	in.Version, in.Testimonial, in.ContactID = strings.TrimSpace(in.Version), strings.TrimSpace(in.Testimonial), strings.TrimSpace(in.ContactID)
	year := s.now().Year()
	switch {
	case in.SinceYear != 0 && (in.SinceYear < 1970 || in.SinceYear > year):
		return fault.Field("since_year", "l'année de mise en service doit être comprise entre 1970 et %d", year)
	case in.Scope < 0 || in.Scope > 10000000:
		return fault.Field("scope", "le nombre d'agents ou d'utilisateurs doit être compris entre 1 et 10 000 000")
	case in.Hosting != string(model.HostingInHouse) && in.Hosting != string(model.HostingPooled) && in.Hosting != string(model.HostingProvider):
		return fault.Field("hosting", "choisissez l'hébergement : en interne, mutualisé ou chez un prestataire")
	case len([]rune(in.Version)) > 40:
		return fault.Field("version", "40 caractères au plus pour la version")
	case in.SavingsEUR != nil && (*in.SavingsEUR < 0 || *in.SavingsEUR > 1_000_000_000):
		return fault.Field("savings_eur", "les économies annuelles sont un montant en euros, positif")
	case len(in.Testimonial) > 10000:
		return fault.Field("testimonial", "10 000 caractères au plus pour le témoignage")
	}
	if in.ContactID != "" {
		n, err := db.NewSelect().Model((*model.Account)(nil)).Where("id = ? AND organization_id = ? AND deleted_at IS NULL", in.ContactID, orgID).Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return fault.Field("contact", "le contact doit être une personne de votre organisation")
		}
	}
	return nil
}

// ownOrganization returns p's organization ID, or an error saying why p
// may not declare.
func (s *Service) ownOrganization(ctx context.Context, db bun.IDB, op string, p access.Principal) (string, error) {
	if p.IsAnonymous() {
		return "", &fault.Error{Kind: fault.Unauthorized, Op: op, Message: "connectez-vous d'abord"}
	}
	v, err := s.viewer(ctx, p)
	if err != nil {
		return "", err
	}
	if v.OrganizationID == "" {
		return "", &fault.Error{Kind: fault.Forbidden, Op: op, Message: "indiquez d'abord votre organisation dans votre profil : une utilisation se déclare au nom de son organisation"}
	}
	return v.OrganizationID, nil
}

// Declare records that p's organization uses a software; a second
// declaration of the same software updates the first. A member declares
// only for their own organization.
func (s *Service) Declare(ctx context.Context, p access.Principal, in UsageInput) (*UsageItem, error) {
	const op = "catalog.Declare"
	orgID, err := s.ownOrganization(ctx, s.db.R, op, p)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return s.declareFor(ctx, op, p, orgID, in)
}

// DeclareFor records a usage for the organization orgID: p must belong to
// it (or be an instance administrator, or the command line).
func (s *Service) DeclareFor(ctx context.Context, p access.Principal, orgID string, in UsageInput) (*UsageItem, error) {
	return s.declareFor(ctx, "catalog.DeclareFor", p, orgID, in)
}

func (s *Service) declareFor(ctx context.Context, op string, p access.Principal, orgID string, in UsageInput) (*UsageItem, error) {
	v, err := s.viewer(ctx, p)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if !access.Can(p, access.DeclareUsage, access.Subject{OwnOrganization: orgID != "" && orgID == v.OrganizationID}) {
		if p.IsAnonymous() {
			return nil, &fault.Error{Kind: fault.Unauthorized, Op: op, Message: "connectez-vous d'abord"}
		}
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "vous ne pouvez déclarer que les utilisations de votre propre organisation"}
	}
	sw, err := s.find(ctx, s.db.R, strings.TrimSpace(in.Software))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.Wrap(op, fault.Field("software", "logiciel inconnu du catalogue : %q", in.Software))
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	var id string
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model((*model.Organization)(nil)).Column("id").Where("id = ?", orgID).Scan(ctx, new(string)); err != nil {
			if errors.Is(store.NotFound(err), store.ErrNotFound) {
				return fault.Field("organization", "organisation inconnue")
			}
			return err
		}
		if err := s.clean(ctx, tx, orgID, &in); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		var cur model.Usage
		err := tx.NewSelect().Model(&cur).Where("software_id = ? AND organization_id = ?", sw.ID, orgID).Scan(ctx)
		switch {
		case err == nil:
			id = cur.ID
			apply(&cur, in)
			cur.UpdatedAt = now
			if cur.RemoteID != "" {
				// The organization declares here what another hub had
				// sent: the local declaration takes the row's place.
				cur.RemoteID, cur.Origin, cur.RemoteURL, cur.DeclaredBy, cur.CreatedAt = "", "", "", p.AccountID, now
			}
			if _, err := tx.NewUpdate().Model(&cur).WherePK().Exec(ctx); err != nil {
				return err
			}
		case errors.Is(store.NotFound(err), store.ErrNotFound):
			u := model.Usage{ID: model.NewID(), SoftwareID: sw.ID, OrganizationID: orgID, DeclaredBy: p.AccountID, CreatedAt: now, UpdatedAt: now}
			apply(&u, in)
			if _, err := tx.NewInsert().Model(&u).Exec(ctx); err != nil {
				return err
			}
			id = u.ID
		default:
			return err
		}
		if err := s.publish(ctx, tx, id); err != nil {
			return err
		}
		return s.index(ctx, tx, DocUsage, id, sw.ID)
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "usage declared", "usage_id", id, "software_id", sw.ID, "organization_id", orgID)
	return s.Usage(ctx, p, id)
}

// index enqueues the index jobs of a usage and its software.
func (s *Service) index(ctx context.Context, tx bun.Tx, typ string, ids ...string) error {
	if s.queue == nil {
		return nil
	}
	for i, id := range ids {
		t := typ
		if i > 0 {
			t = DocSoftware // the usage's software: its figures changed
		}
		if err := s.queue.Enqueue(ctx, tx, indexJob(t, id)); err != nil {
			return err
		}
	}
	return nil
}

func apply(u *model.Usage, in UsageInput) {
	u.SinceYear, u.Scope, u.Hosting, u.Version, u.SavingsEUR, u.Testimonial, u.ContactID =
		in.SinceYear, in.Scope, model.Hosting(in.Hosting), in.Version, in.SavingsEUR, in.Testimonial, in.ContactID
}

// Usage returns one declaration as p may see it.
func (s *Service) Usage(ctx context.Context, p access.Principal, id string) (*UsageItem, error) {
	const op = "catalog.Usage"
	if !model.ValidID(id) {
		return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "déclaration introuvable"}
	}
	us, err := s.usages(ctx, p, "u.id = ?", id)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if len(us) == 0 {
		return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "déclaration introuvable"}
	}
	return &us[0], nil
}

// Update changes a declaration of p's organization.
func (s *Service) Update(ctx context.Context, p access.Principal, id string, in UsageInput) (*UsageItem, error) {
	const op = "catalog.Update"
	u, err := s.Usage(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !u.CanEdit {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seules les personnes de l'organisation modifient sa déclaration"}
	}
	in.Software = u.SoftwareID
	return s.declareFor(ctx, op, p, u.OrganizationID, in)
}

// Withdraw deletes a declaration of p's organization.
func (s *Service) Withdraw(ctx context.Context, p access.Principal, id string) (*UsageItem, error) {
	const op = "catalog.Withdraw"
	u, err := s.Usage(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !u.CanEdit {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seules les personnes de l'organisation retirent sa déclaration"}
	}
	if err := s.remove(ctx, u); err != nil {
		return nil, fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "usage withdrawn", "usage_id", id, "by", p.AccountID)
	return u, nil
}

func (s *Service) remove(ctx context.Context, u *UsageItem) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*model.Usage)(nil)).Where("id = ?", u.ID).Exec(ctx); err != nil {
			return err
		}
		if err := s.publish(ctx, tx, u.ID); err != nil {
			return err
		}
		return s.index(ctx, tx, DocUsage, u.ID, u.SoftwareID)
	})
}

// Moderation actions.
const (
	ModerateHide    = "hide"
	ModerateRestore = "restore"
	ModerateRemove  = "remove"
)

// Moderate hides, restores or removes a declaration, with a reason (for
// hide and remove). Administrators of a collective where a member of the
// declaring organization belongs, and instance administrators, may.
func (s *Service) Moderate(ctx context.Context, p access.Principal, id, action, reason string) (*UsageItem, error) {
	const op = "catalog.Moderate"
	u, err := s.Usage(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !u.CanModerate {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seuls les administrateurs des collectifs de cette organisation modèrent ses déclarations"}
	}
	reason = strings.TrimSpace(reason)
	if action != ModerateRestore && (reason == "" || len([]rune(reason)) > 500) {
		return nil, fault.Wrap(op, fault.Field("reason", "indiquez la raison (500 caractères au plus) : elle est montrée à l'organisation"))
	}
	switch action {
	case ModerateRemove:
		if err := s.remove(ctx, u); err != nil {
			return nil, fault.Wrap(op, err)
		}
	case ModerateHide, ModerateRestore:
		hide := action == ModerateHide
		if !hide {
			reason = ""
		}
		err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			q := tx.NewUpdate().Model((*model.Usage)(nil)).Set("hidden = ?, hidden_reason = ?, updated_at = ?", hide, reason, s.now().UTC().Truncate(time.Microsecond))
			if hide && p.AccountID != "" {
				q = q.Set("hidden_by = ?", p.AccountID)
			} else {
				q = q.Set("hidden_by = NULL")
			}
			if _, err := q.Where("id = ?", id).Exec(ctx); err != nil {
				return err
			}
			if err := s.publish(ctx, tx, id); err != nil { // a hidden declaration is withdrawn from the network
				return err
			}
			return s.index(ctx, tx, DocUsage, id, u.SoftwareID)
		})
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		u.Hidden, u.HiddenReason = hide, reason
	default:
		return nil, fault.Wrap(op, fault.Field("action", "action inconnue %q : hide, restore ou remove", action))
	}
	s.log.InfoContext(ctx, "usage moderated", "usage_id", id, "action", action, "by", p.AccountID, "reason", reason)
	return u, nil
}

// Contact is a person of the organization who may be named as contact.
type Contact struct {
	ID   string `bun:"id"`
	Name string `bun:"name"`
}

// Contacts returns the people of p's organization, for the form.
func (s *Service) Contacts(ctx context.Context, p access.Principal) ([]Contact, error) {
	v, err := s.viewer(ctx, p)
	if err != nil || v.OrganizationID == "" {
		return nil, err
	}
	var out []Contact
	err = s.db.R.NewSelect().Model((*model.Account)(nil)).Column("id", "name").
		Where("organization_id = ? AND deleted_at IS NULL", v.OrganizationID).OrderExpr("name").Scan(ctx, &out)
	return out, err
}

// Viewer returns what the catalog knows of p (their organization).
func (s *Service) Viewer(ctx context.Context, p access.Principal) (Viewer, error) {
	return s.viewer(ctx, p)
}

// OrganizationView is what an organization runs.
type OrganizationView struct {
	Organization model.Organization
	RegionName   string
	Usages       []UsageItem
	Savings      int64
	Instances    []model.PooledInstance
	Own          bool // the viewer belongs to it
}

// ByOrganization returns an organization and its declarations.
func (s *Service) ByOrganization(ctx context.Context, p access.Principal, orgID string) (*OrganizationView, error) {
	const op = "catalog.ByOrganization"
	nf := &fault.Error{Kind: fault.NotFound, Op: op, Message: "organisation introuvable"}
	if !model.ValidID(orgID) {
		return nil, nf
	}
	v := &OrganizationView{}
	if err := s.db.R.NewSelect().Model(&v.Organization).Where("id = ?", orgID).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, nf
		}
		return nil, fault.Wrap(op, err)
	}
	v.RegionName = s.RegionName(v.Organization.Region)
	var err error
	if v.Usages, err = s.usages(ctx, p, "u.organization_id = ?", orgID); err != nil {
		return nil, fault.Wrap(op, err)
	}
	for _, u := range v.Usages {
		if u.SavingsEUR != nil && !u.Hidden {
			v.Savings += *u.SavingsEUR
		}
	}
	me, err := s.viewer(ctx, p)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	v.Own = me.OrganizationID == orgID
	if err := s.db.R.NewSelect().Model(&v.Instances).Where("organization_id = ?", orgID).Scan(ctx); err != nil {
		return nil, fault.Wrap(op, err)
	}
	return v, nil
}

// CollectiveItem is a software run by organizations of a collective's members.
type CollectiveItem struct {
	Slug          string `bun:"slug"`
	Name          string `bun:"name"`
	Licence       string `bun:"licence"`
	Organizations int    `bun:"organizations"`
	Savings       int64  `bun:"savings"`
	Names         string `bun:"-"`
}

// CollectiveView is what a collective's members run.
type CollectiveView struct {
	Collective model.Collective
	Items      []CollectiveItem
	Figures    Figures
}

// ByCollective returns the software the organizations of a collective's
// active members declare, most used first.
func (s *Service) ByCollective(ctx context.Context, p access.Principal, slug string) (*CollectiveView, error) {
	const op = "catalog.ByCollective"
	v := &CollectiveView{}
	if err := s.db.R.NewSelect().Model(&v.Collective).Where("slug = ?", slug).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "collectif introuvable"}
		}
		return nil, fault.Wrap(op, err)
	}
	orgs := s.db.R.NewSelect().TableExpr("memberships AS m").Join("JOIN accounts AS a ON a.id = m.account_id").
		ColumnExpr("a.organization_id").Where("m.collective_id = ? AND m.status = ? AND a.organization_id IS NOT NULL", v.Collective.ID, model.StatusActive)
	if err := s.db.R.NewSelect().TableExpr("software_usages AS u").Join("JOIN software AS sw ON sw.id = u.software_id").
		ColumnExpr("sw.slug, sw.name, sw.licence, count(DISTINCT u.organization_id) AS organizations, COALESCE(sum(u.savings_eur), 0) AS savings").
		Where(visible).Where("u.organization_id IN (?)", orgs).
		GroupExpr("sw.slug, sw.name, sw.licence").OrderExpr("organizations DESC, sw.name").Scan(ctx, &v.Items); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if err := s.db.R.NewSelect().TableExpr("software_usages AS u").
		ColumnExpr("count(DISTINCT u.organization_id) AS organizations, count(*) AS declarations, count(DISTINCT u.software_id) AS software, COALESCE(sum(u.savings_eur), 0) AS savings").
		Where(visible).Where("u.organization_id IN (?)", orgs).Scan(ctx, &v.Figures); err != nil {
		return nil, fault.Wrap(op, err)
	}
	return v, nil
}
