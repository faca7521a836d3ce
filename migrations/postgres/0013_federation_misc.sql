-- Remote participants of events: an actor of another server who sent a
-- Join is registered under its actor IRI, without an e-mail address (no
-- mail is ever sent to it); one live registration per actor and event.
ALTER TABLE event_registrations ADD COLUMN remote_actor TEXT NOT NULL DEFAULT '';
DROP INDEX event_registrations_email;
CREATE UNIQUE INDEX event_registrations_email ON event_registrations (event_id, email) WHERE status <> 'cancelled' AND remote_actor = '';
CREATE UNIQUE INDEX event_registrations_remote ON event_registrations (event_id, remote_actor) WHERE status <> 'cancelled' AND remote_actor <> '';

-- Likes received, of our published objects and of stored remote ones: one
-- per actor and object, so that a repeated Like counts once and an
-- Undo{Like} takes it back.
CREATE TABLE federation_likes (
    object_iri   TEXT NOT NULL,
    remote_actor TEXT NOT NULL,
    activity_id  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (object_iri, remote_actor)
);
CREATE INDEX federation_likes_actor ON federation_likes (remote_actor);

-- Federation settings of public working groups, set by their moderators;
-- a group without a row has the defaults (remote replies accepted).
CREATE TABLE federation_group_settings (
    group_id       TEXT PRIMARY KEY REFERENCES working_groups (id) ON DELETE CASCADE,
    remote_replies BOOLEAN NOT NULL
);
