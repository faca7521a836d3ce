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
