-- Events of collectives: their partners, their programme (tracks, rooms,
-- speakers, sessions) and the registrations of attendees, who need no
-- account. Every change to registrations first takes the event's row (the
-- one writer on SQLite, SELECT … FOR UPDATE on PostgreSQL), so capacities
-- hold under concurrent registrations.

CREATE TABLE events (
    id                     TEXT PRIMARY KEY,
    collective_id          TEXT NOT NULL REFERENCES collectives (id) ON DELETE CASCADE,
    title                  TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary                TEXT NOT NULL DEFAULT '' CHECK (length(summary) <= 500),
    description            TEXT NOT NULL DEFAULT '',
    description_html       TEXT NOT NULL DEFAULT '',
    starts_at              TIMESTAMPTZ NOT NULL,
    ends_at                TIMESTAMPTZ NOT NULL,
    venue                  TEXT NOT NULL DEFAULT '',
    address                TEXT NOT NULL DEFAULT '',
    accessibility          TEXT NOT NULL DEFAULT '',
    stream_url             TEXT NOT NULL DEFAULT '' CHECK (stream_url = '' OR stream_url LIKE 'http://%' OR stream_url LIKE 'https://%'),
    replay_url             TEXT NOT NULL DEFAULT '' CHECK (replay_url = '' OR replay_url LIKE 'http://%' OR replay_url LIKE 'https://%'),
    -- 0: no limit.
    capacity               INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    registration_opens_at  TIMESTAMPTZ,
    registration_closes_at TIMESTAMPTZ,
    status                 TEXT NOT NULL CHECK (status IN ('draft','published','cancelled')),
    cancel_message         TEXT NOT NULL DEFAULT '',
    created_by             TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    CHECK (ends_at >= starts_at)
);
CREATE INDEX events_collective_start ON events (collective_id, starts_at);
CREATE INDEX events_start ON events (starts_at);

CREATE TABLE event_partners (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('coorganizer','partner')),
    organization_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    url             TEXT NOT NULL DEFAULT '',
    position        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX event_partners_event ON event_partners (event_id, position);

CREATE TABLE event_tracks (
    id       TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name     TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    UNIQUE (event_id, name)
);

CREATE TABLE event_rooms (
    id       TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name     TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    UNIQUE (event_id, name)
);

-- A speaker may or may not have an account.
CREATE TABLE event_speakers (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    account_id  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    affiliation TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, name)
);

CREATE TABLE event_sessions (
    id         TEXT PRIMARY KEY,
    event_id   TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    track_id   TEXT REFERENCES event_tracks (id) ON DELETE SET NULL,
    room_id    TEXT REFERENCES event_rooms (id) ON DELETE SET NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('talk','workshop','round_table')),
    title      TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    abstract   TEXT NOT NULL DEFAULT '',
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    -- Workshops only; 0: no limit.
    capacity   INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (ends_at >= starts_at)
);
CREATE INDEX event_sessions_event ON event_sessions (event_id, starts_at);

CREATE TABLE event_session_speakers (
    session_id TEXT NOT NULL REFERENCES event_sessions (id) ON DELETE CASCADE,
    speaker_id TEXT NOT NULL REFERENCES event_speakers (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, speaker_id)
);

-- Registrations. The private link's and the check-in link's tokens are
-- stored as SHA-256 hashes only. Anonymized rows keep the category and
-- status (for counts) and lose everything personal.
CREATE TABLE event_registrations (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    name            TEXT NOT NULL,
    organization_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    organization    TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL CHECK (category IN ('collectivity','state','association','company','citizen')),
    status          TEXT NOT NULL CHECK (status IN ('confirmed','waitlisted','cancelled')),
    token_hash      TEXT UNIQUE,
    checkin_hash    TEXT UNIQUE,
    consent_at      TIMESTAMPTZ NOT NULL,
    checked_in_at   TIMESTAMPTZ,
    reminded_at     TIMESTAMPTZ,
    anonymized_at   TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
-- One live registration per e-mail (stored lower-cased) and event.
CREATE UNIQUE INDEX event_registrations_email ON event_registrations (event_id, email) WHERE status <> 'cancelled';
CREATE INDEX event_registrations_queue ON event_registrations (event_id, status, created_at, id);

CREATE TABLE event_choices (
    registration_id TEXT NOT NULL REFERENCES event_registrations (id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL REFERENCES event_sessions (id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('confirmed','waitlisted')),
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (registration_id, session_id)
);
CREATE INDEX event_choices_session ON event_choices (session_id, status, created_at);
