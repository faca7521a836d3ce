-- Outgoing ActivityPub deliveries. An activity is stored once; each of its
-- inboxes is a target row until it is delivered or given up; the job that
-- delivers to a host handles the targets of that host at one attempt
-- (round). Per remote host, the outcome of deliveries and the newest
-- errors are kept for the administrators' page.

CREATE TABLE delivery_activities (
    id          TEXT PRIMARY KEY,
    -- The local actor whose key signs.
    actor       TEXT NOT NULL,
    -- The activity's own id, for logs and the administrators' page.
    activity_id TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    -- Targets not done yet; the row goes when it reaches 0.
    remaining   INTEGER NOT NULL CHECK (remaining >= 0),
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE delivery_targets (
    activity_id TEXT NOT NULL REFERENCES delivery_activities (id) ON DELETE CASCADE,
    -- host[:port] of the inbox, as the delivery groups them.
    host        TEXT NOT NULL,
    inbox       TEXT NOT NULL,
    -- The attempt that will try this inbox next (1 for the first).
    round       INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (activity_id, host, inbox)
);
CREATE INDEX delivery_targets_host ON delivery_targets (host);

CREATE TABLE delivery_hosts (
    host                 TEXT PRIMARY KEY,
    last_success_at      TIMESTAMP,
    last_failure_at      TIMESTAMP,
    -- Failed attempts since the last delivery that went through.
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    delivered            BIGINT NOT NULL DEFAULT 0,
    -- Deliveries given up (permanent error or attempts exhausted).
    failed               BIGINT NOT NULL DEFAULT 0,
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX delivery_hosts_updated ON delivery_hosts (updated_at DESC, host DESC);

-- The newest errors of each host (a bounded number, older ones deleted).
CREATE TABLE delivery_errors (
    id       TEXT PRIMARY KEY,
    host     TEXT NOT NULL,
    at       TIMESTAMP NOT NULL,
    inbox    TEXT NOT NULL,
    activity TEXT NOT NULL DEFAULT '',
    -- The HTTP status; 0 when no answer came.
    status   INTEGER NOT NULL DEFAULT 0,
    error    TEXT NOT NULL,
    -- Given up: the inbox will not be tried again for this activity.
    final    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX delivery_errors_host ON delivery_errors (host, at DESC, id DESC);
