-- The one place where the workbench's tables and views are defined.
-- Dates are ISO 8601 text, codes are text. Loaded rows are never updated or deleted:
-- history stays in the tables, and the *_current views pick the version in force.

CREATE TABLE IF NOT EXISTS source_files (
    file_id       INTEGER PRIMARY KEY,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL,          -- unique among loaded files
    kind          TEXT NOT NULL,          -- kinds found in the file, comma-separated
    sheets        TEXT NOT NULL,          -- JSON list of sheet names ("" for a CSV)
    rows_read     INTEGER NOT NULL,
    rows_loaded   INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    rows_not_data INTEGER NOT NULL,
    ingested_at   TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'loaded',   -- loaded | failed (nothing of it was loaded)
    error         TEXT,                   -- why the file failed
    warnings      TEXT                    -- JSON list, e.g. a sheet with a header and no data rows
);
CREATE UNIQUE INDEX IF NOT EXISTS source_files_loaded_sha256 ON source_files(sha256) WHERE status = 'loaded';

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
    role       TEXT NOT NULL,             -- title | header | total | footer | blank | unrecognised_sheet | filtered
    raw        TEXT NOT NULL,
    note       TEXT                       -- for filtered rows: the settings' filter that left them out
);
CREATE INDEX IF NOT EXISTS non_data_rows_file ON non_data_rows(file_id);

CREATE TABLE IF NOT EXISTS units (
    unit_row_id   INTEGER PRIMARY KEY,
    unit_code     TEXT NOT NULL,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL,          -- province | city | district | town | community
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

CREATE TABLE IF NOT EXISTS daily_reports (
    report_id            INTEGER PRIMARY KEY,
    report_date          TEXT NOT NULL,
    unit_raw             TEXT,            -- the unit as written
    unit_code_raw        TEXT,            -- the code as written, if the sheet has a code column
    parent_raw           TEXT,            -- the parent (town) as written, if the sheet has a parent column
    unit_key             TEXT,            -- normalised name (NFKC, no spaces, simplified, lower case)
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

-- Derived by `fangyi check`: how each unit written on a sheet resolves to the registry in force,
-- in the context of its parent column and of the sheet's title, sheet name and file name.
CREATE TABLE IF NOT EXISTS unit_resolutions (
    source_table  TEXT NOT NULL,          -- the table whose rows name the unit (daily_reports, ...)
    file_id       INTEGER NOT NULL,
    sheet         TEXT NOT NULL,
    unit_raw      TEXT,
    unit_code_raw TEXT,
    parent_raw    TEXT,
    unit_code     TEXT,                   -- NULL when unknown or ambiguous
    status        TEXT NOT NULL,          -- resolved | ambiguous | unknown
    matched_by    TEXT,                   -- code | name | alias | settings_alias | short_name
    narrowed_by   TEXT,                   -- parent | sheet | reporting_unit: what chose among several
    candidates    TEXT                    -- JSON list of the unit codes the name fits, when several
);
CREATE INDEX IF NOT EXISTS unit_resolutions_key ON unit_resolutions(source_table, file_id, sheet, unit_raw);

-- Every report with its unit resolved (after a check run; before one, unit_code is NULL).
CREATE VIEW IF NOT EXISTS daily_reports_resolved AS
SELECT d.*, r.unit_code, r.status AS resolution, r.matched_by, r.narrowed_by, r.candidates
FROM daily_reports d
LEFT JOIN unit_resolutions r
       ON r.source_table = 'daily_reports' AND r.file_id = d.file_id AND r.sheet = d.sheet
      AND r.unit_raw IS d.unit_raw AND r.unit_code_raw IS d.unit_code_raw AND r.parent_raw IS d.parent_raw;

-- All versions of every unit-day with their rank: 1 is the one in force. A later
-- submitted_at wins; without one (or on a tie) the later ingest wins.
CREATE VIEW IF NOT EXISTS daily_report_versions AS
SELECT r.*,
       ROW_NUMBER() OVER w AS version_rank,
       COUNT(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS versions
FROM daily_reports_resolved r
WINDOW w AS (
    PARTITION BY COALESCE(r.unit_code, '?' || r.unit_key), r.report_date
    ORDER BY r.submitted_at IS NULL, r.submitted_at DESC, r.file_id DESC, r.row_number DESC
);

CREATE VIEW IF NOT EXISTS daily_reports_current AS
SELECT * FROM daily_report_versions WHERE version_rank = 1;

-- The header of every loaded sheet: which columns it had, so that a blank cell can be told
-- from a column the form never had.
CREATE TABLE IF NOT EXISTS source_sheets (
    file_id     INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    header_row  INTEGER NOT NULL,         -- 1-based row of the (first) header row
    header_rows INTEGER NOT NULL,         -- 1, or 2 for a parent/child header
    fields      TEXT NOT NULL,            -- JSON object: field -> header text as written
    context     TEXT,                     -- title rows, sheet name and file name: may name the town
    PRIMARY KEY (file_id, sheet)
);

-- ---------------------------------------------------------------------------------------
-- Reporting: the expected calendar, timeliness, rates. Settings in force are written to
-- workbench_settings by `fangyi check`; without them the contract's defaults apply.
-- ---------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS workbench_settings (
    key   TEXT PRIMARY KEY,
    value TEXT
);

CREATE VIEW IF NOT EXISTS reporting_period AS
SELECT COALESCE((SELECT value FROM workbench_settings WHERE key = 'period_start'),
                (SELECT min(report_date) FROM daily_reports)) AS start_date,
       COALESCE((SELECT value FROM workbench_settings WHERE key = 'period_end'),
                (SELECT max(report_date) FROM daily_reports)) AS end_date,
       CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'deadline_days_after'), 1) AS INTEGER)
           AS deadline_days_after,
       COALESCE((SELECT value FROM workbench_settings WHERE key = 'deadline_time'), '09:00') AS deadline_time,
       CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'silent_streak_min_days'), 3) AS INTEGER)
           AS silent_streak_min_days;

