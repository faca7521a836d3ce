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
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// Identity links an account to an OpenID Connect subject.
type Identity struct {
	bun.BaseModel `bun:"table:identities"`

	ID          string    `bun:"id,pk"`
	AccountID   string    `bun:"account_id"`
	Provider    string    `bun:"provider"` // the provider id of the configuration
	Issuer      string    `bun:"issuer"`
	Subject     string    `bun:"subject"` // sub, or idp_id + sub for ProConnect
	CreatedAt   time.Time `bun:"created_at"`
	LastLoginAt time.Time `bun:"last_login_at"`
}
