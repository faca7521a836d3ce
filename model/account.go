package model

import (
	"time"

	"github.com/uptrace/bun"
)

// Account is a person who can log in.
type Account struct {
	bun.BaseModel `bun:"table:accounts"`

	ID             string    `bun:"id,pk"`
	Email          string    `bun:"email"` // lower-cased, unique
	Name           string    `bun:"name"`
	Title          string    `bun:"title"` // job title: "DSI", "chargée de mission numérique"
	OrganizationID string    `bun:"organization_id,nullzero"`
	PasswordHash   string    `bun:"password_hash,nullzero"` // argon2id, PHC string; empty for OIDC-only accounts
	IsAdmin        bool      `bun:"is_admin"`               // instance administrator
	Phone          string    `bun:"phone"`                  // never public
	OrgSource      string    `bun:"organization_source"`    // "siret", "manual" or ""
	SessionEpoch   int       `bun:"session_epoch"`          // raised by "log out everywhere"
	Bio            string    `bun:"bio"`
	ShowInDir      bool      `bun:"show_in_directory"` // listed in the member directories of its collectives
	ShowEmail      bool      `bun:"show_email"`        // e-mail shown to fellow members (never to the public)
	ShowPhone      bool      `bun:"show_phone"`        // phone shown to fellow members (never to the public)
	Federated      bool      `bun:"federated"`         // published to the fediverse as an ActivityPub Person
	Lang           string    `bun:"lang"`              // the pages' language the member chose: "fr", "en", or "" for none
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
	DeletedAt      time.Time `bun:"deleted_at,nullzero"`
}

// Identity links an account to an OpenID Connect subject.
type Identity struct {
	bun.BaseModel `bun:"table:identities"`

	ID          string    `bun:"id,pk"`
	AccountID   string    `bun:"account_id"`
	Provider    string    `bun:"provider"` // the provider id of the configuration
	Issuer      string    `bun:"issuer"`
	Subject     string    `bun:"subject"` // sub, or idp_id|sub for ProConnect
	Email       string    `bun:"email"`   // as the provider gave it at the last login
	CreatedAt   time.Time `bun:"created_at"`
	LastLoginAt time.Time `bun:"last_login_at"`
}

// APIToken is a personal token for the JSON API.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID         string    `bun:"id,pk"`
	AccountID  string    `bun:"account_id"`
	Name       string    `bun:"name"`
	TokenHash  string    `bun:"token_hash"`
	Scopes     string    `bun:"scopes"` // "read" or "read,write"
	CreatedAt  time.Time `bun:"created_at"`
	LastUsedAt time.Time `bun:"last_used_at,nullzero"`
	RevokedAt  time.Time `bun:"revoked_at,nullzero"`
}

// CanWrite reports whether the token allows changes.
func (t *APIToken) CanWrite() bool { return t.Scopes == "read,write" }

// SignIn is one entry of an account's sign-in audit trail.
type SignIn struct {
	bun.BaseModel `bun:"table:sign_ins"`

	ID        string    `bun:"id,pk"`
	AccountID string    `bun:"account_id"`
	At        time.Time `bun:"at"`
	Method    string    `bun:"method"` // "password" or "oidc:<provider>"
	IP        string    `bun:"ip"`
	UserAgent string    `bun:"user_agent"`
}
