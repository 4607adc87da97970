-- From schema version 10 to 11: an unknown unit's hint, in Chinese and English (hint_zh,
-- hint_en): the parent (or the places the sheet names) it is not under, the near names there,
-- and where the name does fit elsewhere. unit_resolutions is derived: dropped here, made anew by
-- schema.sql, which runs after this, and refilled by the next check run.
DROP TABLE IF EXISTS unit_resolutions;
