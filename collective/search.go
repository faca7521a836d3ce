package collective

import (
	"context"
	"errors"
	"strings"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/indexer"
	"collectif/jobs"
	"collectif/model"
	"collectif/search"
	"collectif/store"
)

// Audience keys: who may see a document of the search index. A viewer's
// keys come from Audience; a document lists the keys that may see it.
const (
	AudiencePublic = search.AudiencePublic
	AudienceAdmin  = "admin" // instance administrators see everything
)

// AudienceCollective is every active member of a collective.
func AudienceCollective(id string) string { return "collective:" + id }

// AudienceModerators is the moderators, admins and owners of a collective.
func AudienceModerators(id string) string { return "moderators:" + id }

// AudienceGroup is the active members of a working group.
func AudienceGroup(id string) string { return "group:" + id }

// GroupAudience is who may see the content of a working group.
func GroupAudience(g model.WorkingGroup) []string {
	if g.Visibility == model.VisibilityPublic {
		return []string{AudiencePublic}
	}
	return []string{AudienceGroup(g.ID), AudienceModerators(g.CollectiveID), AudienceAdmin}
}

// Audience returns the keys of what p may see, following access.Can.
func Audience(ctx context.Context, db bun.IDB, p access.Principal) ([]string, error) {
	keys := []string{AudiencePublic}
	if p.IsAdmin() {
		keys = append(keys, AudienceAdmin)
	}
	if p.AccountID == "" {
		return keys, nil
	}
	var ms []model.Membership
	if err := db.NewSelect().Model(&ms).Column("collective_id", "role").Where("account_id = ? AND status = 'active'", p.AccountID).Scan(ctx); err != nil {
		return nil, err
	}
	for _, m := range ms {
		keys = append(keys, AudienceCollective(m.CollectiveID))
		if m.Role == model.RoleOwner || m.Role == model.RoleAdmin || m.Role == model.RoleModerator {
			keys = append(keys, AudienceModerators(m.CollectiveID))
		}
	}
	var gids []string
	if err := db.NewSelect().Table("group_memberships").Column("group_id").Where("account_id = ? AND status = 'active'", p.AccountID).Scan(ctx, &gids); err != nil {
		return nil, err
	}
	for _, g := range gids {
		keys = append(keys, AudienceGroup(g))
	}
	return append(keys, "account:"+p.AccountID), nil
}

// SetQueue makes the service enqueue index jobs with its changes.
func (s *Service) SetQueue(q *jobs.Queue) { s.queue = q }

func (s *Service) index(ctx context.Context, tx bun.Tx, typ, id string) error {
	if s.queue == nil {
		return nil
	}
	return s.queue.Enqueue(ctx, tx, search.IndexJob{Type: typ, ID: id})
}

// IndexSources are the documents of collectives, groups and members.
func (s *Service) IndexSources() []indexer.Source {
	return []indexer.Source{
		{Type: "collective", Load: s.loadCollective, All: s.allCollectives},
		{Type: "group", Load: s.loadGroup, All: s.allGroups},
		{Type: "member", Load: s.loadMember, All: s.allMembers},
	}
}

func collectiveDoc(c model.Collective) search.Document {
	return search.Document{ID: search.DocID("collective", c.ID), Type: "collective", Title: c.Name, Summary: c.Summary,
		URL: "/c/" + c.Slug, Collective: c.Slug, Region: c.Region, Audience: []string{AudiencePublic}, Date: c.CreatedAt}
}

func gone(err error) error {
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return indexer.ErrGone
	}
	return err
}

func (s *Service) loadCollective(ctx context.Context, id string) (search.Document, error) {
	var c model.Collective
	if err := s.db.R.NewSelect().Model(&c).Where("id = ?", id).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	return collectiveDoc(c), nil
}

func (s *Service) allCollectives(ctx context.Context, emit func(search.Document) error) error {
	var cs []model.Collective
	if err := s.db.R.NewSelect().Model(&cs).Scan(ctx); err != nil {
		return err
	}
	for _, c := range cs {
		if err := emit(collectiveDoc(c)); err != nil {
			return err
		}
	}
	return nil
}

