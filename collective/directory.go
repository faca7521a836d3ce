package collective

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/cursor"
	"collectif/fault"
	"collectif/model"
	"collectif/territory"
)

// MemberFilter narrows the member directory.
type MemberFilter struct {
	OrgKind model.OrgKind // e.g. commune
	Region  string        // INSEE code of the région of the member's organization
	Skill   string
	Tool    string
	Cursor  string
	Limit   int
}

// Member is one entry of the directory, with only what the member chose
// to show to fellow members.
type Member struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Title        string     `json:"title,omitempty"`
	Role         model.Role `json:"role"`
	Organization *MemberOrg `json:"organization"`
	Skills       []string   `json:"skills"`
	Tools        []string   `json:"tools"`
	Email        string     `json:"email,omitempty"` // only when the member shows it
	Phone        string     `json:"phone,omitempty"` // only when the member shows it
	Joined       time.Time  `json:"joined"`
}

// MemberOrg is the organization shown with a member.
type MemberOrg struct {
	ID     string        `json:"id"`
	Name   string        `json:"name"`
	Kind   model.OrgKind `json:"kind"`
	Region string        `json:"region,omitempty"`
}

// MemberPage is a page of the directory.
type MemberPage struct {
	Items []Member `json:"items"`
	Next  string   `json:"next"`
	Total int      `json:"total"`
}

// Members lists the active members of a collective, newest first, to its
// members only: e-mail and phone are never shown to the public, and to
// members only when each member chose so.
func (s *Service) Members(ctx context.Context, p access.Principal, slug string, f MemberFilter) (*MemberPage, error) {
	const op = "collective.Members"
	c, err := s.bySlug(ctx, s.db.R, slug)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	st, err := Standing(ctx, s.db.R, p, c.ID, "")
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if !access.Can(p, access.ViewDirectory, st) {
		if p.IsAnonymous() {
			return nil, &fault.Error{Kind: fault.Unauthorized, Op: op, Message: "l'annuaire est réservé aux membres du collectif : connectez-vous"}
		}
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "l'annuaire est réservé aux membres du collectif"}
	}
	if f.OrgKind != "" && !f.OrgKind.Valid() {
		return nil, fault.Wrap(op, fault.Field("kind", "type d'organisation inconnu"))
	}
	key, err := cursor.Decode(f.Cursor)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	limit := cursor.Limit(f.Limit, 30, 100)

	type row struct {
		AccountID string        `bun:"account_id"`
		Name      string        `bun:"name"`
		Title     string        `bun:"title"`
		Email     string        `bun:"email"`
		Phone     string        `bun:"phone"`
		ShowEmail bool          `bun:"show_email"`
		ShowPhone bool          `bun:"show_phone"`
		Role      model.Role    `bun:"role"`
		MID       string        `bun:"mid"`
		Joined    time.Time     `bun:"joined"`
		OrgID     string        `bun:"org_id"`
		OrgName   string        `bun:"org_name"`
		OrgKind   model.OrgKind `bun:"org_kind"`
		OrgRegion string        `bun:"org_region"`
	}
	base := func() *bun.SelectQuery {
		return s.memberQuery(p, c.ID, f)
	}
	q := base()
	if key.ID != "" {
		q = q.Where("(m.created_at < ? OR (m.created_at = ? AND m.id < ?))", key.At, key.At, key.ID)
	}
	var rows []row
	err = q.ColumnExpr("a.id AS account_id, a.name, a.title, a.email, a.phone, a.show_email, a.show_phone").
		ColumnExpr("m.role, m.id AS mid, m.created_at AS joined").
		ColumnExpr("COALESCE(o.id, '') AS org_id, COALESCE(o.name, '') AS org_name, COALESCE(o.kind, '') AS org_kind, COALESCE(o.region, '') AS org_region").
		OrderExpr("m.created_at DESC, m.id DESC").Limit(int64(limit+1)).Scan(ctx, &rows)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	// A first page that is the whole list is its own count.
	total := len(rows)
	if key.ID != "" || len(rows) > limit {
		n, err := base().Count(ctx)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		total = int(n)
	}
	out := &MemberPage{Items: []Member{}, Total: total}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		out.Next = cursor.Encode(cursor.Key{At: last.Joined, ID: last.MID})
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		m := Member{ID: r.AccountID, Name: r.Name, Title: r.Title, Role: r.Role, Joined: r.Joined, Skills: []string{}, Tools: []string{}}
		if r.ShowEmail || r.AccountID == p.AccountID {
			m.Email = r.Email
		}
		if r.ShowPhone || r.AccountID == p.AccountID {
			m.Phone = r.Phone
		}
		if r.OrgID != "" {
			m.Organization = &MemberOrg{ID: r.OrgID, Name: r.OrgName, Kind: r.OrgKind, Region: r.OrgRegion}
		}
		out.Items = append(out.Items, m)
		ids = append(ids, r.AccountID)
	}
	if len(ids) > 0 {
		var tags []struct {
			AccountID string `bun:"account_id"`
			Kind      string `bun:"kind"`
			Value     string `bun:"value"`
		}
		if err := s.db.R.NewSelect().Table("account_tags").Column("account_id", "kind", "value").
			Where("account_id IN (?)", bunIn(ids)).OrderExpr("value").Scan(ctx, &tags); err != nil {
			return nil, fault.Wrap(op, err)
		}
		byID := map[string]*Member{}
		for i := range out.Items {
			byID[out.Items[i].ID] = &out.Items[i]
		}
		for _, t := range tags {
			if m := byID[t.AccountID]; m != nil {
				if t.Kind == "skill" {
					m.Skills = append(m.Skills, t.Value)
				} else {
					m.Tools = append(m.Tools, t.Value)
				}
			}
		}
	}
	return out, nil
}

