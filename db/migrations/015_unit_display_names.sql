-- From schema version 14 to 15: units_in_force.display_name, the name a unit is shown by in
-- findings and the bulletin: its name, with its town in brackets when another unit in force has
-- the same name (新村（清水鎮）). Written by `fangyi check` (checks/_materialise/100_units_in_force.sql);
-- NULL until the next check run. A database older than version 9 has no units_in_force yet: it
-- is made here in its new shape (and the column, then there, is not added again).
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
    district_code TEXT,
    display_name  TEXT
);
ALTER TABLE units_in_force ADD COLUMN display_name TEXT;