-- Every day of the reporting period with its ISO week (YYYY-Www; the week's Thursday gives the year).
CREATE VIEW IF NOT EXISTS calendar AS
WITH RECURSIVE days(day) AS (
    SELECT start_date FROM reporting_period WHERE start_date IS NOT NULL
    UNION ALL
    SELECT date(day, '+1 day') FROM days WHERE day < (SELECT end_date FROM reporting_period)
),
thursdays AS (
    SELECT day, date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days', '+3 days') AS thu
    FROM days
)
SELECT day,
       strftime('%Y', thu) || '-W' || printf('%02d', (CAST(strftime('%j', thu) AS INTEGER) - 1) / 7 + 1) AS iso_week
FROM thursdays;

-- Each unit with its town and district: its nearest ancestors (or itself) at those levels, so
-- registries with province and city levels above the districts work the same way.
CREATE VIEW IF NOT EXISTS unit_hierarchy AS
WITH RECURSIVE up(unit_code, ancestor_code, depth) AS (
    SELECT unit_code, unit_code, 0 FROM units_current
    UNION ALL
    SELECT up.unit_code, p.parent_code, up.depth + 1
    FROM up JOIN units_current p ON p.unit_code = up.ancestor_code
    WHERE p.parent_code IS NOT NULL AND up.depth < 8
)
SELECT u.unit_code, u.name, u.level,
       max(CASE WHEN a.level = 'town' THEN a.unit_code END) AS town_code,
       max(CASE WHEN a.level = 'district' THEN a.unit_code END) AS district_code
FROM units_current u
JOIN up ON up.unit_code = u.unit_code
LEFT JOIN units_current a ON a.unit_code = up.ancestor_code
GROUP BY u.unit_code, u.name, u.level;

-- The expected calendar: every unit marked to report daily, on every day of the period inside
-- its opened_on .. closed_on (both inclusive).
CREATE VIEW IF NOT EXISTS expected_reports AS
SELECT u.unit_code, c.day AS report_date, c.iso_week
FROM units_current u
JOIN calendar c ON c.day >= COALESCE(u.opened_on, c.day) AND c.day <= COALESCE(u.closed_on, c.day)
WHERE u.reports_daily = 1;

-- Each current report with its deadline (report_date + N days at HH:MM) and whether it was late:
-- 1 late, 0 on time, NULL unknown (no submitted_at, or only the deadline's date).
CREATE VIEW IF NOT EXISTS report_timeliness AS
SELECT t.*,
       CASE WHEN t.submitted_at IS NULL THEN NULL
            WHEN length(t.submitted_at) = 10 THEN
                CASE WHEN t.submitted_at > substr(t.deadline, 1, 10) THEN 1
                     WHEN t.submitted_at < substr(t.deadline, 1, 10) THEN 0 END
            ELSE t.submitted_at > t.deadline END AS late
FROM (
    SELECT r.report_id, r.unit_code, r.unit_raw, r.report_date, r.submitted_at, r.file_id, r.sheet,
           r.row_number,
           strftime('%Y-%m-%dT%H:%M:%S', r.report_date, '+' || p.deadline_days_after || ' days',
                    '+' || (CAST(substr(p.deadline_time, 1, 2) AS INTEGER) * 60
                            + CAST(substr(p.deadline_time, 4, 2) AS INTEGER)) || ' minutes') AS deadline
    FROM daily_reports_current r, reporting_period p
) t;

-- Every expected unit-day: reported (a current report exists) and on time (known not late).
CREATE VIEW IF NOT EXISTS expected_report_status AS
SELECT e.unit_code, e.report_date, e.iso_week, t.report_id, t.submitted_at, t.deadline,
       t.report_id IS NOT NULL AS reported,
       COALESCE(t.late = 0, 0) AS on_time
FROM expected_reports e
LEFT JOIN report_timeliness t ON t.unit_code = e.unit_code AND t.report_date = e.report_date;

-- DHIS2-style completeness: expected, actual and on-time reports and their rates (percent),
-- by unit / town / district and by day / ISO week.
CREATE VIEW IF NOT EXISTS reporting_rates AS
WITH s AS (
    SELECT s.*, h.town_code, h.district_code
    FROM expected_report_status s JOIN unit_hierarchy h USING (unit_code)
),
levels(level) AS (VALUES ('unit'), ('town'), ('district')),
period_types(period_type) AS (VALUES ('day'), ('week')),
grouped AS (
    SELECT l.level,
           CASE l.level WHEN 'unit' THEN s.unit_code WHEN 'town' THEN s.town_code ELSE s.district_code END
               AS org_code,
           p.period_type,
           CASE p.period_type WHEN 'day' THEN s.report_date ELSE s.iso_week END AS period,
           count(*) AS expected, sum(s.reported) AS actual, sum(s.on_time) AS on_time
    FROM s, levels l, period_types p
    GROUP BY l.level, org_code, p.period_type, period
)
SELECT g.level, g.org_code, u.name AS org_name, g.period_type, g.period, g.expected, g.actual, g.on_time,
       100.0 * g.actual / g.expected AS reporting_rate,
       100.0 * g.on_time / g.expected AS on_time_rate
FROM grouped g LEFT JOIN units_current u ON u.unit_code = g.org_code;

-- 一周一排名: towns ranked each ISO week by reporting rate, then on-time rate.
CREATE VIEW IF NOT EXISTS town_weekly_ranking AS
SELECT period AS iso_week, org_code AS town_code, org_name AS town_name, expected, actual, on_time,
       reporting_rate, on_time_rate,
       RANK() OVER (PARTITION BY period ORDER BY reporting_rate DESC, on_time_rate DESC) AS rank
FROM reporting_rates
WHERE level = 'town' AND period_type = 'week';

-- ---------------------------------------------------------------------------------------
-- Checks: one row per run, and its findings. `findings_history` keeps every run's findings,
-- queryable by run_id; the view `findings` shows the latest finished run's.
-- ---------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS check_runs (
    run_id       INTEGER PRIMARY KEY,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    data_files   INTEGER NOT NULL,        -- source files in the database at the run
    data_sha256  TEXT NOT NULL,           -- SHA-256 over their sha256s, in file_id order
    period_start TEXT,
    period_end   TEXT,
    settings     TEXT NOT NULL,           -- JSON: the settings in force
    counts       TEXT,                    -- JSON: check_id -> findings
    errors       INTEGER,
    warnings     INTEGER,
    infos        INTEGER,
    gx_success   INTEGER,                 -- 1/0 when Great Expectations ran, else NULL
    gx_counts    TEXT                     -- JSON: check_id -> GX unexpected rows
);

CREATE TABLE IF NOT EXISTS findings_history (
    finding_id  INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES check_runs(run_id),
    check_id    TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    unit_code   TEXT,
    date        TEXT,
    subject_key TEXT,
    message     TEXT NOT NULL,
    evidence    TEXT                      -- JSON: source file, sheet, row and values behind it
);
CREATE INDEX IF NOT EXISTS findings_history_run ON findings_history(run_id, check_id);

CREATE VIEW IF NOT EXISTS findings AS
SELECT * FROM findings_history
WHERE run_id = (SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL);

-- ---------------------------------------------------------------------------------------
-- Duty rosters (值班表) and allowance claims (值班補助申領). Loaded rows as the files hold them;
-- what the checks and pages read is derived by `fangyi check` (checks/_materialise/3NN_*.sql).
-- ---------------------------------------------------------------------------------------

-- One row per person and shift a roster names: a grid row with a leader, two day staff and one
-- night staff yields four. A shift cell left blank yields one row with person NULL: the roster
-- says nobody is on that shift.
CREATE TABLE IF NOT EXISTS duty_shifts (
    shift_id      INTEGER PRIMARY KEY,
    unit_raw      TEXT,                   -- the unit as written (a column, else the sheet name or title)
    unit_code_raw TEXT,                   -- the code as written, if the sheet has a code column
    date          TEXT NOT NULL,          -- the duty date (a night shift starts on it)
    shift         TEXT NOT NULL,          -- day | night | leader
    person        TEXT,                   -- as written; NULL: nobody on this shift
    person_key    TEXT,                   -- normalised name (NFKC, no spaces, simplified, no bracketed remark)
    post          TEXT,                   -- 職務, if the sheet has the column
    phone         TEXT,                   -- the phone on the row (a grid row's 聯系電話 applies to all on it)
    starts_at     TEXT NOT NULL,          -- ISO date and time
    ends_at       TEXT NOT NULL,          -- ISO date and time; a night shift ends the next morning
    extra         TEXT,                   -- JSON object of columns the workbench does not know
    file_id       INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet         TEXT NOT NULL,
    row_number    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS duty_shifts_date ON duty_shifts(date);
CREATE INDEX IF NOT EXISTS duty_shifts_person ON duty_shifts(person_key);

-- Every roster row with its unit resolved (after a check run; before one, unit_code is NULL).
CREATE VIEW IF NOT EXISTS duty_shifts_resolved AS
SELECT d.*, r.unit_code, r.status AS resolution, r.matched_by, r.narrowed_by, r.candidates
FROM duty_shifts d
LEFT JOIN unit_resolutions r
       ON r.source_table = 'duty_shifts' AND r.file_id = d.file_id AND r.sheet = d.sheet
      AND r.unit_raw IS d.unit_raw AND r.unit_code_raw IS d.unit_code_raw AND r.parent_raw IS NULL;

-- Derived by `fangyi check`: the roster in force. For each unit, date and shift, the rows of the
-- latest file that rosters it (a re-sent roster replaces the shifts it names, and only those).
CREATE TABLE IF NOT EXISTS duty_shifts_current (
    shift_id    INTEGER PRIMARY KEY,      -- duty_shifts.shift_id
    unit_code   TEXT,                     -- NULL when the unit is unknown or ambiguous
    unit_raw    TEXT,
    date        TEXT NOT NULL,
    shift       TEXT NOT NULL,
    person      TEXT,
    person_key  TEXT,
    post        TEXT,
    phone       TEXT,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    file_id     INTEGER NOT NULL,
    sheet       TEXT NOT NULL,
    row_number  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS duty_shifts_current_unit_date ON duty_shifts_current(unit_code, date);
CREATE INDEX IF NOT EXISTS duty_shifts_current_person ON duty_shifts_current(person_key);

-- Derived by `fangyi check`: roster coverage per unit-day, for every day of a unit's roster span
-- (its first to its last rostered date) on which the unit is open.
CREATE TABLE IF NOT EXISTS roster_unit_days (
    unit_code    TEXT NOT NULL,
    date         TEXT NOT NULL,
    roster_from  TEXT NOT NULL,           -- first date the unit's roster names
    roster_to    TEXT NOT NULL,           -- last date the unit's roster names
    day_count    INTEGER NOT NULL,        -- people on the day shift
    night_count  INTEGER NOT NULL,        -- people on the night shift
    leader_count INTEGER NOT NULL,        -- leaders on duty
    day_staff    TEXT,                    -- names, separated by 、
    night_staff  TEXT,
    leaders      TEXT,
    phone        TEXT,                    -- a leader's phone on the roster, else any phone of that day
    file_id      INTEGER,                 -- the first roster row of the day; NULL: the roster has no row for it
    sheet        TEXT,
    row_number   INTEGER,
    PRIMARY KEY (unit_code, date)
);

CREATE TABLE IF NOT EXISTS allowance_claims (
    claim_id      INTEGER PRIMARY KEY,
    person        TEXT NOT NULL,
    person_key    TEXT NOT NULL,          -- normalised name, as duty_shifts.person_key
    unit_raw      TEXT,
    unit_code_raw TEXT,
    month         TEXT NOT NULL,          -- YYYY-MM
    day_shifts    INTEGER,
    night_shifts  INTEGER,
    amount        REAL,                   -- yuan
    extra         TEXT,
    file_id       INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet         TEXT NOT NULL,
    row_number    INTEGER NOT NULL
);

CREATE VIEW IF NOT EXISTS allowance_claims_resolved AS
SELECT c.*, r.unit_code, r.status AS resolution, r.matched_by, r.narrowed_by, r.candidates
FROM allowance_claims c
LEFT JOIN unit_resolutions r
       ON r.source_table = 'allowance_claims' AND r.file_id = c.file_id AND r.sheet = c.sheet
      AND r.unit_raw IS c.unit_raw AND r.unit_code_raw IS c.unit_code_raw AND r.parent_raw IS NULL;

-- Derived by `fangyi check`: what the roster in force supports, per person, unit and month: the
-- distinct day and night shifts rostered, at the allowance rate in force.
CREATE TABLE IF NOT EXISTS allowance_entitlement (
    person_key       TEXT NOT NULL,
    person           TEXT NOT NULL,       -- as the roster writes it
    unit_code        TEXT NOT NULL,
    month            TEXT NOT NULL,       -- YYYY-MM of the duty date
    day_shifts       INTEGER NOT NULL,
    night_shifts     INTEGER NOT NULL,
    rate_per_shift   REAL NOT NULL,
    supported_amount REAL NOT NULL,       -- (day_shifts + night_shifts) × rate_per_shift
    PRIMARY KEY (person_key, unit_code, month)
);

-- Derived by `fangyi check`: every claim in force (the latest row per person, unit and month)
-- beside what the roster supports: at the claim's unit, or at every unit when the claim names
-- none or a unit that does not resolve.
CREATE TABLE IF NOT EXISTS allowance_claims_reconciled (
    claim_id             INTEGER PRIMARY KEY,   -- allowance_claims.claim_id
    person               TEXT NOT NULL,
    person_key           TEXT NOT NULL,
    unit_code            TEXT,
    unit_raw             TEXT,
    month                TEXT NOT NULL,
    claimed_day_shifts   INTEGER,
    claimed_night_shifts INTEGER,
    claimed_amount       REAL,
    supported_day_shifts   INTEGER NOT NULL,
    supported_night_shifts INTEGER NOT NULL,
    rate_per_shift       REAL NOT NULL,
    supported_amount     REAL NOT NULL,
    difference           REAL,               -- claimed amount (else claimed shifts × rate) − supported amount
    file_id              INTEGER NOT NULL,
    sheet                TEXT NOT NULL,
    row_number           INTEGER NOT NULL
);

-- Derived by `fangyi check`: each daily report in force on a rostered unit-day that names a
-- duty leader, beside the leaders the roster has for that unit and day (names compared by their
-- normalised form).
CREATE TABLE IF NOT EXISTS report_duty_leaders (
    report_id        INTEGER PRIMARY KEY,     -- daily_reports.report_id
    unit_code        TEXT NOT NULL,
    report_date      TEXT NOT NULL,
    duty_leader      TEXT NOT NULL,           -- as the report writes it
    duty_leader_key  TEXT,
    rostered_leaders TEXT,                    -- the roster's leaders that day, separated by 、
    on_roster        INTEGER NOT NULL,        -- 1: the report's leader is a rostered leader that day
    file_id          INTEGER NOT NULL,
    sheet            TEXT NOT NULL,
    row_number       INTEGER NOT NULL
);