type groupRow struct {
	model.WorkingGroup `bun:",extend"`
	CollectiveSlug     string `bun:"collective_slug"`
	Region             string `bun:"region"`
}

func groupDoc(g groupRow) search.Document {
	return search.Document{ID: search.DocID("group", g.ID), Type: "group", Title: g.Name, Summary: g.Summary,
		URL: "/c/" + g.CollectiveSlug + "/g/" + g.Slug, Collective: g.CollectiveSlug, Group: g.Slug, Region: g.Region,
		Audience: GroupAudience(g.WorkingGroup), Date: g.CreatedAt}
}

func (s *Service) groupQuery() *bun.SelectQuery {
	return s.db.R.NewSelect().Model((*model.WorkingGroup)(nil)).
		ColumnExpr("working_group.*").ColumnExpr("c.slug AS collective_slug, COALESCE(c.region, '') AS region").
		Join("JOIN collectives AS c ON c.id = working_group.collective_id")
}

func (s *Service) loadGroup(ctx context.Context, id string) (search.Document, error) {
	var g groupRow
	if err := s.groupQuery().Where("working_group.id = ?", id).Scan(ctx, &g); err != nil {
		return search.Document{}, gone(err)
	}
	return groupDoc(g), nil
}

func (s *Service) allGroups(ctx context.Context, emit func(search.Document) error) error {
	var gs []groupRow
	if err := s.groupQuery().Scan(ctx, &gs); err != nil {
		return err
	}
	for _, g := range gs {
		if err := emit(groupDoc(g)); err != nil {
			return err
		}
	}
	return nil
}

// A member's document holds what fellow members may see in the directory
// (never e-mail or phone), for the members of their collectives only.
func (s *Service) memberDoc(ctx context.Context, accountID string) (search.Document, error) {
	var a model.Account
	if err := s.db.R.NewSelect().Model(&a).Where("id = ? AND deleted_at IS NULL AND show_in_directory = ?", accountID, true).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	var cids []string
	if err := s.db.R.NewSelect().Table("memberships").Column("collective_id").Where("account_id = ? AND status = 'active'", accountID).Scan(ctx, &cids); err != nil {
		return search.Document{}, err
	}
	if len(cids) == 0 {
		return search.Document{}, indexer.ErrGone
	}
	d := search.Document{ID: search.DocID("member", a.ID), Type: "member", Title: a.Name, Summary: a.Title, Body: a.Bio,
		URL: "/account", Audience: []string{AudienceAdmin}, Date: a.CreatedAt}
	for _, c := range cids {
		d.Audience = append(d.Audience, AudienceCollective(c))
	}
	var slug string
	if err := s.db.R.NewSelect().Table("collectives").Column("slug").Where("id = ?", cids[0]).Scan(ctx, &slug); err == nil {
		d.URL, d.Collective = "/c/"+slug+"/members", slug
	}
	if a.OrganizationID != "" {
		var o model.Organization
		if err := s.db.R.NewSelect().Model(&o).Where("id = ?", a.OrganizationID).Scan(ctx); err == nil {
			d.Summary = strings.TrimSpace(a.Title + " — " + o.Name)
			d.Region = o.Region
		}
	}
	var tags []string
	if err := s.db.R.NewSelect().Table("account_tags").Column("value").Where("account_id = ?", a.ID).Scan(ctx, &tags); err != nil {
		return search.Document{}, err
	}
	d.Tags = tags
	return d, nil
}

func (s *Service) loadMember(ctx context.Context, id string) (search.Document, error) {
	return s.memberDoc(ctx, id)
}

func (s *Service) allMembers(ctx context.Context, emit func(search.Document) error) error {
	var ids []string
	if err := s.db.R.NewSelect().Table("memberships").ColumnExpr("DISTINCT account_id").Where("status = 'active'").Scan(ctx, &ids); err != nil {
		return err
	}
	for _, id := range ids {
		d, err := s.memberDoc(ctx, id)
		if errors.Is(err, indexer.ErrGone) {
			continue
		}
		if err != nil {
			return err
		}
		if err := emit(d); err != nil {
			return err
		}
	}
	return nil
}
