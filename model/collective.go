package model

import (
	"time"

	"github.com/uptrace/bun"
)

// Scope says how wide a collective reaches.
type Scope string

const (
	ScopeLocal    Scope = "local"
	ScopeRegional Scope = "regional"
	ScopeNational Scope = "national"
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool {
	return s == ScopeLocal || s == ScopeRegional || s == ScopeNational
}

// Collective is a network of members: a regional or a national collective.
type Collective struct {
	bun.BaseModel `bun:"table:collectives"`

	ID        string    `bun:"id,pk"`
	Slug      string    `bun:"slug"`
	Name      string    `bun:"name"`
	Summary   string    `bun:"summary"`
	Scope     Scope     `bun:"scope"`
	Region    string    `bun:"region,nullzero"` // INSEE code of the région, for regional collectives
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// Role is what a member may do in a collective.
type Role string

const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleModerator Role = "moderator"
	RoleMember    Role = "member"
	RolePartner   Role = "partner"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleModerator, RoleMember, RolePartner:
		return true
	}
	return false
}

// MembershipStatus is where a membership stands.
type MembershipStatus string

const (
	StatusRequested MembershipStatus = "requested"
	StatusInvited   MembershipStatus = "invited"
	StatusActive    MembershipStatus = "active"
	StatusLeft      MembershipStatus = "left"
	StatusBanned    MembershipStatus = "banned"
)

// Membership is an account's place in a collective.
type Membership struct {
	bun.BaseModel `bun:"table:memberships"`

	ID           string           `bun:"id,pk"`
	CollectiveID string           `bun:"collective_id"`
	AccountID    string           `bun:"account_id"`
	Role         Role             `bun:"role"`
	Status       MembershipStatus `bun:"status"`
	Message      string           `bun:"message"` // the request or decision message
	DecidedBy    string           `bun:"decided_by,nullzero"`
	DecidedAt    time.Time        `bun:"decided_at,nullzero"`
	CreatedAt    time.Time        `bun:"created_at"`
	UpdatedAt    time.Time        `bun:"updated_at"`
}

// JoinPolicy says how one joins a working group.
type JoinPolicy string

const (
	JoinOpen       JoinPolicy = "open"
	JoinApproval   JoinPolicy = "approval"
	JoinInvitation JoinPolicy = "invitation"
)

// Valid reports whether p is a known policy.
func (p JoinPolicy) Valid() bool {
	return p == JoinOpen || p == JoinApproval || p == JoinInvitation
}

// Visibility says who may see a working group and its content.
type Visibility string

const (
	VisibilityPublic  Visibility = "public"
	VisibilityMembers Visibility = "members"
)

// Valid reports whether v is a known visibility.
func (v Visibility) Valid() bool { return v == VisibilityPublic || v == VisibilityMembers }

// WorkingGroup is a group inside a collective.
type WorkingGroup struct {
	bun.BaseModel `bun:"table:working_groups"`

	ID           string     `bun:"id,pk"`
	CollectiveID string     `bun:"collective_id"`
	Slug         string     `bun:"slug"`
	Name         string     `bun:"name"`
	Summary      string     `bun:"summary"`
	JoinPolicy   JoinPolicy `bun:"join_policy"`
	Visibility   Visibility `bun:"visibility"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
}

// GroupMembership is an account's place in a working group.
type GroupMembership struct {
	bun.BaseModel `bun:"table:group_memberships"`

	ID        string           `bun:"id,pk"`
	GroupID   string           `bun:"group_id"`
	AccountID string           `bun:"account_id"`
	Role      Role             `bun:"role"` // owner, moderator or member
	Status    MembershipStatus `bun:"status"`
	CreatedAt time.Time        `bun:"created_at"`
	UpdatedAt time.Time        `bun:"updated_at"`
}
