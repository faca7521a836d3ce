package collective

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
)

func (s *Service) bySlug(ctx context.Context, db bun.IDB, slug string) (*model.Collective, error) {
	c := new(model.Collective)
	if !ValidSlug(slug) {
		return nil, fault.New(fault.NotFound, "collectif introuvable")
	}
	if err := db.NewSelect().Model(c).Where("slug = ?", slug).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, fault.New(fault.NotFound, "collectif introuvable")
		}
		return nil, err
	}
	return c, nil
}

// BySlug returns a collective.
func (s *Service) BySlug(ctx context.Context, slug string) (*model.Collective, error) {
	c, err := s.bySlug(ctx, s.db.R, slug)
	return c, fault.Wrap("collective.BySlug", err)
}

// Membership returns p's membership of the collective, or nil.
func (s *Service) Membership(ctx context.Context, p access.Principal, collectiveID string) (*model.Membership, error) {
	if p.AccountID == "" {
		return nil, nil
	}
	m := new(model.Membership)
	err := s.db.R.NewSelect().Model(m).Where("collective_id = ? AND account_id = ?", collectiveID, p.AccountID).Scan(ctx)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, nil
	}
	return m, fault.Wrap("collective.Membership", err)
}

// RequestMembership asks to join the collective, with a message to its
// administrators. A member who left may ask again; a banned one may not.
func (s *Service) RequestMembership(ctx context.Context, p access.Principal, slug, message string) (*model.Membership, error) {
	const op = "collective.RequestMembership"
	if utf8.RuneCountInString(message) > 2000 {
		return nil, fault.Wrap(op, fault.Field("message", "le message ne peut dépasser 2000 caractères"))
	}
	var out *model.Membership
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.bySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		st, err := Standing(ctx, tx, p, c.ID, "")
		if err != nil {
			return err
		}
		m := new(model.Membership)
		err = tx.NewSelect().Model(m).Where("collective_id = ? AND account_id = ?", c.ID, p.AccountID).Scan(ctx)
		exists := err == nil
		if err != nil && !errors.Is(store.NotFound(err), store.ErrNotFound) {
			return err
		}
		if exists && (m.Status == model.StatusRequested || m.Status == model.StatusActive) {
			return &fault.Error{Kind: fault.Conflict, Message: "vous êtes déjà membre de ce collectif ou votre demande est en attente"}
		}
		if exists && m.Status == model.StatusInvited {
			// Asking while invited is accepting the invitation.
			return s.activate(ctx, tx, m, "", m.Role)
		}
		if !access.Can(p, access.RequestMembership, st) && !(exists && m.Status == model.StatusLeft && !p.IsAnonymous()) {
			if p.IsAnonymous() {
				return &fault.Error{Kind: fault.Unauthorized, Message: "connectez-vous pour demander à rejoindre ce collectif"}
			}
			return &fault.Error{Kind: fault.Forbidden, Message: "vous ne pouvez pas demander à rejoindre ce collectif"}
		}
		now := time.Now().UTC()
		if !exists {
			m = &model.Membership{ID: model.NewID(), CollectiveID: c.ID, AccountID: p.AccountID, Role: model.RoleMember, CreatedAt: now}
		}
		m.Status, m.Message, m.UpdatedAt = model.StatusRequested, strings.TrimSpace(message), now
		if exists {
			_, err = tx.NewUpdate().Model(m).Column("status", "message", "updated_at").WherePK().Exec(ctx)
		} else {
			_, err = tx.NewInsert().Model(m).Exec(ctx)
		}
		out = m
		return err
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return out, nil
}

func (s *Service) activate(ctx context.Context, tx bun.Tx, m *model.Membership, by string, role model.Role) error {
	now := time.Now().UTC()
	m.Status, m.Role, m.UpdatedAt, m.DecidedAt = model.StatusActive, role, now, now
	if by != "" {
		m.DecidedBy = by
	}
	if _, err := tx.NewUpdate().Model(m).Column("status", "role", "updated_at", "decided_at", "decided_by").WherePK().Exec(ctx); err != nil {
		return err
	}
	return s.index(ctx, tx, "member", m.AccountID)
}

