package access_test

import (
	"fmt"
	"strings"
	"testing"

	"collectif/access"
	"collectif/model"
)

// who is a principal with a standing, as the table's rows.
type who struct {
	name string
	p    access.Principal
	s    access.Subject
}

func TestPolicyEveryRoleEveryAction(t *testing.T) {
	acct := access.Account("01J0000000000000000000000A", false)
	rows := []who{
		{"anonymous", access.Anonymous(), access.Subject{}},
		{"logged-in non-member", acct, access.Subject{}},
		{"banned", acct, access.Subject{Role: model.RoleMember, Banned: true, GroupMember: true}},
		{"partner", acct, access.Subject{Role: model.RolePartner}},
		{"member", acct, access.Subject{Role: model.RoleMember}},
		{"moderator", acct, access.Subject{Role: model.RoleModerator}},
		{"admin", acct, access.Subject{Role: model.RoleAdmin}},
		{"owner", acct, access.Subject{Role: model.RoleOwner}},
		{"instance admin", access.Account("01J0000000000000000000000B", true), access.Subject{}},
	}
	// want[action] lists the rows allowed, on a public, open group the
	// principal does not belong to and content it did not write.
	want := map[access.Action][]string{
		access.ViewCollective:    {"anonymous", "logged-in non-member", "banned", "partner", "member", "moderator", "admin", "owner", "instance admin"},
		access.CreateCollective:  {"instance admin"},
		access.EditCollective:    {"admin", "owner", "instance admin"},
		access.RequestMembership: {"logged-in non-member", "instance admin"},
		access.DecideMembership:  {"admin", "owner", "instance admin"},
		access.ChangeRole:        {"owner", "instance admin"},
		access.ViewDirectory:     {"partner", "member", "moderator", "admin", "owner", "instance admin"},
		access.CreateGroup:       {"admin", "owner", "instance admin"},
		access.ViewGroup:         {"anonymous", "logged-in non-member", "banned", "partner", "member", "moderator", "admin", "owner", "instance admin"},
		access.JoinGroup:         {"partner", "member", "moderator", "admin", "owner", "instance admin"},
		access.DecideGroupJoin:   {"admin", "owner", "instance admin"},
		access.PostInGroup:       {"moderator", "admin", "owner", "instance admin"},
		access.PostResource:      {"moderator", "admin", "owner", "instance admin"},
		access.EditContent:       {"moderator", "admin", "owner", "instance admin"},
		access.ModerateContent:   {"moderator", "admin", "owner", "instance admin"},
		access.ManageEvents:      {"admin", "owner", "instance admin"},
		access.DeclareUsage:      {"instance admin"}, // the rows' organization is not theirs
		access.ManageCatalog:     {"instance admin"},
		access.ModerateCatalog:   {"admin", "owner", "instance admin"},
		access.AdministerHub:     {"instance admin"},
		access.ViewDeliveries:    {"instance admin"},
		access.ReplyToNetwork:    {"partner", "member", "moderator", "admin", "owner", "instance admin"},
	}
	if len(want) != len(access.Actions) {
		t.Fatalf("the table covers %d actions, the policy has %d", len(want), len(access.Actions))
	}
	for _, a := range access.Actions {
		allowed := map[string]bool{}
		for _, n := range want[a] {
			allowed[n] = true
		}
		for _, r := range rows {
			s := r.s
			s.GroupVisibility, s.GroupJoin = model.VisibilityPublic, model.JoinOpen
			t.Run(fmt.Sprintf("%s/%s", a, strings.ReplaceAll(r.name, " ", "_")), func(t *testing.T) {
				if got := access.Can(r.p, a, s); got != allowed[r.name] {
					t.Fatalf("Can = %v, want %v", got, allowed[r.name])
				}
			})
		}
	}
}

func TestPolicyGroupsAndAuthorship(t *testing.T) {
	acct := access.Account("01J0000000000000000000000A", false)
	member := access.Subject{Role: model.RoleMember}
	private := func(s access.Subject) access.Subject {
		s.GroupVisibility, s.GroupJoin = model.VisibilityMembers, model.JoinInvitation
		return s
	}
	cases := []struct {
		name string
		p    access.Principal
		a    access.Action
		s    access.Subject
		want bool
	}{
		{"visitor cannot see a members-only group", access.Anonymous(), access.ViewGroup, private(access.Subject{}), false},
		{"collective member outside the group cannot see it", acct, access.ViewGroup, private(member), false},
		{"group member sees it", acct, access.ViewGroup, private(access.Subject{Role: model.RoleMember, GroupMember: true}), true},
		{"moderator sees it to moderate", acct, access.ViewGroup, private(access.Subject{Role: model.RoleModerator}), true},
		{"invitation group refuses a member without invitation", acct, access.JoinGroup, private(member), false},
		{"invitation group accepts the invited member", acct, access.JoinGroup, private(access.Subject{Role: model.RoleMember, Invited: true}), true},
		{"approval group: a member may ask", acct, access.JoinGroup, access.Subject{Role: model.RoleMember, GroupVisibility: model.VisibilityPublic, GroupJoin: model.JoinApproval}, true},
		{"group member posts", acct, access.PostInGroup, access.Subject{Role: model.RoleMember, GroupMember: true}, true},
		{"partner in the group shares a resource", acct, access.PostResource, access.Subject{Role: model.RolePartner, GroupMember: true, GroupVisibility: model.VisibilityPublic}, true},
		{"partner shares a resource in the collective", acct, access.PostResource, access.Subject{Role: model.RolePartner}, true},
		{"author edits their post", acct, access.EditContent, access.Subject{Role: model.RoleMember, Author: true}, true},
		{"banned author cannot edit", acct, access.EditContent, access.Subject{Role: model.RoleMember, Author: true, Banned: true}, false},
		{"group moderator moderates", acct, access.ModerateContent, access.Subject{Role: model.RoleMember, GroupModerator: true}, true},
		{"a member declares for their own organization", acct, access.DeclareUsage, access.Subject{OwnOrganization: true}, true},
		{"a collective admin cannot declare for another organization", acct, access.DeclareUsage, access.Subject{Role: model.RoleOwner}, false},
		{"a visitor cannot declare", access.Anonymous(), access.DeclareUsage, access.Subject{OwnOrganization: true}, false},
		{"a collective admin moderates declarations", acct, access.ModerateCatalog, access.Subject{Role: model.RoleAdmin}, true},
		{"a moderator of content does not moderate the catalog", acct, access.ModerateCatalog, access.Subject{Role: model.RoleModerator}, false},
		{"only site admins manage software entries", acct, access.ManageCatalog, access.Subject{Role: model.RoleOwner}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := access.Can(c.p, c.a, c.s); got != c.want {
				t.Fatalf("Can = %v, want %v", got, c.want)
			}
		})
	}
}
