-- From schema version 13 to 14: units_in_force.display_name, the name a unit is shown by in
-- findings and the bulletin: its name, with its town in brackets when another unit in force has
-- the same name (新村（清水鎮）). Written by `fangyi check` (checks/_materialise/100_units_in_force.sql);
-- NULL until the next check run.
ALTER TABLE units_in_force ADD COLUMN display_name TEXT;
