-- Resources shared in collectives and working groups, their tags, and their
-- attachments. An attachment points at a stored file named by the SHA-256
-- of its content, so a file uploaded twice is stored once; the file row
-- goes (and its file on disk) when no attachment uses it any more.

CREATE TABLE resources (
    id            TEXT PRIMARY KEY,
    collective_id TEXT NOT NULL REFERENCES collectives (id) ON DELETE CASCADE,
    group_id      TEXT REFERENCES working_groups (id) ON DELETE CASCADE,
    author_id     TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary       TEXT NOT NULL DEFAULT '' CHECK (length(summary) <= 500),
    body          TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL CHECK (kind IN ('guide','procurement_template','deliberation','study','slides','video','link')),
    licence       TEXT NOT NULL CHECK (licence IN ('etalab-2.0','CC-BY-4.0','CC-BY-SA-4.0','CC0-1.0','ODbL-1.0','all-rights-reserved')),
    link          TEXT CHECK (link IS NULL OR link LIKE 'http://%' OR link LIKE 'https://%'),
    -- The catalog's tool the resource is about; the catalog's migration
    -- adds the reference when its table lands.
    software_id   TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
-- Lists are newest first, within a collective or across the hub.
CREATE INDEX resources_collective_created ON resources (collective_id, created_at DESC, id DESC);
CREATE INDEX resources_created ON resources (created_at DESC, id DESC);
CREATE INDEX resources_group ON resources (group_id) WHERE group_id IS NOT NULL;
CREATE INDEX resources_author ON resources (author_id) WHERE author_id IS NOT NULL;
CREATE INDEX resources_software ON resources (software_id) WHERE software_id IS NOT NULL;

CREATE TABLE resource_tags (
    resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL CHECK (length(tag) BETWEEN 1 AND 40),
    PRIMARY KEY (resource_id, tag)
);
CREATE INDEX resource_tags_tag ON resource_tags (tag, resource_id);

CREATE TABLE resource_files (
    sha256       TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 ~ '^[0-9a-f]{64}$'),
    size         BIGINT NOT NULL CHECK (size > 0),
    -- The plain text of text formats, for search.
    text         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE resource_attachments (
    id          TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    sha256      TEXT NOT NULL REFERENCES resource_files (sha256),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    -- Sniffed from the content, never the client's.
    content_type TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (resource_id, sha256)
);
CREATE INDEX resource_attachments_sha256 ON resource_attachments (sha256);
