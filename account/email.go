package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/jobs"
	"collectif/mail"
	"collectif/model"
	"collectif/password"
	"collectif/store"
)

// EmailChangeValidity is how long a confirmation link stays valid.
const EmailChangeValidity = 24 * time.Hour

// secret returns the hub's signing key, created once and shared by every
// node through the database.
func secret(ctx context.Context, db bun.IDB) ([]byte, error) {
	var v string
	get := func() error {
		return db.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'signing_key'").Scan(&v)
	}
	err := get()
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		var b [32]byte
		rand.Read(b[:])
		// Two nodes may create it at once: the first wins, both read it.
		if _, err := db.ExecContext(ctx, "INSERT INTO settings (key, value, updated_at) VALUES ('signing_key', ?, ?) ON CONFLICT (key) DO NOTHING",
			hex.EncodeToString(b[:]), time.Now().UTC()); err != nil {
			return nil, err
		}
		err = get()
	}
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

type emailClaim struct {
	Account string `json:"a"`
	New     string `json:"n"`
	Old     string `json:"o"`
	Expires int64  `json:"x"`
}

func sign(key []byte, c emailClaim) string {
	b, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func verify(key []byte, token string, now time.Time) (emailClaim, bool) {
	var c emailClaim
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1000 {
		return c, false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p))
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return c, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(b, &c) != nil || now.Unix() > c.Expires {
		return c, false
	}
	return c, true
}

// EmailChangeMail is the job that sends the confirmation link to the new
// address and a notice to the old one.
type EmailChangeMail struct {
	AccountID string `json:"account_id"`
	New       string `json:"new"`
	Old       string `json:"old"`
	Token     string `json:"token"`
}

// Kind names the job.
func (EmailChangeMail) Kind() string { return "account.email_change_mail" }

// RequestEmailChange sends a confirmation link to the new address; the
// address changes only when the link is followed, so a typo or a stolen
// session cannot move an account to an address its owner does not read.
// Accounts with a local password confirm it first.
func (s *Service) RequestEmailChange(ctx context.Context, p access.Principal, accountID, newEmail, currentPassword string) error {
	const op = "account.RequestEmailChange"
	if p.AccountID != accountID {
		return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "accès refusé"}
	}
	email, err := NormalizeEmail(newEmail)
	if err != nil {
		return fault.Wrap(op, err)
	}
	a, err := s.ByID(ctx, accountID)
	if err != nil {
		return err
	}
	if email == a.Email {
		return fault.Wrap(op, fault.Field("email", "c'est déjà votre adresse"))
	}
	if a.PasswordHash != "" {
		if ok, _, _ := password.Verify(currentPassword, a.PasswordHash, s.password); !ok {
			return fault.Wrap(op, fault.Field("current_password", "mot de passe incorrect"))
		}
	}
	if _, err := s.ByEmail(ctx, email); err == nil {
		return fault.Wrap(op, &fault.Error{Kind: fault.Conflict, Field: "email", Message: "un compte utilise déjà cette adresse"})
	}
	return fault.Wrap(op, s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		key, err := secret(ctx, tx)
		if err != nil {
			return err
		}
		tok := sign(key, emailClaim{Account: a.ID, New: email, Old: a.Email, Expires: s.now().Add(EmailChangeValidity).Unix()})
		return s.queue.Enqueue(ctx, tx, EmailChangeMail{AccountID: a.ID, New: email, Old: a.Email, Token: tok})
	}))
}

// ConfirmEmailChange applies the change a confirmation link carries. A link
// works once: after the change the old address no longer matches.
func (s *Service) ConfirmEmailChange(ctx context.Context, token string) (*model.Account, error) {
	const op = "account.ConfirmEmailChange"
	bad := &fault.Error{Kind: fault.Invalid, Op: op, Message: "ce lien de confirmation est invalide, déjà utilisé ou expiré"}
	var a model.Account
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		key, err := secret(ctx, tx)
		if err != nil {
			return err
		}
		c, ok := verify(key, token, s.now())
		if !ok {
			return bad
		}
		if err := tx.NewSelect().Model(&a).Where("id = ? AND email = ? AND deleted_at IS NULL", c.Account, c.Old).Scan(ctx); err != nil {
			if errors.Is(store.NotFound(err), store.ErrNotFound) {
				return bad
			}
			return err
		}
		a.Email, a.UpdatedAt = c.New, s.now().UTC()
		if _, err := tx.NewUpdate().Model(&a).Column("email", "updated_at").WherePK().Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return &fault.Error{Kind: fault.Conflict, Message: "un compte utilise déjà cette adresse"}
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return &a, nil
}

func registerEmailChange(reg *jobs.Registry, d JobDeps) {
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, a EmailChangeMail) error {
		acc := new(model.Account)
		if err := d.DB.R.NewSelect().Model(acc).Where("id = ?", a.AccountID).Scan(ctx); err != nil {
			if errors.Is(store.NotFound(err), store.ErrNotFound) {
				return nil // deleted before the mail went: nothing to confirm
			}
			return err
		}
		md := &mailData{New: a.New, Link: d.BaseURL.String() + "/account/email/confirm?token=" + a.Token, Host: d.BaseURL.Host}
		subject, text, err := write(acc.Lang, "email_confirm", md)
		if err != nil {
			return err
		}
		if err := d.Mail.Send(ctx, &mail.Message{
			ID: "email-change-" + a.AccountID + "-" + shortHash(a.Token), From: d.From,
			To:      []string{(&netmail.Address{Address: a.New}).String()},
			Subject: subject,
			Text:    text,
		}); err != nil {
			return err
		}
		if subject, text, err = write(acc.Lang, "email_notice", md); err != nil {
			return err
		}
		return d.Mail.Send(ctx, &mail.Message{
			ID: "email-change-notice-" + a.AccountID + "-" + shortHash(a.Token), From: d.From,
			To:      []string{(&netmail.Address{Address: a.Old}).String()},
			Subject: subject,
			Text:    text,
		})
	})
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
