package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
)

// TokenPrefix starts every personal token, so that secret scanners and
// people recognise one.
const TokenPrefix = "clf_"

func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates a personal API token for the account and returns it
// in clear, once: only its hash is kept. scopes is "read" or "read,write".
func (s *Service) CreateToken(ctx context.Context, p access.Principal, accountID, name, scopes string) (string, *model.APIToken, error) {
	const op = "account.CreateToken"
	if p.AccountID != accountID && !p.IsAdmin() {
		return "", nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "vous ne pouvez créer de jeton que pour votre compte"}
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", nil, fault.Wrap(op, fault.Field("name", "donnez un nom au jeton (100 caractères au plus)"))
	}
	switch strings.ReplaceAll(scopes, " ", "") {
	case "read":
		scopes = "read"
	case "read,write", "write,read", "write":
		scopes = "read,write"
	default:
		return "", nil, fault.Wrap(op, fault.Field("scope", "portée inconnue : read ou read,write"))
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fault.Wrap(op, err)
	}
	plain := TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	t := &model.APIToken{ID: model.NewID(), AccountID: accountID, Name: name, TokenHash: hashToken(plain), Scopes: scopes, CreatedAt: s.now().UTC()}
	if _, err := s.db.W.NewInsert().Model(t).Exec(ctx); err != nil {
		return "", nil, fault.Wrap(op, err)
	}
	return plain, t, nil
}

// AuthenticateToken returns the account and token of a valid, unrevoked
// bearer token.
func (s *Service) AuthenticateToken(ctx context.Context, plain string) (*model.Account, *model.APIToken, error) {
	const op = "account.AuthenticateToken"
	bad := &fault.Error{Kind: fault.Unauthorized, Op: op, Message: "jeton d'accès invalide ou révoqué"}
	if !strings.HasPrefix(plain, TokenPrefix) || len(plain) > 100 {
		return nil, nil, bad
	}
	t := new(model.APIToken)
	if err := s.db.R.NewSelect().Model(t).Where("token_hash = ? AND revoked_at IS NULL", hashToken(plain)).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, nil, bad
		}
		return nil, nil, fault.Wrap(op, err)
	}
	a := new(model.Account)
	if err := s.db.R.NewSelect().Model(a).Where("id = ? AND deleted_at IS NULL", t.AccountID).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, nil, bad
		}
		return nil, nil, fault.Wrap(op, err)
	}
	// Last use to the minute: a write per request would be a write per
	// API call for a detail shown on the tokens page.
	now := s.now().UTC()
	if now.Sub(t.LastUsedAt) > time.Minute {
		if _, err := s.db.W.NewUpdate().Model(t).Set("last_used_at = ?", now).WherePK().Exec(ctx); err != nil {
			s.log.WarnContext(ctx, "token last use not recorded", "err", err)
		}
	}
	return a, t, nil
}

// Tokens lists the account's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, p access.Principal, accountID string) ([]model.APIToken, error) {
	if p.AccountID != accountID && !p.IsAdmin() {
		return nil, fault.New(fault.Forbidden, "accès refusé")
	}
	var out []model.APIToken
	err := s.db.R.NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("created_at DESC").Scan(ctx)
	return out, fault.Wrap("account.Tokens", err)
}

// RevokeToken revokes one of the account's tokens.
func (s *Service) RevokeToken(ctx context.Context, p access.Principal, accountID, tokenID string) error {
	if p.AccountID != accountID && !p.IsAdmin() {
		return fault.New(fault.Forbidden, "accès refusé")
	}
	res, err := s.db.W.NewUpdate().Model((*model.APIToken)(nil)).Set("revoked_at = ?", s.now().UTC()).
		Where("id = ? AND account_id = ? AND revoked_at IS NULL", tokenID, accountID).Exec(ctx)
	if err != nil {
		return fault.Wrap("account.RevokeToken", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.New(fault.NotFound, "jeton introuvable ou déjà révoqué")
	}
	return nil
}

// ByEmail returns the account with this e-mail address.
func (s *Service) ByEmail(ctx context.Context, email string) (*model.Account, error) {
	a := new(model.Account)
	err := s.db.R.NewSelect().Model(a).Where("email = ? AND deleted_at IS NULL", strings.ToLower(strings.TrimSpace(email))).Scan(ctx)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, fault.New(fault.NotFound, "aucun compte n'a cette adresse e-mail")
	}
	return a, fault.Wrap("account.ByEmail", err)
}
