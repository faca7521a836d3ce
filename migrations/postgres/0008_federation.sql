-- Federation over ActivityPub: the keys of local actors, what is known of
-- remote actors, who follows whom, the activities received (for
-- idempotency), the instance block list, per-actor bans and reports.
-- Local actors are named by their IRI (the URL of their page), which the
-- base URL fixes once and for all.

CREATE TABLE federation_keys (
    actor       TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    public_pem  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE remote_actors (
    iri                TEXT PRIMARY KEY,
    host               TEXT NOT NULL,
    type               TEXT NOT NULL DEFAULT '',
    preferred_username TEXT NOT NULL DEFAULT '',
    name               TEXT NOT NULL DEFAULT '',
    url                TEXT NOT NULL DEFAULT '',
    inbox              TEXT NOT NULL,
    shared_inbox       TEXT NOT NULL DEFAULT '',
    key_id             TEXT NOT NULL DEFAULT '',
    public_key_pem     TEXT NOT NULL DEFAULT '',
    fetched_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX remote_actors_host ON remote_actors (host);
CREATE INDEX remote_actors_key ON remote_actors (key_id);

CREATE TABLE federation_followers (
    id           TEXT PRIMARY KEY,
    local_actor  TEXT NOT NULL,
    remote_actor TEXT NOT NULL,
    remote_host  TEXT NOT NULL,
    follow_id    TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('pending','accepted','rejected')),
    decided_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (local_actor, remote_actor)
);
CREATE INDEX federation_followers_state ON federation_followers (local_actor, state, created_at);
CREATE INDEX federation_followers_remote ON federation_followers (remote_actor);
CREATE INDEX federation_followers_host ON federation_followers (remote_host);

CREATE TABLE federation_following (
    id           TEXT PRIMARY KEY,
    local_actor  TEXT NOT NULL,
    remote_actor TEXT NOT NULL,
    follow_id    TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL CHECK (state IN ('pending','accepted','rejected')),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (local_actor, remote_actor)
);
CREATE INDEX federation_following_remote ON federation_following (remote_actor);

CREATE TABLE federation_received (
    id          TEXT PRIMARY KEY,
    actor       TEXT NOT NULL,
    type        TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX federation_received_at ON federation_received (received_at);

CREATE TABLE instance_blocks (
    host       TEXT PRIMARY KEY CHECK (host <> '' AND host = lower(host)),
    reason     TEXT NOT NULL DEFAULT '',
    created_by TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE federation_bans (
    local_actor  TEXT NOT NULL,
    remote_actor TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    created_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (local_actor, remote_actor)
);

CREATE TABLE federation_reports (
    id           TEXT PRIMARY KEY,
    activity_id  TEXT NOT NULL UNIQUE,
    local_actor  TEXT NOT NULL,
    remote_actor TEXT NOT NULL,
    content      TEXT NOT NULL DEFAULT '',
    objects      TEXT NOT NULL DEFAULT '[]',
    state        TEXT NOT NULL CHECK (state IN ('open','resolved')),
    resolved_by  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    resolved_at  TIMESTAMPTZ
);
CREATE INDEX federation_reports_actor ON federation_reports (local_actor, state, created_at);

-- Members appear to the fediverse as Person actors only when they choose to.
ALTER TABLE accounts ADD COLUMN federated BOOLEAN NOT NULL DEFAULT FALSE;
