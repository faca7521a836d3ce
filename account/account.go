// Package account holds the rules about people's accounts: local accounts
// with argon2id passwords, accounts created at a first OpenID Connect login
// (keyed on issuer and subject, never on e-mail alone), the sign-in audit
// trail, personal API tokens, "log out everywhere", the language the member
// chose for the hub's pages (its mails follow it too: English, or French
// when they chose no other), and the member's rights over their data
// (export, deletion).
//
// It imports access/, directory/, fault/, jobs/, mail/, model/, password/ and store/.
package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/directory"
	"collectif/fault"
	"collectif/jobs"
	"collectif/model"
	"collectif/password"
	"collectif/store"
)

// Service runs account actions.
type Service struct {
	content  []ContentHook
	db       *store.DB
	queue    *jobs.Queue
	dir      *directory.Service
	password password.Params
	log      *slog.Logger
	now      func() time.Time
	dummy    string // a hash to verify against when the account is unknown
}

// Deps are what the service needs.
type Deps struct {
	DB       *store.DB
	Queue    *jobs.Queue
	Password password.Params // zero: password.Default
	Logger   *slog.Logger
	// Directory matches a new OpenID account's SIRET to its organization.
	Directory *directory.Service
	// Content lists the parts of the hub that hold what members write, so
	// that deleting an account applies the member's choice to it and the
	// export includes it.
	Content []ContentHook
}

// ContentHook is one part of the hub holding members' content.
type ContentHook struct {
	Name string // the export section: "posts", "resources"…
	// Forget runs in the deletion's transaction: keep=true anonymizes
	// (the content stays, attributed to the deleted account), false
	// removes it.
	Forget func(ctx context.Context, tx bun.Tx, accountID string, keep bool) error
	// Export returns the member's content, JSON-encodable.
	Export func(ctx context.Context, accountID string) (any, error)
}

// New returns the account service.
func New(d Deps) *Service {
	if d.Password.Memory == 0 {
		d.Password = password.Default
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	// Verifying a password for an unknown e-mail costs as much as for a
	// known one, so timing does not tell which addresses have accounts.
	dummy, _ := password.Decoy(d.Password)
	return &Service{content: d.Content, db: d.DB, queue: d.Queue, dir: d.Directory, password: d.Password, log: d.Logger, now: time.Now, dummy: dummy}
}

// NewLocal is what it takes to create a local account.
type NewLocal struct {
	Email    string
	Name     string
	Password string
	Admin    bool
}

// NormalizeEmail checks an e-mail address and returns it lower-cased.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") && !strings.HasSuffix(s, "@localhost") {
		return "", fault.Field("email", "adresse e-mail invalide : %q", s)
	}
	return strings.ToLower(s), nil
}

// CreateLocal creates an account that logs in with a password, and
// enqueues its welcome mail in the same transaction. Only an instance
// administrator (or the operator) may create an administrator.
func (s *Service) CreateLocal(ctx context.Context, p access.Principal, in NewLocal) (*model.Account, error) {
	const op = "account.CreateLocal"
	if in.Admin && !p.IsAdmin() {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seul un administrateur peut créer un administrateur"}
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, fault.Wrap(op, fault.Field("name", "le nom est obligatoire (200 caractères au plus)"))
	}
	if err := password.Check(in.Password); err != nil {
		return nil, fault.Wrap(op, fault.Field("password", "le mot de passe compte de %d à %d caractères", password.MinLength, password.MaxLength))
	}
	hash, err := password.Hash(in.Password, s.password)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	now := time.Now().UTC()
	a := &model.Account{ID: model.NewID(), Email: email, Name: name, PasswordHash: hash, IsAdmin: in.Admin, ShowInDir: true, CreatedAt: now, UpdatedAt: now}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
			return store.Conflict(err)
		}
		return s.queue.Enqueue(ctx, tx, WelcomeMail{AccountID: a.ID})
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, &fault.Error{Kind: fault.Conflict, Op: op, Field: "email", Message: "un compte existe déjà avec cette adresse e-mail"}
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "account created", "account_id", a.ID, "admin", a.IsAdmin, "local", true)
	return a, nil
}

// ByID returns an account.
func (s *Service) ByID(ctx context.Context, id string) (*model.Account, error) {
	a := new(model.Account)
	if err := s.db.R.NewSelect().Model(a).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, fault.New(fault.NotFound, "compte introuvable")
		}
		return nil, fmt.Errorf("account.ByID: %w", err)
	}
	return a, nil
}

// Profile is what the operator sets on an account created without a
// password, for demonstration data and imports.
type Profile struct {
	Email, Name, Title, OrganizationID string
	Skills, Tools                      []string
}

// EnsureProfile creates, when no account has the e-mail yet, an account
// that cannot log in until it is linked to an OpenID identity or given a
// password; the operator only. It returns the existing or new account.
func (s *Service) EnsureProfile(ctx context.Context, p access.Principal, in Profile) (*model.Account, error) {
	const op = "account.EnsureProfile"
	if !p.IsSystem() {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "réservé à l'opérateur"}
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if a, err := s.ByEmail(ctx, email); err == nil {
		return a, nil
	}
	now := time.Now().UTC()
	a := &model.Account{ID: model.NewID(), Email: email, Name: in.Name, Title: in.Title, OrganizationID: in.OrganizationID,
		ShowInDir: true, CreatedAt: now, UpdatedAt: now}
	if in.OrganizationID != "" {
		a.OrgSource = "manual"
	}
	if _, err := s.db.W.NewInsert().Model(a).Exec(ctx); err != nil {
		return nil, fault.Wrap(op, store.Conflict(err))
	}
	if len(in.Skills)+len(in.Tools) > 0 {
		if err := s.UpdateDirectoryProfile(ctx, access.System(), a.ID, DirectoryProfile{Skills: in.Skills, Tools: in.Tools, ShowInDir: true}); err != nil {
			return nil, err
		}
	}
	return a, nil
}
