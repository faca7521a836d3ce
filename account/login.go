package account

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/fault"
	"collectif/model"
	"collectif/password"
	"collectif/store"
)

// Client describes where a login comes from, for the audit trail.
type Client struct {
	IP        string
	UserAgent string
}

func (c Client) trimmed() Client {
	if len(c.UserAgent) > 300 {
		c.UserAgent = c.UserAgent[:300]
	}
	if len(c.IP) > 64 {
		c.IP = c.IP[:64]
	}
	return c
}

var errBadCredentials = &fault.Error{Kind: fault.Unauthorized, Field: "password", Message: "adresse e-mail ou mot de passe incorrect"}

// Authenticate checks a local password and records the sign-in. A wrong
// e-mail and a wrong password give the same answer in the same time.
func (s *Service) Authenticate(ctx context.Context, email, pw string, cl Client) (*model.Account, error) {
	const op = "account.Authenticate"
	email = strings.ToLower(strings.TrimSpace(email))
	a := new(model.Account)
	err := s.db.R.NewSelect().Model(a).Where("email = ? AND deleted_at IS NULL", email).Scan(ctx)
	if err != nil && !errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, fault.Wrap(op, err)
	}
	if err != nil || a.PasswordHash == "" {
		password.Verify(pw, s.dummy, s.password)
		return nil, errBadCredentials
	}
	ok, rehash, verr := password.Verify(pw, a.PasswordHash, s.password)
	if verr != nil {
		return nil, fault.Wrap(op, verr)
	}
	if !ok {
		return nil, errBadCredentials
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if rehash {
			if h, err := password.Hash(pw, s.password); err == nil {
				if _, err := tx.NewUpdate().Model(a).Set("password_hash = ?", h).WherePK().Exec(ctx); err != nil {
					return err
				}
			}
		}
		return s.recordSignIn(ctx, tx, a.ID, "password", cl)
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return a, nil
}

// keepSignIns is how many entries of the audit trail each account keeps.
const keepSignIns = 50

func (s *Service) recordSignIn(ctx context.Context, tx bun.Tx, accountID, method string, cl Client) error {
	cl = cl.trimmed()
	si := &model.SignIn{ID: model.NewID(), AccountID: accountID, At: s.now().UTC(), Method: method, IP: cl.IP, UserAgent: cl.UserAgent}
	if _, err := tx.NewInsert().Model(si).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewDelete().Model((*model.SignIn)(nil)).
		Where("account_id = ?", accountID).
		Where("id NOT IN (?)", tx.NewSelect().Model((*model.SignIn)(nil)).Column("id").
			Where("account_id = ?", accountID).OrderExpr("at DESC").Limit(keepSignIns)).
		Exec(ctx)
	return err
}

// ExternalIdentity is what an OpenID Connect provider says of a person,
// as the login edge hands it over.
type ExternalIdentity struct {
	Provider      string // the configured provider id
	Issuer        string
	Subject       string // sub, or idp_id|sub with ProConnect
	Email         string
	EmailVerified bool
	Name          string // given name + family name
	Phone         string
	SIREN         string // from the SIRET claim
}

// OIDCLogin is the outcome of an OpenID Connect login.
type OIDCLogin struct {
	Account *model.Account
	Created bool
	// Organization is set when a new account was linked to an organization
	// through its SIRET; the account page shows it so it can be corrected.
	Organization *model.Organization
}

// LoginOIDC finds the account linked to the identity's issuer and subject,
// or creates one at the first login. An account is never linked through its
// e-mail address alone: when another account already uses the address, the
// login is refused with a message saying how to link the provider.
func (s *Service) LoginOIDC(ctx context.Context, id ExternalIdentity, cl Client) (*OIDCLogin, error) {
	const op = "account.LoginOIDC"
	if id.Issuer == "" || id.Subject == "" {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Message: "le fournisseur d'identité n'a pas donné d'identifiant"}
	}
	out := &OIDCLogin{}
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ident := new(model.Identity)
		err := tx.NewSelect().Model(ident).Where("issuer = ? AND subject = ?", id.Issuer, id.Subject).Scan(ctx)
		switch {
		case err == nil:
			a := new(model.Account)
			if err := tx.NewSelect().Model(a).Where("id = ?", ident.AccountID).Scan(ctx); err != nil {
				return err
			}
			if !a.DeletedAt.IsZero() {
				return &fault.Error{Kind: fault.Forbidden, Message: "ce compte a été supprimé"}
			}
			if _, err := tx.NewUpdate().Model(ident).Set("last_login_at = ?", now).Set("email = ?", id.Email).WherePK().Exec(ctx); err != nil {
				return err
			}
			out.Account = a
		case errors.Is(store.NotFound(err), store.ErrNotFound):
			a, org, err := s.createFromIdentity(ctx, tx, id, now)
			if err != nil {
				return err
			}
			out.Account, out.Created, out.Organization = a, true, org
		default:
			return err
		}
		return s.recordSignIn(ctx, tx, out.Account.ID, "oidc:"+id.Provider, cl)
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return out, nil
}

