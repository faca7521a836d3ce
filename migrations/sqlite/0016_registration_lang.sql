-- The language of a registration (that of the page or request it was made
-- from): its mails are written in it. Registrations made before it was
-- recorded were made in French.
ALTER TABLE event_registrations ADD COLUMN lang TEXT NOT NULL DEFAULT 'fr' CHECK (lang IN ('fr','en'));
