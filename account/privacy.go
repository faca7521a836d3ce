package account

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
	"collectif/search"
)

// SignIns returns the account's last sign-ins, newest first.
func (s *Service) SignIns(ctx context.Context, p access.Principal, accountID string, limit int) ([]model.SignIn, error) {
	if p.AccountID != accountID && !p.IsAdmin() {
		return nil, fault.New(fault.Forbidden, "accès refusé")
	}
	var out []model.SignIn
	err := s.db.R.NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("at DESC").Limit(int64(limit)).Scan(ctx)
	return out, fault.Wrap("account.SignIns", err)
}

// Identities returns the OpenID identities linked to the account.
func (s *Service) Identities(ctx context.Context, accountID string) ([]model.Identity, error) {
	var out []model.Identity
	err := s.db.R.NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("created_at").Scan(ctx)
	return out, fault.Wrap("account.Identities", err)
}

// SetOrganization sets the member's organization (nil clears it), as the
// member corrects what the SIRET matched.
func (s *Service) SetOrganization(ctx context.Context, p access.Principal, accountID, orgID string) error {
	const op = "account.SetOrganization"
	if p.AccountID != accountID && !p.IsAdmin() {
		return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "accès refusé"}
	}
	if orgID != "" {
		if _, err := s.dir.ByID(ctx, orgID); err != nil {
			return fault.Wrap(op, fault.Field("organization", "organisation introuvable"))
		}
	}
	return fault.Wrap(op, s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Table("accounts").Set("updated_at = ?", s.now().UTC()).Where("id = ?", accountID)
		if orgID == "" {
			q = q.Set("organization_id = NULL").Set("organization_source = ''")
		} else {
			q = q.Set("organization_id = ?", orgID).Set("organization_source = 'manual'")
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		return s.reindex(ctx, tx, accountID)
	}))
}

// UpdateProfile changes the member's name and job title.
func (s *Service) UpdateProfile(ctx context.Context, p access.Principal, accountID, name, title string) error {
	const op = "account.UpdateProfile"
	if p.AccountID != accountID && !p.IsAdmin() {
		return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "accès refusé"}
	}
	name, title = strings.TrimSpace(name), strings.TrimSpace(title)
	if name == "" || len([]rune(name)) > 200 {
		return fault.Wrap(op, fault.Field("name", "le nom est obligatoire (200 caractères au plus)"))
	}
	if len([]rune(title)) > 200 {
		return fault.Wrap(op, fault.Field("title", "la fonction ne peut dépasser 200 caractères"))
	}
	return fault.Wrap(op, s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("accounts").Set("name = ?", name).Set("title = ?", title).
			Set("updated_at = ?", s.now().UTC()).Where("id = ?", accountID).Exec(ctx); err != nil {
			return err
		}
		return s.reindex(ctx, tx, accountID)
	}))
}

// Export is everything the hub holds about one member, as one JSON
// document (RGPD article 20). Later parts of the hub add their sections.
type Export struct {
	Format       string             `json:"format"`
	ExportedAt   time.Time          `json:"exported_at"`
	Profile      ExportProfile      `json:"profile"`
	Organization *ExportOrg         `json:"organization"`
	Identities   []ExportIdentity   `json:"identities"`
	Memberships  []ExportMembership `json:"memberships"`
	Groups       []ExportMembership `json:"working_groups"`
	SignIns      []ExportSignIn     `json:"sign_ins"`
	Tokens       []ExportToken      `json:"api_tokens"`
	// Content holds what the member wrote, by part of the hub.
	Content map[string]any `json:"content"`
}

type ExportProfile struct {
	ID        string          `json:"id"`
	Email     string          `json:"email"`
	Name      string          `json:"name"`
	Title     string          `json:"title"`
	Phone     string          `json:"phone"`
	Bio       string          `json:"bio"`
	Skills    []string        `json:"skills"`
	Tools     []string        `json:"tools"`
	Privacy   map[string]bool `json:"privacy"`
	Lang      string          `json:"lang"` // the pages' language chosen, "" for none
	Admin     bool            `json:"instance_admin"`
	HasLocal  bool            `json:"has_local_password"`
	CreatedAt time.Time       `json:"created_at"`
}

type ExportOrg struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	SIREN  string `json:"siren,omitempty"`
	Source string `json:"linked_by"`
}

type ExportIdentity struct {
	Provider    string    `json:"provider"`
	Issuer      string    `json:"issuer"`
	Subject     string    `json:"subject"`
	Email       string    `json:"email"`
	CreatedAt   time.Time `json:"linked_at"`
	LastLoginAt time.Time `json:"last_login_at"`
}

type ExportMembership struct {
	Of        string    `json:"of"` // collective slug, or collective/group slugs
	Role      string    `json:"role"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"since"`
}

type ExportSignIn struct {
	At        time.Time `json:"at"`
	Method    string    `json:"method"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

type ExportToken struct {
	Name       string    `json:"name"`
	Scopes     string    `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	Revoked    bool      `json:"revoked"`
}

