-- The language a member chose for the hub's pages, followed on every
-- browser they log in from: 'fr', 'en', or '' for no preference (each
-- browser's switch, then its Accept-Language, decides). Package account
-- checks the value against the languages the hub offers; no CHECK here,
-- so that offering a language later needs no table rebuild.
ALTER TABLE accounts ADD COLUMN lang TEXT NOT NULL DEFAULT '';