// memberQuery selects the directory's members of a collective that match
// f, without order or columns.
func (s *Service) memberQuery(p access.Principal, collectiveID string, f MemberFilter) *bun.SelectQuery {
	q := s.db.R.NewSelect().TableExpr("memberships AS m").
		Join("JOIN accounts AS a ON a.id = m.account_id").
		Join("LEFT JOIN organizations AS o ON o.id = a.organization_id").
		Where("m.collective_id = ? AND m.status = 'active' AND a.deleted_at IS NULL", collectiveID).
		Where("(a.show_in_directory = ? OR a.id = ?)", true, p.AccountID)
	if f.OrgKind != "" {
		q = q.Where("o.kind = ?", f.OrgKind)
	}
	if f.Region != "" {
		q = q.Where("o.region = ?", f.Region)
	}
	if f.Skill != "" {
		q = q.Where("EXISTS (SELECT 1 FROM account_tags t WHERE t.account_id = a.id AND t.kind = 'skill' AND t.norm = ?)", territory.Normalize(f.Skill))
	}
	if f.Tool != "" {
		q = q.Where("EXISTS (SELECT 1 FROM account_tags t WHERE t.account_id = a.id AND t.kind = 'tool' AND t.norm = ?)", territory.Normalize(f.Tool))
	}
	return q
}

// Pending lists the membership requests waiting for a decision, to the
// collective's administrators.
func (s *Service) Pending(ctx context.Context, p access.Principal, slug string) ([]PendingRequest, error) {
	const op = "collective.Pending"
	c, err := s.bySlug(ctx, s.db.R, slug)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if err := s.must(ctx, s.db.R, p, c.ID, access.DecideMembership); err != nil {
		return nil, fault.Wrap(op, err)
	}
	var out []PendingRequest
	err = s.db.R.NewSelect().TableExpr("memberships AS m").Join("JOIN accounts AS a ON a.id = m.account_id").
		Join("LEFT JOIN organizations AS o ON o.id = a.organization_id").
		ColumnExpr("a.id AS account_id, a.name, a.email, COALESCE(o.name, '') AS organization, m.message, m.updated_at AS asked_at").
		Where("m.collective_id = ? AND m.status = 'requested'", c.ID).OrderExpr("m.updated_at").Scan(ctx, &out)
	return out, fault.Wrap(op, err)
}

// PendingRequest is a membership request shown to administrators.
type PendingRequest struct {
	AccountID    string    `bun:"account_id" json:"account_id"`
	Name         string    `bun:"name" json:"name"`
	Email        string    `bun:"email" json:"email"`
	Organization string    `bun:"organization" json:"organization"`
	Message      string    `bun:"message" json:"message"`
	AskedAt      time.Time `bun:"asked_at" json:"asked_at"`
}