// Export gathers the member's data.
func (s *Service) Export(ctx context.Context, p access.Principal, accountID string) (*Export, error) {
	const op = "account.Export"
	if p.AccountID != accountID && !p.IsAdmin() {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "accès refusé"}
	}
	a, err := s.ByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	e := &Export{Format: "collectif-export/1", ExportedAt: s.now().UTC(),
		Profile: ExportProfile{ID: a.ID, Email: a.Email, Name: a.Name, Title: a.Title, Phone: a.Phone, Bio: a.Bio, Lang: a.Lang, Admin: a.IsAdmin, HasLocal: a.PasswordHash != "", CreatedAt: a.CreatedAt,
			Privacy: map[string]bool{"show_in_directory": a.ShowInDir, "show_email": a.ShowEmail, "show_phone": a.ShowPhone}},
		Identities:  []ExportIdentity{},
		Memberships: []ExportMembership{}, Groups: []ExportMembership{}, SignIns: []ExportSignIn{}, Tokens: []ExportToken{}}
	if e.Profile.Skills, e.Profile.Tools, err = s.Tags(ctx, a.ID); err != nil {
		return nil, err
	}
	if a.OrganizationID != "" {
		if o, err := s.dir.ByID(ctx, a.OrganizationID); err == nil {
			e.Organization = &ExportOrg{ID: o.ID, Name: o.Name, Kind: string(o.Kind), SIREN: o.SIREN, Source: a.OrgSource}
		}
	}
	ids, err := s.Identities(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for _, i := range ids {
		e.Identities = append(e.Identities, ExportIdentity{Provider: i.Provider, Issuer: i.Issuer, Subject: i.Subject, Email: i.Email, CreatedAt: i.CreatedAt, LastLoginAt: i.LastLoginAt})
	}
	var ms []struct {
		Slug      string    `bun:"slug"`
		Role      string    `bun:"role"`
		Status    string    `bun:"status"`
		CreatedAt time.Time `bun:"created_at"`
	}
	if err := s.db.R.NewSelect().TableExpr("memberships AS m").Join("JOIN collectives AS c ON c.id = m.collective_id").
		ColumnExpr("c.slug, m.role, m.status, m.created_at").Where("m.account_id = ?", a.ID).OrderExpr("m.created_at").Scan(ctx, &ms); err != nil {
		return nil, fault.Wrap(op, err)
	}
	for _, m := range ms {
		e.Memberships = append(e.Memberships, ExportMembership{Of: m.Slug, Role: m.Role, Status: m.Status, CreatedAt: m.CreatedAt})
	}
	ms = ms[:0]
	if err := s.db.R.NewSelect().TableExpr("group_memberships AS m").Join("JOIN working_groups AS g ON g.id = m.group_id").
		Join("JOIN collectives AS c ON c.id = g.collective_id").
		ColumnExpr("c.slug || '/' || g.slug AS slug, m.role, m.status, m.created_at").Where("m.account_id = ?", a.ID).OrderExpr("m.created_at").Scan(ctx, &ms); err != nil {
		return nil, fault.Wrap(op, err)
	}
	for _, m := range ms {
		e.Groups = append(e.Groups, ExportMembership{Of: m.Slug, Role: m.Role, Status: m.Status, CreatedAt: m.CreatedAt})
	}
	sis, err := s.SignIns(ctx, p, a.ID, keepSignIns)
	if err != nil {
		return nil, err
	}
	for _, si := range sis {
		e.SignIns = append(e.SignIns, ExportSignIn{At: si.At, Method: si.Method, IP: si.IP, UserAgent: si.UserAgent})
	}
	toks, err := s.Tokens(ctx, p, a.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range toks {
		e.Tokens = append(e.Tokens, ExportToken{Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, Revoked: !t.RevokedAt.IsZero()})
	}
	e.Content = map[string]any{}
	for _, h := range s.content {
		if h.Export == nil {
			continue
		}
		v, err := h.Export(ctx, a.ID)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		e.Content[h.Name] = v
	}
	return e, nil
}

// Delete erases the member's personal data: the account row stays as an
// anonymous tombstone (so that content kept by choice stays attributed to
// "a deleted account", and foreign keys hold), and identities, tokens,
// sign-ins and memberships go. Every session ends. keepContent says what
// happens to what the member wrote; each part of the hub that holds content
// applies it through its ContentHook, in the same transaction.
func (s *Service) Delete(ctx context.Context, p access.Principal, accountID string, keepContent bool) error {
	const op = "account.Delete"
	if p.AccountID != accountID && !p.IsAdmin() {
		return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "accès refusé"}
	}
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Table("accounts").
			Set("email = ?", "deleted-"+strings.ToLower(accountID)+"@invalid").
			Set("name = ?", "Compte supprimé").Set("title = ''").Set("phone = ''").Set("bio = ''").Set("lang = ''").
			Set("password_hash = NULL").Set("organization_id = NULL").Set("organization_source = ''").
			Set("is_admin = ?", false).Set("session_epoch = session_epoch + 1").
			Set("deleted_at = ?", now).Set("updated_at = ?", now).
			Where("id = ? AND deleted_at IS NULL", accountID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.New(fault.NotFound, "compte introuvable")
		}
		for _, table := range []string{"identities", "api_tokens", "sign_ins", "memberships", "group_memberships", "account_tags"} {
			if _, err := tx.NewDelete().Table(table).Where("account_id = ?", accountID).Exec(ctx); err != nil {
				return err
			}
		}
		for _, h := range s.content {
			if h.Forget != nil {
				if err := h.Forget(ctx, tx, accountID, keepContent); err != nil {
					return err
				}
			}
		}
		return s.reindex(ctx, tx, accountID)
	})
	if err != nil {
		return fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "account deleted", "account_id", accountID, "keep_content", keepContent)
	return nil
}

// reindex asks the search index to refresh the member's document.
func (s *Service) reindex(ctx context.Context, tx bun.Tx, accountID string) error {
	return s.queue.Enqueue(ctx, tx, search.IndexJob{Type: "member", ID: accountID})
}
