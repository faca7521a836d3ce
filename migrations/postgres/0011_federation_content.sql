-- Content published over ActivityPub: the last object document sent for a
-- topic, reply, resource or event of a public place, under its IRI. The
-- outboxes list these rows and the content's pages serve the document to
-- ActivityStreams requests; a deleted row answers 410 with a Tombstone.

CREATE TABLE federation_objects (
    iri          TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    ref_id       TEXT NOT NULL,
    local_actor  TEXT NOT NULL,
    document     TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    deleted_at   TIMESTAMP,
    UNIQUE (kind, ref_id)
);
CREATE INDEX federation_objects_actor ON federation_objects (local_actor, published_at);

-- Content received from actors that a local collective follows (or
-- replies to our threads): sanitized, attributed to its origin.
CREATE TABLE remote_objects (
    iri          TEXT PRIMARY KEY,
    origin_actor TEXT NOT NULL,
    author       TEXT NOT NULL,
    author_name  TEXT NOT NULL DEFAULT '',
    type         TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    in_reply_to  TEXT NOT NULL DEFAULT '',
    start_time   TIMESTAMP,
    location     TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '[]',
    likes        INTEGER NOT NULL DEFAULT 0,
    published_at TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX remote_objects_origin ON remote_objects (origin_actor, published_at);
CREATE INDEX remote_objects_reply ON remote_objects (in_reply_to);
