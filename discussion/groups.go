package discussion

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
)

// GroupPage is what a working group's page shows to p.
type GroupPage struct {
	Place
	// Status is p's place in the group: "" (none), requested, invited or
	// active; Role is p's role when active.
	Status model.MembershipStatus
	Role   model.Role
	// CollectiveMember: p is an active member of the collective, the
	// condition to join any of its groups.
	CollectiveMember bool
	Members          int
	CanView          bool // p may read the topics (an invitee may not yet)
	CanJoin          bool
	CanPost          bool
	CanModerate      bool     // decide requests, invite
	Requests         []Person // pending requests, for those who decide them
	Topics           TopicList
}

// GroupPage returns the page of a working group with a page of its topics.
// A members-only group is not found by those who may not see it, unless
// they were invited to it or asked to join it.
func (s *Service) GroupPage(ctx context.Context, p access.Principal, collectiveSlug, groupSlug, cur string, limit int) (*GroupPage, error) {
	const op = "discussion.GroupPage"
	db := s.db.R
	pl, err := place(ctx, db, collectiveSlug, groupSlug)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	st, err := standing(ctx, db, p, pl)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	gm, err := groupMembership(ctx, db, pl.Group.ID, p.AccountID)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	pg := &GroupPage{Place: *pl, CollectiveMember: st.Role != "" && !st.Banned, CanView: access.Can(p, access.ViewGroup, st)}
	if gm != nil {
		pg.Status, pg.Role = gm.Status, gm.Role
	}
	if !pg.CanView && pg.Status != model.StatusInvited && pg.Status != model.StatusRequested {
		return nil, fault.Wrap(op, errGroupNotFound)
	}
	pg.CanJoin = p.AccountID != "" && access.Can(p, access.JoinGroup, st) && pg.Status != model.StatusRequested
	pg.CanPost = p.AccountID != "" && access.Can(p, access.PostInGroup, st)
	pg.CanModerate = access.Can(p, access.DecideGroupJoin, st)
	n, err := db.NewSelect().Model((*model.GroupMembership)(nil)).Where("group_id = ? AND status = ?", pl.Group.ID, model.StatusActive).Count(ctx)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	pg.Members = int(n)
	if pg.CanModerate {
		err := db.NewSelect().TableExpr("group_memberships AS m").Join("JOIN accounts AS a ON a.id = m.account_id").
			ColumnExpr("a.id, a.name").Where("m.group_id = ? AND m.status = ?", pl.Group.ID, model.StatusRequested).
			OrderExpr("m.created_at, a.id").Scan(ctx, &pg.Requests)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
	}
	if pg.CanView {
		tl, err := s.topics(ctx, db, pl, cur, limit)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		pg.Topics = *tl
	} else {
		pg.Topics = TopicList{Items: []TopicSummary{}}
	}
	return pg, nil
}

func groupMembership(ctx context.Context, db bun.IDB, groupID, accountID string) (*model.GroupMembership, error) {
	if accountID == "" {
		return nil, nil
	}
	gm := new(model.GroupMembership)
	err := db.NewSelect().Model(gm).Where("group_id = ? AND account_id = ?", groupID, accountID).Scan(ctx)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return gm, nil
}

// Join makes p a member of the group, or records p's request to join it,
// as the group's policy says: open groups admit every active member of the
// collective, approval groups take a request that a moderator decides,
// invitation groups admit only those invited. An invitation is accepted by
// joining, whatever the policy. It returns p's new status.
func (s *Service) Join(ctx context.Context, p access.Principal, collectiveSlug, groupSlug string) (model.MembershipStatus, error) {
	const op = "discussion.Join"
	if err := person(p, op); err != nil {
		return "", err
	}
	var status model.MembershipStatus
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		pl, err := place(ctx, tx, collectiveSlug, groupSlug)
		if err != nil {
			return err
		}
		st, err := standing(ctx, tx, p, pl)
		if err != nil {
			return err
		}
		gm, err := groupMembership(ctx, tx, pl.Group.ID, p.AccountID)
		if err != nil {
			return err
		}
		if !access.Can(p, access.ViewGroup, st) && !st.Invited && (gm == nil || gm.Status != model.StatusRequested) {
			return errGroupNotFound
		}
		switch {
		case st.GroupMember:
			return fault.New(fault.Conflict, "vous êtes déjà membre de ce groupe")
		case gm != nil && gm.Status == model.StatusRequested:
			return fault.New(fault.Conflict, "votre demande est déjà envoyée : un animateur du groupe va y répondre")
		case gm != nil && gm.Status == model.StatusBanned:
			return fault.New(fault.Forbidden, "vous avez été exclu de ce groupe")
		}
		if !access.Can(p, access.JoinGroup, st) {
			switch {
			case st.Role == "" || st.Banned:
				return fault.New(fault.Forbidden, "seuls les membres actifs du collectif peuvent rejoindre ses groupes de travail")
			case pl.Group.JoinPolicy == model.JoinInvitation:
				return fault.New(fault.Forbidden, "ce groupe n'accueille que sur invitation d'un de ses animateurs")
			}
			return deny(p, op, fault.New(fault.Unauthorized, "connectez-vous pour rejoindre ce groupe"), fault.New(fault.Forbidden, "vous ne pouvez pas rejoindre ce groupe"))
		}
		status = model.StatusActive
		if pl.Group.JoinPolicy == model.JoinApproval && !st.Invited && !access.Can(p, access.DecideGroupJoin, st) {
			// Those who decide requests need not ask themselves.
			status = model.StatusRequested
		}
		now := s.stamp()
		if err := setGroupStatus(ctx, tx, gm, pl.Group.ID, p.AccountID, status, now); err != nil {
			return err
		}
		if status == model.StatusRequested {
			mods, err := groupDeciders(ctx, tx, pl)
			if err != nil {
				return err
			}
			return notify(ctx, tx, p.AccountID, mods, model.Notification{Kind: model.NotifyJoinRequest, GroupID: pl.Group.ID, ActorID: p.AccountID, CreatedAt: now})
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		// Another request of the same person won the race.
		return "", &fault.Error{Kind: fault.Conflict, Op: op, Message: "vous êtes déjà inscrit à ce groupe"}
	}
	if err != nil {
		return "", fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "group joined", "account_id", p.AccountID, "group", groupSlug, "status", status)
	return status, nil
}

