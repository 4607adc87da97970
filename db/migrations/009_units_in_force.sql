-- From schema version 8 to 9: units_in_force, every unit in force with its town and district,
-- written by `fangyi check` (checks/_materialise/100_units_in_force.sql); the view
-- unit_hierarchy now reads it instead of walking the registry on every query, and
-- daily_reports_current joins its reports on the day too, so that a filter on the day uses
-- current_reports' key. schema.sql (run after this) makes the views anew; the next check run
-- fills the table.
CREATE TABLE IF NOT EXISTS units_in_force (
    unit_code     TEXT PRIMARY KEY,
    name          TEXT,
    level         TEXT,
    parent_code   TEXT,
    reports_daily INTEGER,
    opened_on     TEXT,
    closed_on     TEXT,
    town_code     TEXT,
    town_name     TEXT,
    district_code TEXT
);