// Decision is an administrator's answer to a membership request.
type Decision struct {
	Approve bool
	Role    model.Role // member (default) or partner
	Message string     // shown to the requester
}

// Decide approves or refuses a pending request.
func (s *Service) Decide(ctx context.Context, p access.Principal, slug, accountID string, d Decision) error {
	const op = "collective.Decide"
	if d.Role == "" {
		d.Role = model.RoleMember
	}
	if d.Role != model.RoleMember && d.Role != model.RolePartner {
		return fault.Wrap(op, fault.Field("role", "un nouveau membre est membre ou partenaire"))
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.bySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		if err := s.must(ctx, tx, p, c.ID, access.DecideMembership); err != nil {
			return err
		}
		m := new(model.Membership)
		if err := tx.NewSelect().Model(m).Where("collective_id = ? AND account_id = ? AND status = ?", c.ID, accountID, model.StatusRequested).Scan(ctx); err != nil {
			if errors.Is(store.NotFound(err), store.ErrNotFound) {
				return fault.New(fault.NotFound, "aucune demande en attente pour ce compte")
			}
			return err
		}
		m.Message = strings.TrimSpace(d.Message)
		if d.Approve {
			return s.activate(ctx, tx, m, p.AccountID, d.Role)
		}
		now := time.Now().UTC()
		m.Status, m.UpdatedAt, m.DecidedAt, m.DecidedBy = model.StatusLeft, now, now, p.AccountID
		_, err = tx.NewUpdate().Model(m).Column("status", "message", "updated_at", "decided_at", "decided_by").WherePK().Exec(ctx)
		return err
	})
	return fault.Wrap(op, err)
}

func (s *Service) must(ctx context.Context, db bun.IDB, p access.Principal, collectiveID string, a access.Action) error {
	st, err := Standing(ctx, db, p, collectiveID, "")
	if err != nil {
		return err
	}
	if !access.Can(p, a, st) {
		return fault.New(fault.Forbidden, "cette action est réservée aux administrateurs du collectif")
	}
	return nil
}

// Invite invites an account to the collective with a role.
func (s *Service) Invite(ctx context.Context, p access.Principal, slug, accountID string, role model.Role) error {
	const op = "collective.Invite"
	if role != model.RoleMember && role != model.RolePartner {
		return fault.Wrap(op, fault.Field("role", "on invite un membre ou un partenaire"))
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.bySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		if err := s.must(ctx, tx, p, c.ID, access.DecideMembership); err != nil {
			return err
		}
		now := time.Now().UTC()
		m := &model.Membership{ID: model.NewID(), CollectiveID: c.ID, AccountID: accountID, Role: role, Status: model.StatusInvited, CreatedAt: now, UpdatedAt: now, DecidedBy: p.AccountID, DecidedAt: now}
		_, err = tx.NewInsert().Model(m).
			On("CONFLICT (collective_id, account_id) DO UPDATE").
			Set("status = CASE WHEN memberships.status IN ('active', 'banned') THEN memberships.status ELSE EXCLUDED.status END").
			Set("role = CASE WHEN memberships.status = 'active' THEN memberships.role ELSE EXCLUDED.role END").
			Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
		return err
	})
	return fault.Wrap(op, err)
}

// Leave leaves the collective. The last owner cannot leave.
func (s *Service) Leave(ctx context.Context, p access.Principal, slug string) error {
	const op = "collective.Leave"
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.bySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		m := new(model.Membership)
		if err := tx.NewSelect().Model(m).Where("collective_id = ? AND account_id = ? AND status IN (?)", c.ID, p.AccountID,
			bun.List([]model.MembershipStatus{model.StatusActive, model.StatusRequested, model.StatusInvited})).Scan(ctx); err != nil {
			if errors.Is(store.NotFound(err), store.ErrNotFound) {
				return fault.New(fault.NotFound, "vous n'êtes pas membre de ce collectif")
			}
			return err
		}
		if m.Role == model.RoleOwner && m.Status == model.StatusActive {
			n, err := tx.NewSelect().Model((*model.Membership)(nil)).Where("collective_id = ? AND role = 'owner' AND status = 'active'", c.ID).Count(ctx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return fault.New(fault.Conflict, "vous êtes le dernier propriétaire : nommez un autre propriétaire avant de partir")
			}
		}
		m.Status, m.UpdatedAt = model.StatusLeft, time.Now().UTC()
		if _, err := tx.NewUpdate().Model(m).Column("status", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		// Leaving the collective is leaving its working groups.
		if _, err = tx.NewUpdate().Table("group_memberships").Set("status = 'left'").Set("updated_at = ?", m.UpdatedAt).
			Where("account_id = ? AND group_id IN (SELECT id FROM working_groups WHERE collective_id = ?)", p.AccountID, c.ID).Exec(ctx); err != nil {
			return err
		}
		return s.index(ctx, tx, "member", p.AccountID)
	})
	return fault.Wrap(op, err)
}