// setGroupStatus writes the membership row of accountID: a new one, or
// the existing gm updated.
func setGroupStatus(ctx context.Context, tx bun.Tx, gm *model.GroupMembership, groupID, accountID string, status model.MembershipStatus, now time.Time) error {
	if gm == nil {
		_, err := tx.NewInsert().Model(&model.GroupMembership{ID: model.NewID(), GroupID: groupID, AccountID: accountID,
			Role: model.RoleMember, Status: status, CreatedAt: now, UpdatedAt: now}).Exec(ctx)
		return store.Conflict(err)
	}
	q := tx.NewUpdate().Model((*model.GroupMembership)(nil)).Set("status = ?", status).Set("updated_at = ?", now).Where("id = ?", gm.ID)
	if gm.Status != model.StatusActive {
		// The membership starts now, whatever came before.
		q = q.Set("role = ?", model.RoleMember).Set("created_at = ?", now)
	}
	_, err := q.Exec(ctx)
	return err
}

// groupDeciders are those told of a request to join: the group's
// moderators, or the collective's administrators when it has none.
func groupDeciders(ctx context.Context, db bun.IDB, pl *Place) ([]string, error) {
	var ids []string
	err := db.NewSelect().Table("group_memberships").Column("account_id").
		Where("group_id = ? AND status = ? AND role IN (?)", pl.Group.ID, model.StatusActive, bun.List([]model.Role{model.RoleOwner, model.RoleModerator})).
		OrderExpr("account_id").Scan(ctx, &ids)
	if err != nil || len(ids) > 0 {
		return ids, err
	}
	err = db.NewSelect().Table("memberships").Column("account_id").
		Where("collective_id = ? AND status = ? AND role IN (?)", pl.Collective.ID, model.StatusActive, bun.List([]model.Role{model.RoleOwner, model.RoleAdmin})).
		OrderExpr("account_id").Scan(ctx, &ids)
	return ids, err
}

// Leave ends p's membership of the group; it also withdraws a pending
// request or declines an invitation. Leaving a members-only group takes
// its notifications away with it, since their topics are out of sight.
func (s *Service) Leave(ctx context.Context, p access.Principal, collectiveSlug, groupSlug string) error {
	const op = "discussion.Leave"
	if err := person(p, op); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		pl, err := place(ctx, tx, collectiveSlug, groupSlug)
		if err != nil {
			return err
		}
		st, err := standing(ctx, tx, p, pl)
		if err != nil {
			return err
		}
		gm, err := groupMembership(ctx, tx, pl.Group.ID, p.AccountID)
		if err != nil {
			return err
		}
		if gm == nil || gm.Status == model.StatusLeft || gm.Status == model.StatusBanned {
			if !access.Can(p, access.ViewGroup, st) {
				return errGroupNotFound
			}
			return fault.New(fault.Conflict, "vous n'êtes pas membre de ce groupe")
		}
		if _, err := tx.NewDelete().Model((*model.GroupMembership)(nil)).Where("id = ?", gm.ID).Exec(ctx); err != nil {
			return err
		}
		if pl.Group.Visibility == model.VisibilityMembers {
			_, err := tx.NewDelete().Model((*model.Notification)(nil)).Where("account_id = ? AND group_id = ?", p.AccountID, pl.Group.ID).Exec(ctx)
			return err
		}
		return nil
	})
	if err != nil {
		return fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "group left", "account_id", p.AccountID, "group", groupSlug)
	return nil
}

