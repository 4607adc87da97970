-- From the first release (no user_version) to schema version 2. Views were dropped before this
-- runs; schema.sql runs after it and creates what is new.

-- Failed files are recorded too: sha256 is unique only among loaded files.
CREATE TABLE source_files_v2 (
    file_id       INTEGER PRIMARY KEY,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    sheets        TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    rows_loaded   INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    rows_not_data INTEGER NOT NULL,
    ingested_at   TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'loaded',
    error         TEXT,
    warnings      TEXT
);
INSERT INTO source_files_v2 (file_id, path, sha256, kind, sheets, rows_read, rows_loaded, rows_rejected,
                             rows_not_data, ingested_at)
SELECT file_id, path, sha256, kind, sheets, rows_read, rows_loaded, rows_rejected, rows_not_data, ingested_at
FROM source_files;
DROP TABLE source_files;
ALTER TABLE source_files_v2 RENAME TO source_files;

ALTER TABLE source_sheets ADD COLUMN context TEXT;
ALTER TABLE non_data_rows ADD COLUMN note TEXT;
ALTER TABLE daily_reports ADD COLUMN parent_raw TEXT;
DROP TABLE unit_keys;
