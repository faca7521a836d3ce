package collective

import (
	"context"
	"errors"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/model"
	"collectif/store"
)

// Standing loads what the policy needs to know about p in a collective and,
// when groupID is not empty, in one of its working groups. Every domain
// package calls it before access.Can, so the rules read the same facts
// wherever an action comes from.
func Standing(ctx context.Context, db bun.IDB, p access.Principal, collectiveID, groupID string) (access.Subject, error) {
	var s access.Subject
	if groupID != "" {
		var g model.WorkingGroup
		if err := db.NewSelect().Model(&g).Column("visibility", "join_policy").Where("id = ? AND collective_id = ?", groupID, collectiveID).Scan(ctx); err != nil {
			return s, store.NotFound(err)
		}
		s.GroupVisibility, s.GroupJoin = g.Visibility, g.JoinPolicy
	}
	if p.AccountID == "" {
		return s, nil
	}
	var m model.Membership
	err := db.NewSelect().Model(&m).Column("role", "status").Where("collective_id = ? AND account_id = ?", collectiveID, p.AccountID).Scan(ctx)
	switch {
	case err == nil:
		switch m.Status {
		case model.StatusActive:
			s.Role = m.Role
		case model.StatusBanned:
			s.Banned = true
		}
	case !errors.Is(store.NotFound(err), store.ErrNotFound):
		return s, err
	}
	if groupID != "" {
		var gm model.GroupMembership
		err := db.NewSelect().Model(&gm).Column("role", "status").Where("group_id = ? AND account_id = ?", groupID, p.AccountID).Scan(ctx)
		switch {
		case err == nil:
			switch gm.Status {
			case model.StatusActive:
				s.GroupMember = true
				s.GroupModerator = gm.Role == model.RoleOwner || gm.Role == model.RoleModerator
			case model.StatusInvited:
				s.Invited = true
			}
		case !errors.Is(store.NotFound(err), store.ErrNotFound):
			return s, err
		}
	}
	return s, nil
}

// bunIn wraps a slice for an IN (?) clause.
func bunIn[T any](s []T) any { return bun.List(s) }
