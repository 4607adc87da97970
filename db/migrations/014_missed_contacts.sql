-- From schema version 13 to 14: missed_contacts, whom to call about each missed report and where
-- that contact comes from. schema.sql, which runs after this, creates it; the next check run
-- fills it (checks/_materialise/350_missed_contacts.sql).
SELECT 1;
