package access

import "collectif/model"

// Action is something a principal may be allowed to do.
type Action string

// The actions of the hub. Each is decided by Can, and only there.
const (
	ViewCollective    Action = "collective.view"
	CreateCollective  Action = "collective.create"
	EditCollective    Action = "collective.edit"
	RequestMembership Action = "collective.request_membership"
	DecideMembership  Action = "collective.decide_membership" // approve, refuse, invite, ban
	ChangeRole        Action = "collective.change_role"
	ViewDirectory     Action = "collective.view_directory" // the member directory
	CreateGroup       Action = "group.create"
	ViewGroup         Action = "group.view" // a group and its content
	JoinGroup         Action = "group.join" // join an open group or ask to join an approval group
	DecideGroupJoin   Action = "group.decide_join"
	PostInGroup       Action = "group.post" // topics and replies
	PostResource      Action = "resource.post"
	EditContent       Action = "content.edit" // edit or delete a post or resource
	ModerateContent   Action = "content.moderate"
	ManageEvents      Action = "event.manage"
	DeclareUsage      Action = "catalog.declare_usage" // declare, edit or withdraw an organization's usage
	ModerateCatalog   Action = "catalog.moderate"      // hide, restore or remove a usage declaration
	ManageCatalog     Action = "catalog.manage"        // software entries, providers, pooled instances, imports
	AdministerHub     Action = "hub.administer"        // instance settings, federation blocks, organizations
)

// ViewDeliveries: the outgoing federation deliveries and the remote hosts'
// errors.
const ViewDeliveries Action = "federation.view_deliveries"

// ReplyToNetwork: answer, from a collective's page, content that the
// collective receives from the servers it follows.
const ReplyToNetwork Action = "federation.reply_network"

// Actions lists every action, for tests and documentation.
var Actions = []Action{ViewCollective, CreateCollective, EditCollective, RequestMembership, DecideMembership,
	ChangeRole, ViewDirectory, CreateGroup, ViewGroup, JoinGroup, DecideGroupJoin, PostInGroup, PostResource,
	EditContent, ModerateContent, ManageEvents, DeclareUsage, ModerateCatalog, ManageCatalog, AdministerHub,
	ViewDeliveries, ReplyToNetwork}

// Subject is what an action is about, as far as the rules care: the
// principal's standing in the collective and the working group concerned.
// Domain code loads it and asks Can.
type Subject struct {
	// Role is the principal's role in the collective when its membership
	// is active; empty otherwise.
	Role model.Role
	// Banned: the principal is banned from the collective.
	Banned bool
	// GroupMember: the principal is an active member of the working group.
	GroupMember bool
	// GroupModerator: the principal moderates the working group.
	GroupModerator bool
	// Invited: the principal holds an invitation to the group.
	Invited bool
	// Group describes the working group, when the action is about one.
	GroupVisibility model.Visibility
	GroupJoin       model.JoinPolicy
	// Author: the principal wrote the content the action is about.
	Author bool
	// OwnOrganization: the organization the action is about is the
	// principal's own (the organization of their account).
	OwnOrganization bool
}

func (s Subject) manager() bool { return s.Role == model.RoleOwner || s.Role == model.RoleAdmin }

func (s Subject) moderator() bool { return s.manager() || s.Role == model.RoleModerator }

func (s Subject) member() bool { return s.Role != "" && !s.Banned }

// Can reports whether p may do a on s. Instance administrators may do
// everything; a banned member may do nothing but what a visitor may.
func Can(p Principal, a Action, s Subject) bool {
	if p.IsAdmin() {
		return true
	}
	if s.Banned {
		s.Role, s.GroupMember, s.GroupModerator, s.Invited = "", false, false, false
	}
	logged := !p.IsAnonymous()
	switch a {
	case ViewCollective:
		return true
	case CreateCollective, AdministerHub, ManageCatalog, ViewDeliveries:
		return false
	case EditCollective, DecideMembership, CreateGroup, ManageEvents, ModerateCatalog:
		return s.manager()
	case ChangeRole:
		return s.Role == model.RoleOwner
	case RequestMembership:
		return logged && !s.Banned && s.Role == ""
	case ViewDirectory, ReplyToNetwork:
		return s.member()
	case ViewGroup:
		if s.GroupVisibility != model.VisibilityMembers {
			return true
		}
		return s.GroupMember || s.moderator()
	case JoinGroup:
		if !s.member() || s.GroupMember {
			return false
		}
		switch s.GroupJoin {
		case model.JoinOpen, model.JoinApproval:
			return true
		case model.JoinInvitation:
			return s.Invited
		}
		return false
	case DecideGroupJoin:
		return s.GroupModerator || s.manager()
	case PostInGroup:
		return s.member() && (s.GroupMember || s.moderator())
	case PostResource:
		// Partners (State agencies, associations) share resources into
		// collectives and the groups they belong to.
		if !s.member() {
			return false
		}
		if s.GroupVisibility == "" {
			return true // a resource of the collective itself
		}
		return s.GroupMember || s.moderator()
	case EditContent:
		return logged && (s.Author && s.member() || s.moderator() || s.GroupModerator)
	case ModerateContent:
		return s.moderator() || s.GroupModerator
	case DeclareUsage:
		// An organization's usage is declared by its own people, whatever
		// their collectives.
		return logged && s.OwnOrganization
	}
	return false
}
