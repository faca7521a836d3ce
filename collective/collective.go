// Package collective holds the rules about collectives and their working
// groups: who may create them, what their public pages show. The directory
// issue extends it with memberships, invitations and discussions.
//
// It imports access/, fault/, model/ and store/.
package collective

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/jobs"
	"collectif/model"
	"collectif/store"
)

// Service runs collective actions.
type Service struct {
	db    *store.DB
	queue *jobs.Queue // nil: changes are not indexed (see SetQueue)
}

// New returns the collective service.
func New(db *store.DB) *Service { return &Service{db: db} }

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ValidSlug reports whether s can name a collective or a working group in URLs.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Summary is a collective as listed on the home page.
type Summary struct {
	model.Collective
	Members int
	Groups  int
}

// List returns every collective with its counts, by name.
func (s *Service) List(ctx context.Context, _ access.Principal) ([]Summary, error) {
	var out []Summary
	err := s.db.R.NewSelect().
		TableExpr("collectives AS c").
		ColumnExpr("c.*").
		ColumnExpr("(SELECT count(*) FROM memberships m WHERE m.collective_id = c.id AND m.status = 'active') AS members").
		ColumnExpr("(SELECT count(*) FROM working_groups g WHERE g.collective_id = c.id AND g.visibility = 'public') AS groups").
		OrderExpr("c.name").
		Scan(ctx, &out)
	if err != nil {
		return nil, fault.Wrap("collective.List", err)
	}
	return out, nil
}

// Page is what a collective's page shows to p.
type Page struct {
	Collective model.Collective
	Members    int
	Groups     []model.WorkingGroup // the groups p may see
	Membership *model.Membership    // p's membership, nil if none
	// What the viewer may do here, for the page's buttons (each action
	// checks again).
	CanRequest, CanDecide, CanViewDirectory, CanCreateGroup bool
}

// groupsOf returns the working groups of c that p may see, by name.
func (s *Service) groupsOf(ctx context.Context, p access.Principal, c *model.Collective) ([]model.WorkingGroup, error) {
	var all []model.WorkingGroup
	if err := s.db.R.NewSelect().Model(&all).Where("collective_id = ?", c.ID).OrderExpr("name").Scan(ctx); err != nil {
		return nil, err
	}
	out := all[:0]
	for _, g := range all {
		if g.Visibility == model.VisibilityPublic {
			out = append(out, g)
			continue
		}
		st, err := Standing(ctx, s.db.R, p, c.ID, g.ID)
		if err != nil {
			return nil, err
		}
		if access.Can(p, access.ViewGroup, st) {
			out = append(out, g)
		}
	}
	return out, nil
}

// Groups lists the working groups of a collective that p may see.
func (s *Service) Groups(ctx context.Context, p access.Principal, slug string) ([]model.WorkingGroup, error) {
	c, err := s.bySlug(ctx, s.db.R, slug)
	if err != nil {
		return nil, fault.Wrap("collective.Groups", err)
	}
	gs, err := s.groupsOf(ctx, p, c)
	return gs, fault.Wrap("collective.Groups", err)
}

// Get returns the page of the collective named slug.
func (s *Service) Get(ctx context.Context, p access.Principal, slug string) (*Page, error) {
	const op = "collective.Get"
	if !ValidSlug(slug) {
		return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "collectif introuvable"}
	}
	pg := &Page{}
	if err := s.db.R.NewSelect().Model(&pg.Collective).Where("slug = ?", slug).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "collectif introuvable"}
		}
		return nil, fault.Wrap(op, err)
	}
	n, err := s.db.R.NewSelect().Model((*model.Membership)(nil)).
		Where("collective_id = ? AND status = ?", pg.Collective.ID, model.StatusActive).Count(ctx)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	pg.Members = int(n)
	if pg.Groups, err = s.groupsOf(ctx, p, &pg.Collective); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if pg.Membership, err = s.Membership(ctx, p, pg.Collective.ID); err != nil {
		return nil, fault.Wrap(op, err)
	}
	st, err := Standing(ctx, s.db.R, p, pg.Collective.ID, "")
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	pg.CanRequest = access.Can(p, access.RequestMembership, st) || pg.Membership != nil && pg.Membership.Status == model.StatusLeft
	pg.CanDecide = access.Can(p, access.DecideMembership, st)
	pg.CanViewDirectory = access.Can(p, access.ViewDirectory, st)
	pg.CanCreateGroup = access.Can(p, access.CreateGroup, st)
	return pg, nil
}

