-- The catalog's figures (users, agents and savings per entry, and the
-- network's totals) are counted on every catalog page: this index holds
-- every column they read, so they read it alone instead of each
-- declaration's row.
CREATE INDEX software_usages_figures ON software_usages (software_id, hidden, organization_id, scope, savings_eur);
