-- Discussions of working groups: topics, threaded replies, the versions
-- that edits replaced, members' notifications and their digest setting.
-- Membership of the groups themselves is group_memberships (0001).

CREATE TABLE topics (
    id               TEXT PRIMARY KEY,
    group_id         TEXT NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
    -- Accounts are never removed, only anonymized (account.Delete).
    author_id        TEXT NOT NULL REFERENCES accounts (id),
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    replies          INTEGER NOT NULL DEFAULT 0 CHECK (replies >= 0),
    created_at       TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL,
    edited_at        TIMESTAMP,
    edited_by        TEXT REFERENCES accounts (id),
    deleted_at       TIMESTAMP,
    deleted_by       TEXT REFERENCES accounts (id),
    -- A tombstone has no title; a live topic must have one.
    CHECK (title <> '' OR deleted_at IS NOT NULL)
);
CREATE INDEX topics_group_activity ON topics (group_id, last_activity_at, id);
CREATE INDEX topics_author ON topics (author_id);

CREATE TABLE replies (
    id         TEXT PRIMARY KEY,
    topic_id   TEXT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    parent_id  TEXT REFERENCES replies (id) ON DELETE CASCADE,
    depth      INTEGER NOT NULL DEFAULT 0 CHECK (depth BETWEEN 0 AND 3),
    author_id  TEXT NOT NULL REFERENCES accounts (id),
    body       TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    edited_at  TIMESTAMP,
    edited_by  TEXT REFERENCES accounts (id),
    deleted_at TIMESTAMP,
    deleted_by TEXT REFERENCES accounts (id),
    CHECK (body <> '' OR deleted_at IS NOT NULL)
);
CREATE INDEX replies_topic ON replies (topic_id, created_at, id);
CREATE INDEX replies_parent ON replies (parent_id);
CREATE INDEX replies_author ON replies (author_id);

-- What edits replaced, one row per replaced version.
CREATE TABLE discussion_revisions (
    id         TEXT PRIMARY KEY,
    topic_id   TEXT REFERENCES topics (id) ON DELETE CASCADE,
    reply_id   TEXT REFERENCES replies (id) ON DELETE CASCADE,
    title      TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    editor_id  TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    CHECK ((topic_id IS NULL) <> (reply_id IS NULL))
);
CREATE INDEX discussion_revisions_topic ON discussion_revisions (topic_id, created_at);
CREATE INDEX discussion_revisions_reply ON discussion_revisions (reply_id, created_at);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('reply', 'invitation', 'join_request', 'join_approved', 'join_refused')),
    group_id   TEXT NOT NULL REFERENCES working_groups (id) ON DELETE CASCADE,
    topic_id   TEXT REFERENCES topics (id) ON DELETE CASCADE,
    reply_id   TEXT REFERENCES replies (id) ON DELETE CASCADE,
    actor_id   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP,
    mailed_at  TIMESTAMP
);
CREATE INDEX notifications_account ON notifications (account_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (account_id) WHERE read_at IS NULL;
CREATE INDEX notifications_topic ON notifications (topic_id);
CREATE INDEX notifications_group ON notifications (group_id);

CREATE TABLE discussion_settings (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    email_digest    BOOLEAN NOT NULL DEFAULT 0,
    last_digest_day TEXT,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX discussion_settings_digest ON discussion_settings (email_digest) WHERE email_digest;