// NewCollective is what it takes to create a collective.
type NewCollective struct {
	Slug    string
	Name    string
	Summary string
	Scope   model.Scope
	Region  string
}

// Create creates a collective; only instance administrators may.
func (s *Service) Create(ctx context.Context, p access.Principal, in NewCollective) (*model.Collective, error) {
	const op = "collective.Create"
	if !access.Can(p, access.CreateCollective, access.Subject{}) {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seul un administrateur de l'instance peut créer un collectif"}
	}
	in.Slug = strings.TrimSpace(in.Slug)
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case !ValidSlug(in.Slug):
		return nil, fault.Wrap(op, fault.Field("slug", "l'identifiant doit compter 2 à 63 caractères : lettres minuscules, chiffres et tirets"))
	case in.Name == "" || utf8.RuneCountInString(in.Name) > 200:
		return nil, fault.Wrap(op, fault.Field("name", "le nom est obligatoire (200 caractères au plus)"))
	case utf8.RuneCountInString(in.Summary) > 2000:
		return nil, fault.Wrap(op, fault.Field("summary", "le résumé ne peut dépasser 2000 caractères"))
	case !in.Scope.Valid():
		return nil, fault.Wrap(op, fault.Field("scope", "la portée doit être locale, régionale ou nationale"))
	}
	now := time.Now().UTC()
	c := &model.Collective{ID: model.NewID(), Slug: in.Slug, Name: in.Name, Summary: in.Summary, Scope: in.Scope, Region: in.Region, CreatedAt: now, UpdatedAt: now}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return store.Conflict(err)
		}
		return s.index(ctx, tx, "collective", c.ID)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, &fault.Error{Kind: fault.Conflict, Op: op, Field: "slug", Message: "un collectif porte déjà cet identifiant"}
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return c, nil
}

// NewGroup is what it takes to create a working group.
type NewGroup struct {
	Slug       string
	Name       string
	Summary    string
	JoinPolicy model.JoinPolicy
	Visibility model.Visibility
}

// CreateGroup creates a working group in the collective named slug. Instance
// administrators may; the directory issue opens it to collective admins.
func (s *Service) CreateGroup(ctx context.Context, p access.Principal, collectiveSlug string, in NewGroup) (*model.WorkingGroup, error) {
	const op = "collective.CreateGroup"
	var c model.Collective
	if err := s.db.R.NewSelect().Model(&c).Where("slug = ?", collectiveSlug).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "collectif introuvable"}
		}
		return nil, fault.Wrap(op, err)
	}
	st, err := Standing(ctx, s.db.R, p, c.ID, "")
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if !access.Can(p, access.CreateGroup, st) {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seuls les administrateurs du collectif peuvent créer un groupe de travail"}
	}
	switch {
	case !ValidSlug(in.Slug):
		return nil, fault.Wrap(op, fault.Field("slug", "l'identifiant doit compter 2 à 63 caractères : lettres minuscules, chiffres et tirets"))
	case strings.TrimSpace(in.Name) == "" || utf8.RuneCountInString(in.Name) > 200:
		return nil, fault.Wrap(op, fault.Field("name", "le nom est obligatoire (200 caractères au plus)"))
	case !in.JoinPolicy.Valid():
		return nil, fault.Wrap(op, fault.Field("join_policy", "politique d'adhésion inconnue"))
	case !in.Visibility.Valid():
		return nil, fault.Wrap(op, fault.Field("visibility", "visibilité inconnue"))
	}
	now := time.Now().UTC()
	g := &model.WorkingGroup{ID: model.NewID(), CollectiveID: c.ID, Slug: in.Slug, Name: strings.TrimSpace(in.Name), Summary: in.Summary,
		JoinPolicy: in.JoinPolicy, Visibility: in.Visibility, CreatedAt: now, UpdatedAt: now}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return store.Conflict(err)
		}
		return s.index(ctx, tx, "group", g.ID)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, &fault.Error{Kind: fault.Conflict, Op: op, Field: "slug", Message: "un groupe de ce collectif porte déjà cet identifiant"}
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return g, nil
}
