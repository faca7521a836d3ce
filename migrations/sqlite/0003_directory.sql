-- The member directory: what members say of themselves and who may see it,
-- and organizations searchable without accents.

-- Shown to the other members of a member's collectives, if they choose.
ALTER TABLE accounts ADD COLUMN bio TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN show_in_directory BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE accounts ADD COLUMN show_email BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN show_phone BOOLEAN NOT NULL DEFAULT 0;

-- Skills ("migration LibreOffice", "PostgreSQL") and tools used ("Nextcloud").
CREATE TABLE account_tags (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('skill', 'tool')),
    value      TEXT NOT NULL CHECK (value <> ''),
    norm       TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, norm)
);
CREATE INDEX account_tags_lookup ON account_tags (kind, norm);

-- Lower-case, accent-free name for lookups ("echirolles" finds Échirolles).
ALTER TABLE organizations ADD COLUMN name_norm TEXT NOT NULL DEFAULT '';
CREATE INDEX organizations_name_norm ON organizations (name_norm);

-- Who decided a membership, and when.
ALTER TABLE memberships ADD COLUMN decided_by TEXT REFERENCES accounts (id) ON DELETE SET NULL;
ALTER TABLE memberships ADD COLUMN decided_at TIMESTAMP;
