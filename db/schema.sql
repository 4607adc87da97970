-- The one place where the workbench's tables and views are defined.
-- Dates are ISO 8601 text, codes are text. Loaded rows are never updated or deleted:
-- history stays in the tables, and the *_current views pick the version in force.

CREATE TABLE IF NOT EXISTS source_files (
    file_id       INTEGER PRIMARY KEY,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,          -- kinds found in the file, comma-separated
    sheets        TEXT NOT NULL,          -- JSON list of sheet names ("" for a CSV)
    rows_read     INTEGER NOT NULL,
    rows_loaded   INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    rows_not_data INTEGER NOT NULL,
    ingested_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS rejected_rows (
    rejected_id INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet       TEXT NOT NULL,
    row_number  INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    column_name TEXT,                     -- the header of the offending cell, if one cell is to blame
    raw         TEXT NOT NULL,            -- JSON object: header -> cell text
    reason      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rejected_rows_file ON rejected_rows(file_id);

-- Rows that are read but are not data: titles, headers, totals, footers, blank lines.
CREATE TABLE IF NOT EXISTS non_data_rows (
    file_id    INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet      TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    role       TEXT NOT NULL,             -- title | header | total | footer | blank | unrecognised_sheet
    raw        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS non_data_rows_file ON non_data_rows(file_id);

CREATE TABLE IF NOT EXISTS units (
    unit_row_id   INTEGER PRIMARY KEY,
    unit_code     TEXT NOT NULL,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL,          -- district | town | community
    parent_code   TEXT,
    reports_daily INTEGER NOT NULL,       -- 1 / 0
    opened_on     TEXT,
    closed_on     TEXT,
    aliases       TEXT,                   -- JSON list
    extra         TEXT,                   -- JSON object of columns the workbench does not know
    file_id       INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet         TEXT NOT NULL,
    row_number    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS units_code ON units(unit_code);

-- The registry in force: the last loaded row for each code.
CREATE VIEW IF NOT EXISTS units_current AS
SELECT unit_code, name, level, parent_code, reports_daily, opened_on, closed_on, aliases,
       file_id, sheet, row_number
FROM (
    SELECT u.*, ROW_NUMBER() OVER (
        PARTITION BY unit_code ORDER BY file_id DESC, row_number DESC) AS version_rank
    FROM units u
)
WHERE version_rank = 1;

-- Derived lookup from a normalised name, alias or code to a unit; rebuilt from units_current
-- and the settings file on every ingest and check. Keys that name two units are left out.
CREATE TABLE IF NOT EXISTS unit_keys (
    key       TEXT PRIMARY KEY,
    unit_code TEXT NOT NULL,
    source    TEXT NOT NULL               -- code | name | short_name | alias | settings_alias
);

CREATE TABLE IF NOT EXISTS daily_reports (
    report_id            INTEGER PRIMARY KEY,
    report_date          TEXT NOT NULL,
    unit_raw             TEXT,            -- the unit as written
    unit_code_raw        TEXT,            -- the code as written, if the sheet has a code column
    unit_key             TEXT,            -- normalised name, for matching to unit_keys
    unit_key_short       TEXT,            -- the same without its 社区/村/... suffix
    new_confirmed        INTEGER,
    new_suspected        INTEGER,
    new_asymptomatic     INTEGER,
    close_contacts       INTEGER,
    returnees_registered INTEGER,
    home_isolation       INTEGER,
    central_isolation    INTEGER,
    fever_cases          INTEGER,
    tests_done           INTEGER,
    zero_report          INTEGER,         -- 1 marked, 0 marked no, NULL left blank
    reporter             TEXT,
    duty_leader          TEXT,
    submitted_at         TEXT,
    extra                TEXT,            -- JSON object of columns the workbench does not know
    file_id              INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet                TEXT NOT NULL,
    row_number           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS daily_reports_date ON daily_reports(report_date);

-- Every report with its unit resolved: by code, then by name/alias, then by short name.
CREATE VIEW IF NOT EXISTS daily_reports_resolved AS
SELECT d.*,
       COALESCE(
           (SELECT c.unit_code FROM units_current c WHERE c.unit_code = d.unit_code_raw),
           (SELECT k.unit_code FROM unit_keys k WHERE k.key = d.unit_key),
           (SELECT k.unit_code FROM unit_keys k WHERE k.key = d.unit_key_short)
       ) AS unit_code
FROM daily_reports d;

-- All versions of every unit-day with their rank: 1 is the one in force. A later
-- submitted_at wins; without one (or on a tie) the later ingest wins.
CREATE VIEW IF NOT EXISTS daily_report_versions AS
SELECT r.*,
       ROW_NUMBER() OVER w AS version_rank,
       COUNT(*) OVER (PARTITION BY COALESCE(r.unit_code, '?' || r.unit_key), r.report_date) AS versions
FROM daily_reports_resolved r
WINDOW w AS (
    PARTITION BY COALESCE(r.unit_code, '?' || r.unit_key), r.report_date
    ORDER BY r.submitted_at IS NULL, r.submitted_at DESC, r.file_id DESC, r.row_number DESC
);

CREATE VIEW IF NOT EXISTS daily_reports_current AS
SELECT * FROM daily_report_versions WHERE version_rank = 1;
