-- Indexes that match the lists' ORDER BY and filters, so that a page reads
-- only its rows and a count reads only an index.

-- The member directory: active members of a collective, newest first,
-- read in index order and stopped after a page; account_id makes its count
-- read the index alone. It serves what memberships_collective_status did.
CREATE INDEX memberships_directory ON memberships (collective_id, status, created_at DESC, id DESC, account_id);
DROP INDEX memberships_collective_status;

-- The count of a collective's resources a reader may see: the rows without
-- a group or in one of the groups the reader may see, from the index alone.
CREATE INDEX resources_collective_group ON resources (collective_id, group_id);