func (s *Service) createFromIdentity(ctx context.Context, tx bun.Tx, id ExternalIdentity, now time.Time) (*model.Account, *model.Organization, error) {
	email, err := NormalizeEmail(id.Email)
	if err != nil {
		return nil, nil, &fault.Error{Kind: fault.Invalid, Field: "email", Message: "le fournisseur d'identité n'a pas donné d'adresse e-mail valide"}
	}
	name := strings.TrimSpace(id.Name)
	if name == "" {
		name = email[:strings.IndexByte(email, '@')]
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	a := &model.Account{ID: model.NewID(), Email: email, Name: name, Phone: id.Phone, ShowInDir: true, CreatedAt: now, UpdatedAt: now}
	var org *model.Organization
	if id.SIREN != "" && s.dir != nil {
		o, err := s.dir.EnsureBySIREN(ctx, tx, id.SIREN)
		switch {
		case err == nil:
			org = o
			a.OrganizationID, a.OrgSource = o.ID, "siret"
		case fault.Is(err, fault.NotFound):
			// An unknown SIREN: the member picks the organization later.
		default:
			return nil, nil, err
		}
	}
	if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
		if store.IsUniqueViolation(err) {
			f := fault.New(fault.Conflict, "un compte utilise déjà l'adresse %s : connectez-vous avec ce compte, puis liez ce fournisseur d'identité depuis la page de votre compte", email)
			f.Field = "email"
			return nil, nil, f
		}
		return nil, nil, err
	}
	ident := &model.Identity{ID: model.NewID(), AccountID: a.ID, Provider: id.Provider, Issuer: id.Issuer, Subject: id.Subject, Email: email, CreatedAt: now, LastLoginAt: now}
	if _, err := tx.NewInsert().Model(ident).Exec(ctx); err != nil {
		return nil, nil, err
	}
	if err := s.queue.Enqueue(ctx, tx, WelcomeMail{AccountID: a.ID}); err != nil {
		return nil, nil, err
	}
	return a, org, nil
}

// LinkIdentity links an OpenID identity to the logged-in account p.
func (s *Service) LinkIdentity(ctx context.Context, accountID string, id ExternalIdentity) error {
	const op = "account.LinkIdentity"
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ident := &model.Identity{ID: model.NewID(), AccountID: accountID, Provider: id.Provider, Issuer: id.Issuer, Subject: id.Subject, Email: strings.ToLower(id.Email), CreatedAt: now, LastLoginAt: now}
		_, err := tx.NewInsert().Model(ident).Exec(ctx)
		return store.Conflict(err)
	})
	if errors.Is(err, store.ErrConflict) {
		return &fault.Error{Kind: fault.Conflict, Op: op, Message: "cette identité est déjà liée à un compte"}
	}
	return fault.Wrap(op, err)
}

// SessionState is what every request of a logged-in browser needs to
// know of its account.
type SessionState struct {
	Epoch int    // the session epoch: a session of an older one has ended
	Admin bool   // instance administrator
	Lang  string // the language the member chose for pages, "" for none
}

// SessionState returns the account's current session state, and fault
// NotFound for a deleted or unknown account: its sessions must end.
func (s *Service) SessionState(ctx context.Context, accountID string) (SessionState, error) {
	var row struct {
		SessionEpoch int       `bun:"session_epoch"`
		IsAdmin      bool      `bun:"is_admin"`
		Lang         string    `bun:"lang"`
		DeletedAt    time.Time `bun:"deleted_at,nullzero"`
	}
	err := s.db.R.NewSelect().Table("accounts").Column("session_epoch", "is_admin", "lang", "deleted_at").Where("id = ?", accountID).Scan(ctx, &row)
	if err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return SessionState{}, fault.New(fault.NotFound, "compte introuvable")
		}
		return SessionState{}, err
	}
	if !row.DeletedAt.IsZero() {
		return SessionState{}, fault.New(fault.NotFound, "compte supprimé")
	}
	return SessionState{Epoch: row.SessionEpoch, Admin: row.IsAdmin, Lang: row.Lang}, nil
}

// LogoutEverywhere ends every session of the account, on every node.
func (s *Service) LogoutEverywhere(ctx context.Context, accountID string) error {
	_, err := s.db.W.NewUpdate().Table("accounts").Set("session_epoch = session_epoch + 1").Where("id = ?", accountID).Exec(ctx)
	return fault.Wrap("account.LogoutEverywhere", err)
}
