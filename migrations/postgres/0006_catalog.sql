-- The shared free-software catalog: software entries with their categories
-- and the proprietary products they replace, service providers, pooled
-- instances, and the usage declarations of organizations from which every
-- figure of the network is computed.

CREATE TABLE software (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 80),
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    name_norm    TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    function     TEXT NOT NULL DEFAULT '',
    website      TEXT NOT NULL DEFAULT '',
    repository   TEXT NOT NULL DEFAULT '',
    licence      TEXT NOT NULL DEFAULT '',
    logo_url     TEXT NOT NULL DEFAULT '',
    wikidata_id  TEXT NOT NULL DEFAULT '',
    -- The SILL's numeric ID: the key of a re-import.
    sill_id      TEXT UNIQUE,
    sill_status  TEXT NOT NULL DEFAULT '',
    comptoir_id  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX software_name_norm ON software (name_norm);

CREATE TABLE software_categories (
    software_id TEXT NOT NULL REFERENCES software (id) ON DELETE CASCADE,
    category    TEXT NOT NULL,
    PRIMARY KEY (software_id, category)
);
CREATE INDEX software_categories_category ON software_categories (category, software_id);

-- Proprietary products a software replaces ("Canva" for Polotno).
CREATE TABLE software_replaces (
    software_id  TEXT NOT NULL REFERENCES software (id) ON DELETE CASCADE,
    product      TEXT NOT NULL CHECK (length(product) BETWEEN 1 AND 80),
    product_norm TEXT NOT NULL,
    PRIMARY KEY (software_id, product_norm)
);
CREATE INDEX software_replaces_norm ON software_replaces (product_norm);

CREATE TABLE providers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_norm  TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('company', 'association', 'intercommunal', 'public')),
    website    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE provider_software (
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    software_id TEXT NOT NULL REFERENCES software (id) ON DELETE CASCADE,
    PRIMARY KEY (provider_id, software_id)
);
CREATE INDEX provider_software_software ON provider_software (software_id);

-- An instance that one body runs for others (an intercommunal body hosting
-- mail management for its member cities).
CREATE TABLE pooled_instances (
    id              TEXT PRIMARY KEY,
    software_id     TEXT NOT NULL REFERENCES software (id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    operator        TEXT NOT NULL CHECK (length(operator) BETWEEN 1 AND 200),
    audience        TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (software_id, operator)
);

CREATE TABLE software_usages (
    id              TEXT PRIMARY KEY,
    software_id     TEXT NOT NULL REFERENCES software (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    since_year      INTEGER CHECK (since_year IS NULL OR since_year BETWEEN 1970 AND 2100),
    scope           INTEGER CHECK (scope IS NULL OR scope BETWEEN 1 AND 10000000),
    hosting         TEXT NOT NULL CHECK (hosting IN ('in_house', 'pooled', 'provider')),
    version         TEXT NOT NULL DEFAULT '',
    savings_eur     BIGINT CHECK (savings_eur IS NULL OR savings_eur >= 0),
    testimonial     TEXT NOT NULL DEFAULT '',
    contact_id      TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    declared_by     TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    hidden          BOOLEAN NOT NULL DEFAULT FALSE,
    hidden_reason   TEXT NOT NULL DEFAULT '',
    hidden_by       TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    -- Declarations received from another hub later: their ActivityPub ID
    -- and the hub. One declaration per software and organization whatever
    -- its origin, so no figure counts an organization twice.
    remote_id       TEXT UNIQUE,
    origin          TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (software_id, organization_id)
);
CREATE INDEX software_usages_organization ON software_usages (organization_id);
CREATE INDEX software_usages_contact ON software_usages (contact_id) WHERE contact_id IS NOT NULL;
