-- From schema version 11 to 12: the derived tables of the gatherings checks, gatherings_current
-- (the register in force) and gathering_attendance (each attendee row beside its event).
-- schema.sql, which runs after this, creates them; the next check run fills them.
SELECT 1;
