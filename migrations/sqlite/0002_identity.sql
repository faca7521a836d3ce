-- Identity and access: what a login needs beyond the core accounts.

-- Raised by "log out everywhere": sessions from an earlier epoch are refused.
ALTER TABLE accounts ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
-- Phone (from ProConnect), never public.
ALTER TABLE accounts ADD COLUMN phone TEXT NOT NULL DEFAULT '';
-- How the organization was set: 'siret' (matched at first login), 'manual'.
ALTER TABLE accounts ADD COLUMN organization_source TEXT NOT NULL DEFAULT '' CHECK (organization_source IN ('', 'siret', 'manual'));
ALTER TABLE accounts ADD COLUMN deleted_at TIMESTAMP;

ALTER TABLE identities ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- Personal API tokens; only a SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (name <> ''),
    token_hash   TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL CHECK (scopes IN ('read', 'read,write')),
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- The sign-in audit trail shown to each member.
CREATE TABLE sign_ins (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at         TIMESTAMP NOT NULL,
    method     TEXT NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sign_ins_account_at ON sign_ins (account_id, at);

-- Secrets and settings of the hub, shared by every node.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