// Ban bans an account from the collective and its groups.
func (s *Service) Ban(ctx context.Context, p access.Principal, slug, accountID, message string) error {
	const op = "collective.Ban"
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.bySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		if err := s.must(ctx, tx, p, c.ID, access.DecideMembership); err != nil {
			return err
		}
		if accountID == p.AccountID {
			return fault.New(fault.Invalid, "vous ne pouvez pas vous exclure vous-même")
		}
		now := time.Now().UTC()
		m := &model.Membership{ID: model.NewID(), CollectiveID: c.ID, AccountID: accountID, Role: model.RoleMember, Status: model.StatusBanned,
			Message: strings.TrimSpace(message), CreatedAt: now, UpdatedAt: now, DecidedBy: p.AccountID, DecidedAt: now}
		if _, err := tx.NewInsert().Model(m).On("CONFLICT (collective_id, account_id) DO UPDATE").
			Set("status = 'banned'").Set("message = EXCLUDED.message").Set("updated_at = EXCLUDED.updated_at").
			Set("decided_by = EXCLUDED.decided_by").Set("decided_at = EXCLUDED.decided_at").Exec(ctx); err != nil {
			return err
		}
		if _, err = tx.NewUpdate().Table("group_memberships").Set("status = 'banned'").Set("updated_at = ?", now).
			Where("account_id = ? AND group_id IN (SELECT id FROM working_groups WHERE collective_id = ?)", accountID, c.ID).Exec(ctx); err != nil {
			return err
		}
		return s.index(ctx, tx, "member", accountID)
	})
	return fault.Wrap(op, err)
}

// ChangeRole gives an active member another role; owners only.
func (s *Service) ChangeRole(ctx context.Context, p access.Principal, slug, accountID string, role model.Role) error {
	const op = "collective.ChangeRole"
	if !role.Valid() {
		return fault.Wrap(op, fault.Field("role", "rôle inconnu"))
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.bySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		st, err := Standing(ctx, tx, p, c.ID, "")
		if err != nil {
			return err
		}
		if !access.Can(p, access.ChangeRole, st) {
			return fault.New(fault.Forbidden, "seuls les propriétaires du collectif changent les rôles")
		}
		res, err := tx.NewUpdate().Table("memberships").Set("role = ?", role).Set("updated_at = ?", time.Now().UTC()).
			Where("collective_id = ? AND account_id = ? AND status = 'active'", c.ID, accountID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.New(fault.NotFound, "ce compte n'est pas membre actif du collectif")
		}
		return nil
	})
	return fault.Wrap(op, err)
}

// Join makes p an active member directly; for the operator and for
// instance administrators seeding a collective (demo, first owner).
func (s *Service) Join(ctx context.Context, p access.Principal, slug, accountID string, role model.Role) error {
	const op = "collective.Join"
	if !p.IsAdmin() {
		return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "réservé aux administrateurs du hub"}
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.bySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		m := &model.Membership{ID: model.NewID(), CollectiveID: c.ID, AccountID: accountID, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
		if _, err = tx.NewInsert().Model(m).On("CONFLICT (collective_id, account_id) DO UPDATE").
			Set("status = 'active'").Set("role = EXCLUDED.role").Set("updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return err
		}
		return s.index(ctx, tx, "member", accountID)
	})
	return fault.Wrap(op, err)
}
