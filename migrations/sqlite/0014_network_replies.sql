-- Replies written by members of this hub to content received from the
-- servers a collective follows (shown on its page under « Du réseau »):
-- each is sent as a Note in reply to the remote object, and shown here
-- under it.
CREATE TABLE network_replies (
    id            TEXT PRIMARY KEY,
    iri           TEXT NOT NULL UNIQUE,
    collective_id TEXT NOT NULL REFERENCES collectives (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    actor         TEXT NOT NULL,
    in_reply_to   TEXT NOT NULL,
    body          TEXT NOT NULL,
    content       TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX network_replies_object ON network_replies (collective_id, in_reply_to, created_at);