// Decide approves or refuses accountID's request to join the group. A
// refused request is forgotten: the person may ask again later.
func (s *Service) Decide(ctx context.Context, p access.Principal, collectiveSlug, groupSlug, accountID string, approve bool) error {
	const op = "discussion.Decide"
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		pl, err := place(ctx, tx, collectiveSlug, groupSlug)
		if err != nil {
			return err
		}
		st, err := visible(ctx, tx, p, pl, errGroupNotFound)
		if err != nil {
			return err
		}
		if !access.Can(p, access.DecideGroupJoin, st) {
			return deny(p, op, fault.New(fault.Unauthorized, "connectez-vous pour décider des demandes d'adhésion à ce groupe"), fault.New(fault.Forbidden, "vous ne pouvez pas décider des demandes d'adhésion à ce groupe"))
		}
		gm, err := groupMembership(ctx, tx, pl.Group.ID, accountID)
		if err != nil {
			return err
		}
		if gm == nil || gm.Status != model.StatusRequested {
			return fault.New(fault.NotFound, "aucune demande en attente de ce membre")
		}
		now := s.stamp()
		n := model.Notification{GroupID: pl.Group.ID, ActorID: p.AccountID, CreatedAt: now}
		if approve {
			ok, err := activeMember(ctx, tx, pl.Collective.ID, accountID)
			if err != nil {
				return err
			}
			if !ok {
				return fault.New(fault.Conflict, "cette personne n'est plus membre active du collectif")
			}
			if err := setGroupStatus(ctx, tx, gm, pl.Group.ID, accountID, model.StatusActive, now); err != nil {
				return err
			}
			n.Kind = model.NotifyJoinApproved
		} else {
			if _, err := tx.NewDelete().Model((*model.GroupMembership)(nil)).Where("id = ?", gm.ID).Exec(ctx); err != nil {
				return err
			}
			n.Kind = model.NotifyJoinRefused
		}
		return notify(ctx, tx, p.AccountID, []string{accountID}, n)
	})
	if err != nil {
		return fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "group request decided", "account_id", accountID, "group", groupSlug, "approved", approve, "by", p.AccountID)
	return nil
}

func activeMember(ctx context.Context, db bun.IDB, collectiveID, accountID string) (bool, error) {
	return db.NewSelect().Table("memberships").Where("collective_id = ? AND account_id = ? AND status = ?", collectiveID, accountID, model.StatusActive).Exists(ctx)
}

// Invite invites an active member of the collective, named by account ID
// or e-mail address, into the group; a pending request of theirs is
// approved instead. Group moderators and collective administrators may.
func (s *Service) Invite(ctx context.Context, p access.Principal, collectiveSlug, groupSlug, invitee string) (model.MembershipStatus, error) {
	const op = "discussion.Invite"
	var status model.MembershipStatus
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		pl, err := place(ctx, tx, collectiveSlug, groupSlug)
		if err != nil {
			return err
		}
		st, err := visible(ctx, tx, p, pl, errGroupNotFound)
		if err != nil {
			return err
		}
		if !access.Can(p, access.DecideGroupJoin, st) {
			return deny(p, op, fault.New(fault.Unauthorized, "connectez-vous pour inviter dans ce groupe"), fault.New(fault.Forbidden, "vous ne pouvez pas inviter dans ce groupe"))
		}
		// Whether an address has an account is not told: every miss gets
		// the same answer.
		miss := fault.Field("invitee", "aucun membre actif du collectif ne correspond à « %s »", invitee)
		invitee = strings.TrimSpace(invitee)
		q := tx.NewSelect().TableExpr("accounts AS a").Column("a.id").
			Join("JOIN memberships AS m ON m.account_id = a.id AND m.collective_id = ? AND m.status = ?", pl.Collective.ID, model.StatusActive).
			Where("a.deleted_at IS NULL")
		switch {
		case strings.Contains(invitee, "@"):
			q = q.Where("a.email = ?", strings.ToLower(invitee))
		case model.ValidID(invitee):
			q = q.Where("a.id = ?", invitee)
		default:
			return miss
		}
		var id string
		if err := q.Scan(ctx, &id); err != nil {
			return notFound(err, miss)
		}
		gm, err := groupMembership(ctx, tx, pl.Group.ID, id)
		if err != nil {
			return err
		}
		now := s.stamp()
		n := model.Notification{GroupID: pl.Group.ID, ActorID: p.AccountID, CreatedAt: now}
		switch {
		case gm != nil && gm.Status == model.StatusActive:
			return &fault.Error{Kind: fault.Conflict, Field: "invitee", Message: "cette personne est déjà membre du groupe"}
		case gm != nil && gm.Status == model.StatusInvited:
			return &fault.Error{Kind: fault.Conflict, Field: "invitee", Message: "cette personne est déjà invitée"}
		case gm != nil && gm.Status == model.StatusRequested:
			status, n.Kind = model.StatusActive, model.NotifyJoinApproved
		default:
			status, n.Kind = model.StatusInvited, model.NotifyInvitation
		}
		if err := setGroupStatus(ctx, tx, gm, pl.Group.ID, id, status, now); err != nil {
			return err
		}
		return notify(ctx, tx, p.AccountID, []string{id}, n)
	})
	if err != nil {
		return "", fault.Wrap(op, err)
	}
	return status, nil
}
