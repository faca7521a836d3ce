-- The core of the hub: organizations, accounts and their OpenID identities,
-- collectives, memberships, working groups.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('commune','departement','region','epci','overseas','state','association','company')),
    name        TEXT NOT NULL CHECK (name <> ''),
    insee_code  TEXT,
    siren       TEXT CHECK (siren IS NULL OR (length(siren) = 9 AND siren NOT GLOB '*[^0-9]*')),
    departement TEXT,
    region      TEXT,
    population  INTEGER NOT NULL DEFAULT 0,
    website     TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organizations_siren ON organizations (siren) WHERE siren IS NOT NULL;
CREATE UNIQUE INDEX organizations_kind_insee ON organizations (kind, insee_code) WHERE insee_code IS NOT NULL;
CREATE INDEX organizations_region ON organizations (region, kind);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    name            TEXT NOT NULL CHECK (name <> ''),
    title           TEXT NOT NULL DEFAULT '',
    organization_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    password_hash   TEXT,
    is_admin        BOOLEAN NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX accounts_organization ON accounts (organization_id);

CREATE TABLE identities (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_account ON identities (account_id);

CREATE TABLE collectives (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE CHECK ((length(slug) BETWEEN 2 AND 63 AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '-*')),
    name       TEXT NOT NULL CHECK (name <> ''),
    summary    TEXT NOT NULL DEFAULT '',
    scope      TEXT NOT NULL CHECK (scope IN ('local','regional','national')),
    region     TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE memberships (
    id            TEXT PRIMARY KEY,
    collective_id TEXT NOT NULL REFERENCES collectives (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('owner','admin','moderator','member','partner')),
    status        TEXT NOT NULL CHECK (status IN ('requested','invited','active','left','banned')),
    message       TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (collective_id, account_id)
);
CREATE INDEX memberships_account ON memberships (account_id);
CREATE INDEX memberships_collective_status ON memberships (collective_id, status);

CREATE TABLE working_groups (
    id            TEXT PRIMARY KEY,
    collective_id TEXT NOT NULL REFERENCES collectives (id) ON DELETE CASCADE,
    slug          TEXT NOT NULL CHECK ((length(slug) BETWEEN 2 AND 63 AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '-*')),
    name          TEXT NOT NULL CHECK (name <> ''),
    summary       TEXT NOT NULL DEFAULT '',
    join_policy   TEXT NOT NULL CHECK (join_policy IN ('open','approval','invitation')),
    visibility    TEXT NOT NULL CHECK (visibility IN ('public','members')),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (collective_id, slug)
);

CREATE TABLE group_memberships (
    id         TEXT PRIMARY KEY,
    group_id   TEXT NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner','moderator','member')),
    status     TEXT NOT NULL CHECK (status IN ('requested','invited','active','left','banned')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (group_id, account_id)
);
CREATE INDEX group_memberships_account ON group_memberships (account_id);
