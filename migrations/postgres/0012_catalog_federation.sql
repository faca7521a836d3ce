-- Catalog usage declarations received from other hubs (the catalog
-- extension of the federation). software_usages already keeps remote_id
-- (the declaration's ActivityPub id) and origin (the host of the hub it
-- came from); here: where to read it at its origin, and the origin of the
-- software entries and organizations first learnt from another hub, which
-- the local catalog did not know.

ALTER TABLE software_usages ADD COLUMN remote_url TEXT;
CREATE INDEX software_usages_origin ON software_usages (origin) WHERE origin IS NOT NULL;

ALTER TABLE software ADD COLUMN origin TEXT;
CREATE INDEX software_wikidata ON software (wikidata_id) WHERE wikidata_id <> '';

ALTER TABLE organizations ADD COLUMN origin TEXT;
CREATE INDEX organizations_origin ON organizations (origin, name_norm) WHERE origin IS NOT NULL;
