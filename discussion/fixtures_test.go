package discussion_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/collective"
	"collectif/discussion"
	"collectif/model"
	"collectif/store"
)

// world is a collective of the Alps with two working groups and the
// people the rules tell apart, each by a name that says who they are.
type world struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	s   *discussion.Service
	c   *model.Collective
	pub *model.WorkingGroup // public, open
	sec *model.WorkingGroup // members only, on invitation
	who map[string]access.Principal
}

// The people of the world.
const (
	visitor   = "visitor"   // not logged in
	outsider  = "outsider"  // has an account, not in the collective
	member    = "member"    // active member of the collective, in no group
	author    = "author"    // member of both groups; writes the topics
	colleague = "colleague" // member of both groups
	groupMod  = "groupmod"  // moderator of both groups, plain member of the collective
	colMod    = "colmod"    // moderator of the collective, in no group
	banned    = "banned"    // banned from the collective, once in both groups
	admin     = "admin"     // instance administrator, in nothing
)

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	cs := collective.New(db)
	c, err := cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cs.CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "poste-linux", Name: "Poste de travail sous Linux", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := cs.CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "cyber", Name: "Cellule cybersécurité", JoinPolicy: model.JoinInvitation, Visibility: model.VisibilityMembers})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, db: db, c: c, pub: pub, sec: sec, who: map[string]access.Principal{visitor: access.Anonymous()}}
	w.s = discussion.New(discussion.Deps{DB: db})
	w.who[outsider] = w.account(outsider, false)
	w.who[admin] = w.account(admin, true)
	for name, role := range map[string]model.Role{member: model.RoleMember, author: model.RoleMember, colleague: model.RoleMember, groupMod: model.RoleMember, colMod: model.RoleModerator} {
		w.who[name] = w.account(name, false)
		w.membership(w.who[name], role, model.StatusActive)
	}
	w.who[banned] = w.account(banned, false)
	w.membership(w.who[banned], model.RoleMember, model.StatusBanned)
	for _, g := range []*model.WorkingGroup{pub, sec} {
		w.groupMember(w.who[author], g, model.RoleMember, model.StatusActive)
		w.groupMember(w.who[colleague], g, model.RoleMember, model.StatusActive)
		w.groupMember(w.who[groupMod], g, model.RoleModerator, model.StatusActive)
		w.groupMember(w.who[banned], g, model.RoleMember, model.StatusActive)
	}
	return w
}

func (w *world) account(name string, isAdmin bool) access.Principal {
	w.t.Helper()
	now := time.Now().UTC()
	a := &model.Account{ID: model.NewID(), Email: name + "@ville.example", Name: strings.ToUpper(name[:1]) + name[1:], IsAdmin: isAdmin, CreatedAt: now, UpdatedAt: now}
	if _, err := w.db.W.NewInsert().Model(a).Exec(w.ctx); err != nil {
		w.t.Fatal(err)
	}
	return access.Account(a.ID, isAdmin)
}

func (w *world) membership(p access.Principal, role model.Role, status model.MembershipStatus) {
	w.t.Helper()
	now := time.Now().UTC()
	m := &model.Membership{ID: model.NewID(), CollectiveID: w.c.ID, AccountID: p.AccountID, Role: role, Status: status, CreatedAt: now, UpdatedAt: now}
	if _, err := w.db.W.NewInsert().Model(m).Exec(w.ctx); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) groupMember(p access.Principal, g *model.WorkingGroup, role model.Role, status model.MembershipStatus) {
	w.t.Helper()
	now := time.Now().UTC()
	m := &model.GroupMembership{ID: model.NewID(), GroupID: g.ID, AccountID: p.AccountID, Role: role, Status: status, CreatedAt: now, UpdatedAt: now}
	if _, err := w.db.W.NewInsert().Model(m).Exec(w.ctx); err != nil {
		w.t.Fatal(err)
	}
}

// topic opens a topic as the author.
func (w *world) topic(g *model.WorkingGroup, title string) *discussion.Posted {
	w.t.Helper()
	ps, err := w.s.CreateTopic(w.ctx, w.who[author], "alpes", g.Slug, discussion.NewTopic{Title: title, Body: "Qui a migré **Thunderbird** ?"})
	if err != nil {
		w.t.Fatal(err)
	}
	return ps
}

func (w *world) reply(name, topicID, parentID, body string) *discussion.Posted {
	w.t.Helper()
	ps, err := w.s.Reply(w.ctx, w.who[name], topicID, discussion.NewReply{ParentID: parentID, Body: body})
	if err != nil {
		w.t.Fatalf("%s replies: %v", name, err)
	}
	return ps
}

// count counts rows of a table.
func (w *world) count(table string) int {
	w.t.Helper()
	n, err := w.db.R.NewSelect().Table(table).Count(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return int(n)
}
