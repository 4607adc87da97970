-- From schema version 2 to 3: rows that name a unit carry a name_id (unit_names); the check run
-- materialises the current reports, the expected calendar, rates and ranking as tables. Views
-- were dropped before this runs; schema.sql runs after it and creates what is new.

DROP TABLE IF EXISTS unit_resolutions;        -- derived: the next check run refills it in its new shape

CREATE TABLE unit_names (
    name_id       INTEGER PRIMARY KEY,
    source_table  TEXT NOT NULL,
    file_id       INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet         TEXT NOT NULL,
    unit_raw      TEXT,
    unit_code_raw TEXT,
    parent_raw    TEXT
);
INSERT INTO unit_names (source_table, file_id, sheet, unit_raw, unit_code_raw, parent_raw)
SELECT DISTINCT 'daily_reports', file_id, sheet, unit_raw, unit_code_raw, parent_raw FROM daily_reports;
CREATE INDEX migration_unit_names ON unit_names(file_id, sheet, unit_raw);

ALTER TABLE daily_reports ADD COLUMN name_id INTEGER;
UPDATE daily_reports SET name_id = (
    SELECT n.name_id FROM unit_names n
    WHERE n.file_id = daily_reports.file_id AND n.sheet = daily_reports.sheet
      AND n.unit_raw IS daily_reports.unit_raw AND n.unit_code_raw IS daily_reports.unit_code_raw
      AND n.parent_raw IS daily_reports.parent_raw);
DROP INDEX migration_unit_names;
