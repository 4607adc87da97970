-- The workbench's own tables and views: provenance, derived state, check runs and findings.
-- The tables each kind of record loads into (units, daily_reports, duty_shifts, ...) are declared
-- with the kind in the kind registry (ingest/kinds/) and created from there; views here read them.
-- Date arithmetic and formatting are calls of the macros in db/macros/<engine>.sql (add_days,
-- iso_week, ...), which fangyi.db.dialect.render() writes out as the engine's SQL before the
-- schema is run.
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
    warnings      TEXT,                   -- JSON list, e.g. a sheet with a header and no data rows
    content_sha256 TEXT                   -- over the rows loaded, without provenance (file, sheet, row)
);
CREATE UNIQUE INDEX IF NOT EXISTS source_files_loaded_sha256 ON source_files(sha256) WHERE status = 'loaded';
CREATE INDEX IF NOT EXISTS source_files_content ON source_files(content_sha256) WHERE status = 'loaded';

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

-- (table units: declared by its kind, created from the kind registry)

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

-- (table daily_reports: declared by its kind, created from the kind registry)

-- Each distinct way a sheet names a unit (written by ingest): rows that name a unit carry its
-- name_id, so a name is resolved once, not once per row.
CREATE TABLE IF NOT EXISTS unit_names (
    name_id       INTEGER PRIMARY KEY,
    source_table  TEXT NOT NULL,          -- the table whose rows name the unit (daily_reports, ...)
    file_id       INTEGER NOT NULL REFERENCES source_files(file_id),
    sheet         TEXT NOT NULL,
    unit_raw      TEXT,
    unit_code_raw TEXT,
    parent_raw    TEXT
);

-- Derived by `fangyi check`: how each unit name resolves to the registry in force, in the
-- context of its parent column and of the sheet's title, sheet name and file name.
CREATE TABLE IF NOT EXISTS unit_resolutions (
    name_id     INTEGER PRIMARY KEY,      -- unit_names
    unit_code   TEXT,                     -- NULL when unknown or ambiguous
    unit_group  TEXT NOT NULL,            -- unit_code, else '?' + the normalised parent/name: one unit-day's versions
    status      TEXT NOT NULL,            -- resolved | ambiguous | unknown
    matched_by  TEXT,                     -- code | name | alias | settings_alias | short_name
    narrowed_by TEXT,                     -- parent | sheet | reporting_unit: what chose among several
    candidates  TEXT,                     -- JSON list of the unit codes the name fits, when several
    hint_zh     TEXT,                     -- unknown: not under which parent, near names there, where it fits
    hint_en     TEXT                      -- the same in English
);
-- the names of one unit (group): a unit-day's reports through daily_reports(report_date, name_id)
CREATE INDEX IF NOT EXISTS unit_resolutions_group ON unit_resolutions(unit_group);

-- Every report with its unit resolved (after a check run; before one, unit_code is NULL).
CREATE VIEW IF NOT EXISTS daily_reports_resolved AS
SELECT d.*, r.unit_code, r.unit_group, r.status AS resolution, r.matched_by, r.narrowed_by, r.candidates,
       r.hint_zh, r.hint_en
FROM daily_reports d
LEFT JOIN unit_resolutions r ON r.name_id = d.name_id;

-- Derived by `fangyi check`: the report in force per unit-day. A later submitted_at wins;
-- without one (or on a tie) the later ingest wins.
CREATE TABLE IF NOT EXISTS current_reports (
    report_date TEXT NOT NULL,
    unit_group  TEXT NOT NULL,            -- unit_code, or '?' + normalised name when unresolved
    unit_code   TEXT,
    report_id   INTEGER NOT NULL,         -- daily_reports: the version in force
    versions    INTEGER NOT NULL,         -- how many reports this unit-day has
    late        INTEGER,                  -- 1 late, 0 on time, NULL unknown
    PRIMARY KEY (report_date, unit_group)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS current_reports_unresolved ON current_reports(report_date) WHERE unit_code IS NULL;

-- Derived by `fangyi check`: reports that repeat, value for value, the version before them of
-- their unit-day (a resubmission that changes nothing). They are not counted in `versions` and
-- never become the version in force: the report they repeat stays in force, with its lateness.
CREATE TABLE IF NOT EXISTS duplicate_reports (
    report_id    INTEGER PRIMARY KEY,     -- daily_reports: the repeating report
    duplicate_of INTEGER NOT NULL,        -- daily_reports: the version it repeats
    report_date  TEXT NOT NULL,
    unit_group   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS duplicate_reports_unit ON duplicate_reports(unit_group, report_date);
CREATE INDEX IF NOT EXISTS current_reports_late ON current_reports(report_date) WHERE late = 1;
-- a unit's days with several reports (the unit's report history)
CREATE INDEX IF NOT EXISTS current_reports_several ON current_reports(unit_group) WHERE versions > 1;

-- (The join on the day as well lets a filter on report_date use current_reports' primary key.)
CREATE VIEW IF NOT EXISTS daily_reports_current AS
SELECT r.*, 1 AS version_rank, c.versions
FROM current_reports c
JOIN daily_reports_resolved r ON r.report_id = c.report_id AND r.report_date = c.report_date;

-- All reports of every unit-day with their rank: 1 is the one in force (see current_reports); a
-- report repeating the version before it (duplicate_reports) has no rank and names that version.
CREATE VIEW IF NOT EXISTS daily_report_versions AS
SELECT r.*,
       CASE WHEN x.report_id IS NOT NULL THEN NULL
            WHEN c.report_id = r.report_id THEN 1
            ELSE 1 + (SELECT count(*) FROM daily_reports_resolved o
                      WHERE o.report_date = r.report_date AND o.unit_group = c.unit_group
                        -- the same, said so that the day's reports are found by name, not scanned
                        AND o.name_id IN (SELECT name_id FROM unit_resolutions WHERE unit_group = c.unit_group)
                        AND o.report_id NOT IN (SELECT report_id FROM duplicate_reports)
                        AND (o.submitted_at IS NOT NULL, COALESCE(o.submitted_at, ''), o.file_id, o.row_number,
                             o.report_id)
                          > (r.submitted_at IS NOT NULL, COALESCE(r.submitted_at, ''), r.file_id, r.row_number,
                             r.report_id)) END AS version_rank,   -- the rank key of current_reports
       c.versions,
       x.duplicate_of
FROM daily_reports_resolved r
JOIN current_reports c ON c.report_date = r.report_date AND c.unit_group = r.unit_group
LEFT JOIN duplicate_reports x ON x.report_id = r.report_id;

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
-- Date arithmetic is written as the macros of db/macros/<engine>.sql (fangyi.db.dialect).
CREATE VIEW IF NOT EXISTS calendar AS
WITH RECURSIVE days(day) AS (
    SELECT start_date FROM reporting_period WHERE start_date IS NOT NULL
    UNION ALL
    SELECT {{ add_days("day", 1) }} FROM days WHERE day < (SELECT end_date FROM reporting_period)
)
SELECT day, {{ iso_week("day") }} AS iso_week
FROM days;

-- Derived by `fangyi check` (checks/_materialise/100_units_in_force.sql, its first step): every
-- unit in force (units_current) with its town and district, its nearest ancestors (or itself) at
-- those levels, so registries with province and city levels above the districts work the same
-- way; read by unit_hierarchy, the later steps and the site's pages by primary key.
CREATE TABLE IF NOT EXISTS units_in_force (
    unit_code     TEXT PRIMARY KEY,
    name          TEXT,
    level         TEXT,
    parent_code   TEXT,
    reports_daily INTEGER,
    opened_on     TEXT,
    closed_on     TEXT,
    town_code     TEXT,                   -- the town itself for a town; NULL above the towns
    town_name     TEXT,
    district_code TEXT,                   -- the district itself for a district
    display_name  TEXT                    -- name, or name（town） when another unit has the name
);
-- the units that report daily in code order, with their dates (expected_report_status reads them so)
CREATE INDEX IF NOT EXISTS units_in_force_daily_span ON units_in_force(reports_daily, unit_code, opened_on, closed_on);

-- Each unit with its town and district, as the latest check run worked them out.
CREATE VIEW IF NOT EXISTS unit_hierarchy AS
SELECT unit_code, name, level, town_code, district_code
FROM units_in_force;

-- The expected calendar: every unit marked to report daily, on every day of the period inside
-- its opened_on .. closed_on (both inclusive).
CREATE VIEW IF NOT EXISTS expected_reports AS
SELECT u.unit_code, c.day AS report_date, c.iso_week
FROM units_current u
JOIN calendar c ON c.day >= COALESCE(u.opened_on, c.day) AND c.day <= COALESCE(u.closed_on, c.day)
WHERE u.reports_daily = 1;

-- Derived by `fangyi check`: every day of the period with its week and deadline (report_date +
-- N days at HH:MM, from the settings).
CREATE TABLE IF NOT EXISTS calendar_days (
    day        TEXT PRIMARY KEY,
    day_number INTEGER NOT NULL,           -- 0 for the first day of the period, 1 for the next ...
    iso_week   TEXT NOT NULL,
    deadline   TEXT NOT NULL
) WITHOUT ROWID;

-- Every daily report with the deadline of its day and whether it was late: 1 late, 0 on time,
-- NULL unknown (no submitted_at, a date only that equals the deadline's date, or a day outside
-- the reporting period). The one definition of lateness.
CREATE VIEW IF NOT EXISTS daily_report_deadlines AS
SELECT d.report_id, d.name_id, d.report_date, d.submitted_at, d.file_id, d.row_number, k.deadline,
       CASE WHEN d.submitted_at IS NULL OR k.deadline IS NULL THEN NULL
            WHEN length(d.submitted_at) = 10 THEN
                CASE WHEN d.submitted_at > substr(k.deadline, 1, 10) THEN 1
                     WHEN d.submitted_at < substr(k.deadline, 1, 10) THEN 0 END
            ELSE d.submitted_at > k.deadline END AS late
FROM daily_reports d
LEFT JOIN calendar_days k ON k.day = d.report_date;

-- Each current report with its deadline and whether it was late: 1 late, 0 on time, NULL
-- unknown (no submitted_at, only the deadline's date, or a date outside the period).
CREATE VIEW IF NOT EXISTS report_timeliness AS
SELECT c.report_id, c.unit_code, d.unit_raw, c.report_date, d.submitted_at, d.file_id, d.sheet, d.row_number,
       k.deadline, c.late
FROM current_reports c
JOIN daily_reports d ON d.report_id = c.report_id
LEFT JOIN calendar_days k ON k.day = c.report_date;

-- Derived by `fangyi check` (checks/_materialise/120_report_exceptions.sql): the expected
-- unit-days whose report is missing, late or of unknown lateness, the rows of
-- expected_report_status with on_time = 0. A province has 5 million expected unit-days and a few
-- hundred thousand of these: the checks, the rates and the pages read them by day from here.
CREATE TABLE IF NOT EXISTS report_exceptions (
    report_date TEXT NOT NULL,
    unit_code   TEXT NOT NULL,
    iso_week    TEXT NOT NULL,
    report_id   INTEGER,                  -- the report in force (late or of unknown lateness); NULL when missing
    reported    INTEGER NOT NULL,         -- 0 missing (漏報), 1 sent but not known to be on time
    PRIMARY KEY (report_date, unit_code)
) WITHOUT ROWID;
-- each unit's missed days in order (silent streaks, missed contacts), without a look at the table
CREATE INDEX IF NOT EXISTS report_exceptions_missed ON report_exceptions(unit_code, report_date) WHERE reported = 0;

-- Every expected unit-day: each unit in force marked to report daily, on every day of the
-- period inside its opened_on .. closed_on (both inclusive); reported when a report is in force
-- (current_reports), on time when it is known not late. Computed when read: one unit's days or
-- one day's units are a few thousand lookups at most; the exceptions are kept in
-- report_exceptions. (CROSS JOIN keeps the days outermost: a day's units are looked up in
-- current_reports side by side, and read in code order from units_in_force_daily_span, so that the
-- view comes in its unique key's order, report_date then unit_code, without a sort.)
CREATE VIEW IF NOT EXISTS expected_report_status AS
SELECT u.unit_code, k.day AS report_date, k.iso_week, c.report_id, c.report_id IS NOT NULL AS reported,
       COALESCE(c.late = 0, 0) AS on_time
FROM calendar_days k
CROSS JOIN units_in_force u
LEFT JOIN current_reports c ON c.report_date = k.day AND c.unit_group = u.unit_code
WHERE u.reports_daily = 1
  AND k.day >= COALESCE(u.opened_on, k.day) AND k.day <= COALESCE(u.closed_on, k.day);

-- Derived by `fangyi check` (checks/_materialise/130_reporting_rates.sql): the town and district
-- rows of reporting_rates, by day and by ISO week, written in reporting_rates' key order.
CREATE TABLE IF NOT EXISTS area_reporting_rates (
    level          TEXT NOT NULL,         -- town | district
    org_code       TEXT,
    org_name       TEXT,
    period_type    TEXT NOT NULL,         -- day | week
    period         TEXT NOT NULL,
    expected       INTEGER NOT NULL,
    actual         INTEGER NOT NULL,
    on_time        INTEGER NOT NULL,
    reporting_rate REAL,
    on_time_rate   REAL
);
CREATE INDEX IF NOT EXISTS area_reporting_rates_key ON area_reporting_rates(level, period_type, period, org_code);
CREATE INDEX IF NOT EXISTS area_reporting_rates_org ON area_reporting_rates(org_code, period_type, period);

-- Derived by `fangyi check` (130_reporting_rates.sql): each unit-week's exceptions, from
-- report_exceptions: how many of its expected days are missing, and how many not on time.
CREATE TABLE IF NOT EXISTS unit_week_exceptions (
    unit_code   TEXT NOT NULL,
    iso_week    TEXT NOT NULL,
    missing     INTEGER NOT NULL,
    not_on_time INTEGER NOT NULL,
    PRIMARY KEY (unit_code, iso_week)
) WITHOUT ROWID;

-- DHIS2-style completeness: expected, actual and on-time reports and their rates (percent), by
-- unit (week), town and district (day and ISO week). A unit's day is its row in
-- expected_report_status. The towns and districts are read from area_reporting_rates; a unit's
-- weeks are computed when read: the week's days inside the unit's opened_on .. closed_on, less
-- the week's exceptions (a province has 800,000 unit-weeks, nearly all without one). The rows
-- come in the key order (level, period_type, period, org_code) without a sort: the areas first
-- ('district', 'town'), then the weeks in order, each week's units in code order.
CREATE VIEW IF NOT EXISTS reporting_rates AS
SELECT level, org_code, org_name, period_type, period, expected, actual, on_time, reporting_rate, on_time_rate
FROM area_reporting_rates
UNION ALL
SELECT 'unit', e.unit_code, e.name, 'week', e.iso_week, e.expected,
       e.expected - COALESCE(x.missing, 0), e.expected - COALESCE(x.not_on_time, 0),
       100.0 * (e.expected - COALESCE(x.missing, 0)) / e.expected,
       100.0 * (e.expected - COALESCE(x.not_on_time, 0)) / e.expected
FROM (
    SELECT u.unit_code, u.name, w.iso_week,
           CASE WHEN u.opened_on IS NULL AND u.closed_on IS NULL THEN w.days
                ELSE {{ days_between("CASE WHEN u.opened_on > w.first_day THEN u.opened_on ELSE w.first_day END",
                                     "CASE WHEN u.closed_on < w.last_day THEN u.closed_on ELSE w.last_day END") }} + 1
           END AS expected
    FROM (SELECT iso_week, min(day) AS first_day, max(day) AS last_day, count(*) AS days
          FROM calendar_days GROUP BY iso_week) w
    CROSS JOIN units_in_force u
    WHERE u.reports_daily = 1
) e
LEFT JOIN unit_week_exceptions x ON x.unit_code = e.unit_code AND x.iso_week = e.iso_week
WHERE e.expected > 0;

-- Derived by `fangyi check`: 一周一排名: towns ranked each ISO week by reporting rate, then on-time rate.
CREATE TABLE IF NOT EXISTS town_weekly_ranking (
    iso_week       TEXT NOT NULL,
    town_code      TEXT,
    town_name      TEXT,
    expected       INTEGER NOT NULL,
    actual         INTEGER NOT NULL,
    on_time        INTEGER NOT NULL,
    reporting_rate REAL,
    on_time_rate   REAL,
    rank           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS town_weekly_ranking_week ON town_weekly_ranking(iso_week, rank);

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
    gx_counts    TEXT,                    -- JSON: check_id -> GX unexpected rows
    step_seconds TEXT                     -- JSON: step -> seconds, in run order (view check_run_steps)
);

-- How long each step of a check run took: settings, unit resolution, each materialisation step,
-- each check, and great_expectations when it ran; a row per step of check_runs.step_seconds.
CREATE VIEW IF NOT EXISTS check_run_steps AS
SELECT r.run_id, s.key AS step, s.value AS seconds
FROM check_runs r
JOIN json_each(r.step_seconds) s ON s.type IN ('integer', 'real');

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
-- a unit's or a day's findings of a run, counted by check (the unit page; the findings page
-- filtered by unit or by day, with its check_id facet)
CREATE INDEX IF NOT EXISTS findings_history_run_unit_check ON findings_history(run_id, unit_code, check_id);
CREATE INDEX IF NOT EXISTS findings_history_run_date_check ON findings_history(run_id, date, check_id);

CREATE VIEW IF NOT EXISTS findings AS
SELECT * FROM findings_history
WHERE run_id = (SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL);

-- ---------------------------------------------------------------------------------------
-- Imported cold-chain food (進口冷鏈食品): each merchant's receipts and sales ledgers as
-- loaded, and what `fangyi check` derives from them (checks/_materialise/5xx_*.sql):
-- merchants, each sale's batch, balances per merchant and trace code, links between merchants.
-- Identifiers (merchant ids, trace codes, batch and certificate numbers) are kept in one
-- written form: NFKC, no spaces, upper case. Quantities keep the number and unit as written;
-- quantity_kg is NULL where the row does not give the weight (a box without a weight per box).
-- ---------------------------------------------------------------------------------------

-- (table coldchain_batches: declared by its kind, created from the kind registry)

-- (table coldchain_sales: declared by its kind, created from the kind registry)

-- Derived by `fangyi check`: the batch each sale draws on, and its weight. The trace code as
-- written, else the one trace code the seller's receipts give for the batch number; the kg from
-- the row, else from the weight per box of the seller's receipts of that batch in the same unit.
CREATE TABLE IF NOT EXISTS coldchain_sale_batches (
    sale_id     INTEGER PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    sale_date   TEXT NOT NULL,
    trace_code  TEXT,                     -- NULL: the sale names no batch the seller's receipts identify
    matched_by  TEXT,                     -- trace_code | batch_no | NULL
    quantity_kg REAL,
    kg_from     TEXT                      -- sale | receipt | NULL (weight unknown)
);
CREATE INDEX IF NOT EXISTS coldchain_sale_batches_trace ON coldchain_sale_batches(merchant_id, trace_code);
CREATE INDEX IF NOT EXISTS coldchain_sale_batches_code ON coldchain_sale_batches(trace_code);

-- Derived by `fangyi check`: every merchant keeping a cold-chain ledger here (a registered
-- merchant), identified by merchant_id, with its name and market as its ledgers write them.
CREATE TABLE IF NOT EXISTS merchants (
    merchant_id         TEXT PRIMARY KEY,
    name                TEXT,             -- the name its rows give most often
    market              TEXT,
    role                TEXT NOT NULL,    -- wholesale (sells to registered merchants) | retail
    receipts            INTEGER NOT NULL,
    sales               INTEGER NOT NULL,
    trace_codes         INTEGER NOT NULL, -- distinct trace codes received
    first_date          TEXT,
    last_date           TEXT,
    buys_from_merchants INTEGER NOT NULL, -- distinct registered suppliers
    sells_to_merchants  INTEGER NOT NULL  -- distinct registered buyers
);

-- Derived by `fangyi check`: per merchant and trace code, what was received, sold and is on
-- hand. In kg when every quantity has a weight; otherwise in the one unit all rows share, if any.
CREATE TABLE IF NOT EXISTS coldchain_balances (
    merchant_id    TEXT NOT NULL,
    trace_code     TEXT NOT NULL,
    product        TEXT,
    receipts       INTEGER NOT NULL,
    sales          INTEGER NOT NULL,
    received_kg    REAL,                  -- NULL when a receipt's weight is unknown
    sold_kg        REAL,                  -- NULL when a sale's weight is unknown
    on_hand_kg     REAL,                  -- received_kg - sold_kg
    qty_unit       TEXT,                  -- the unit every receipt and sale is written in, if one
    received_qty   REAL,                  -- in qty_unit
    sold_qty       REAL,
    on_hand_qty    REAL,
    unconverted    INTEGER NOT NULL,      -- receipts and sales without a weight in kg
    first_received TEXT,
    last_received  TEXT,
    first_sold     TEXT,
    last_sold      TEXT,
    PRIMARY KEY (merchant_id, trace_code)
);
CREATE INDEX IF NOT EXISTS coldchain_balances_trace ON coldchain_balances(trace_code);

-- Derived by `fangyi check`: a sale to a registered merchant linked to that merchant's receipt
-- of the same trace code on the sale day or within [coldchain] match_window_days after it (a
-- receipt that names its supplier must name the seller).
CREATE TABLE IF NOT EXISTS coldchain_links (
    sale_id       INTEGER NOT NULL,
    batch_id      INTEGER NOT NULL,
    trace_code    TEXT NOT NULL,
    seller_id     TEXT NOT NULL,
    buyer_id      TEXT NOT NULL,
    sale_date     TEXT NOT NULL,
    received_date TEXT NOT NULL,
    days_apart    INTEGER NOT NULL,
    same_quantity INTEGER,                -- 1 when both give the same kg (or the same number and unit)
    PRIMARY KEY (sale_id, batch_id)
);
CREATE INDEX IF NOT EXISTS coldchain_links_batch ON coldchain_links(batch_id);

-- Chain links with what each side wrote: seller, buyer, dates, quantities (sale <-> receipt).
CREATE VIEW IF NOT EXISTS coldchain_chain AS
SELECT l.trace_code, l.seller_id, ms.name AS seller_name, l.buyer_id, mb.name AS buyer_name,
       l.sale_date, l.received_date, l.days_apart,
       s.quantity AS sold_quantity, s.qty_unit AS sold_unit, sb.quantity_kg AS sold_kg,
       r.quantity AS received_quantity, r.qty_unit AS received_unit, r.quantity_kg AS received_kg,
       l.same_quantity, l.sale_id, l.batch_id,
       s.file_id AS sale_file_id, s.sheet AS sale_sheet, s.row_number AS sale_row,
       r.file_id AS receipt_file_id, r.sheet AS receipt_sheet, r.row_number AS receipt_row
FROM coldchain_links l
JOIN coldchain_sales s ON s.sale_id = l.sale_id
JOIN coldchain_sale_batches sb ON sb.sale_id = l.sale_id
JOIN coldchain_batches r ON r.batch_id = l.batch_id
LEFT JOIN merchants ms ON ms.merchant_id = l.seller_id
LEFT JOIN merchants mb ON mb.merchant_id = l.buyer_id;

-- A batch's path, one row per receipt or sale: what, how much, when, from whom, to whom, which
-- certificates (for a sale, those on the seller's receipts of the batch), and the balance at the
-- merchant. `fangyi trace` and the canned query batch_trace read this.
CREATE VIEW IF NOT EXISTS coldchain_trace AS
SELECT r.trace_code, 'receipt' AS movement, r.received_date AS date, r.merchant_id,
       COALESCE(m.name, r.merchant) AS merchant_name, r.market,
       COALESCE(r.supplier, ms.name) AS from_name, r.supplier_merchant_id AS from_id,
       COALESCE(m.name, r.merchant) AS to_name, r.merchant_id AS to_id, r.supplier_phone AS phone,
       r.product, r.spec, r.quantity, r.qty_unit, r.quantity_kg, r.importer, r.origin_country, r.batch_no,
       r.inspection_cert_no, r.nat_report_no, r.nat_result, r.disinfection_cert_no,
       b.received_kg, b.sold_kg, b.on_hand_kg, b.on_hand_qty, b.qty_unit AS balance_unit,
       f.path AS source_file, r.sheet, r.row_number, r.batch_id AS record_id
FROM coldchain_batches r
LEFT JOIN merchants m ON m.merchant_id = r.merchant_id
LEFT JOIN merchants ms ON ms.merchant_id = r.supplier_merchant_id
LEFT JOIN coldchain_balances b ON b.merchant_id = r.merchant_id AND b.trace_code = r.trace_code
LEFT JOIN source_files f ON f.file_id = r.file_id
WHERE r.trace_code IS NOT NULL
UNION ALL
SELECT sb.trace_code, 'sale', s.sale_date, s.merchant_id,
       COALESCE(m.name, s.merchant), s.market,
       COALESCE(m.name, s.merchant), s.merchant_id,
       COALESCE(s.buyer, mb.name), s.buyer_merchant_id, s.buyer_phone,
       s.product, s.spec, s.quantity, s.qty_unit, sb.quantity_kg,
       (SELECT group_concat(DISTINCT x.importer) FROM coldchain_batches x
        WHERE x.merchant_id = s.merchant_id AND x.trace_code = sb.trace_code),
       (SELECT group_concat(DISTINCT x.origin_country) FROM coldchain_batches x
        WHERE x.merchant_id = s.merchant_id AND x.trace_code = sb.trace_code),
       s.batch_no,
       (SELECT group_concat(DISTINCT x.inspection_cert_no) FROM coldchain_batches x
        WHERE x.merchant_id = s.merchant_id AND x.trace_code = sb.trace_code),
       (SELECT group_concat(DISTINCT x.nat_report_no) FROM coldchain_batches x
        WHERE x.merchant_id = s.merchant_id AND x.trace_code = sb.trace_code),
       (SELECT group_concat(DISTINCT x.nat_result) FROM coldchain_batches x
        WHERE x.merchant_id = s.merchant_id AND x.trace_code = sb.trace_code),
       (SELECT group_concat(DISTINCT x.disinfection_cert_no) FROM coldchain_batches x
        WHERE x.merchant_id = s.merchant_id AND x.trace_code = sb.trace_code),
       b.received_kg, b.sold_kg, b.on_hand_kg, b.on_hand_qty, b.qty_unit,
       f.path, s.sheet, s.row_number, s.sale_id
FROM coldchain_sales s
JOIN coldchain_sale_batches sb ON sb.sale_id = s.sale_id
LEFT JOIN merchants m ON m.merchant_id = s.merchant_id
LEFT JOIN merchants mb ON mb.merchant_id = s.buyer_merchant_id
LEFT JOIN coldchain_balances b ON b.merchant_id = s.merchant_id AND b.trace_code = sb.trace_code
LEFT JOIN source_files f ON f.file_id = s.file_id
WHERE sb.trace_code IS NOT NULL;

-- ---------------------------------------------------------------------------------------
-- Duty rosters (值班表) and allowance claims (值班補助申領). Loaded rows as the files hold them;
-- what the checks and pages read is derived by `fangyi check` (checks/_materialise/3NN_*.sql).
-- ---------------------------------------------------------------------------------------

-- (table duty_shifts: declared by its kind, created from the kind registry)

-- Every roster row with its unit resolved (after a check run; before one, unit_code is NULL).
CREATE VIEW IF NOT EXISTS duty_shifts_resolved AS
SELECT d.*, r.unit_code, r.status AS resolution, r.matched_by, r.narrowed_by, r.candidates, r.hint_zh, r.hint_en
FROM duty_shifts d
LEFT JOIN unit_resolutions r ON r.name_id = d.name_id;

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

-- (table allowance_claims: declared by its kind, created from the kind registry)

CREATE VIEW IF NOT EXISTS allowance_claims_resolved AS
SELECT c.*, r.unit_code, r.status AS resolution, r.matched_by, r.narrowed_by, r.candidates, r.hint_zh, r.hint_en
FROM allowance_claims c
LEFT JOIN unit_resolutions r ON r.name_id = c.name_id;

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

-- Derived by `fangyi check`: whom to call about each missed report (an expected unit-day with no
-- report in force), and where that name comes from, first that gives one: the unit's rostered
-- leader that day (值班表); the 帶班領導 (else 填報人) of the unit's latest report before that day,
-- with that person's phone on a roster of the unit's town (最近一次日報的帶班領導 / 的填報人);
-- the town's rostered leader that day (街鎮值班領導); else nobody (無).
CREATE TABLE IF NOT EXISTS missed_contacts (
    report_date  TEXT NOT NULL,
    unit_code    TEXT NOT NULL,
    contact      TEXT,                    -- names, separated by 、; NULL when source is 無
    phone        TEXT,
    reporter     TEXT,                    -- the 填報人 of the latest report, when that is the source
    source       TEXT NOT NULL,           -- 值班表 / 最近一次日報的帶班領導 / 最近一次日報的填報人 / 街鎮值班領導 / 無
    source_date  TEXT,                    -- the roster day or the date of the report the contact comes from
    source_report_id INTEGER,             -- daily_reports.report_id of that report
    PRIMARY KEY (report_date, unit_code)
) WITHOUT ROWID;

-- ---------------------------------------------------------------------------------------
-- Gatherings (聚集性活動報備) and their attendee lists. Loaded rows as the files hold them
-- (tables gathering_events and gathering_attendees: declared by their kinds); what the checks read is
-- derived by `fangyi check` (checks/_materialise/7NN_*.sql).
-- ---------------------------------------------------------------------------------------

-- Derived by `fangyi check`: the register in force, one row per event. An event written again
-- (a register re-sent with the same events) is the same unit, date, type and organiser (else
-- event number): the row of the latest file (then the lowest row) is in force.
CREATE TABLE IF NOT EXISTS gatherings_current (
    gathering_id   INTEGER PRIMARY KEY,   -- gathering_events.gathering_id: the row in force
    unit_code      TEXT,                  -- NULL when the unit is unknown or ambiguous
    unit_group     TEXT NOT NULL,         -- unit_code, else '?' + the normalised name as written
    unit_raw       TEXT,
    event_no       TEXT,
    event_type     TEXT NOT NULL,         -- 婚 | 喪 | 壽 | 其他
    event_type_raw TEXT,
    family         INTEGER NOT NULL,      -- 1: a family gathering (type 其他)
    event_date     TEXT NOT NULL,
    organiser      TEXT,
    organiser_key  TEXT,
    expected       INTEGER,
    actual         INTEGER,
    attendees      INTEGER,               -- actual, else expected
    counted_by     TEXT,                  -- actual | expected | NULL (neither given)
    reported_on    TEXT,
    approved_on    TEXT,
    approved_by    TEXT,
    needs_approval INTEGER NOT NULL,      -- 1: not family and type not in [gatherings] approval_exempt_types
    banquet        INTEGER NOT NULL,      -- 1: type in [gatherings] banquet_types
    versions       INTEGER NOT NULL,      -- how many rows write this event
    file_id        INTEGER NOT NULL,
    sheet          TEXT NOT NULL,
    row_number     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS gatherings_current_event ON gatherings_current(unit_group, event_date, organiser_key);
CREATE INDEX IF NOT EXISTS gatherings_current_no ON gatherings_current(event_no);

-- Derived by `fangyi check`: each attendee row beside the event in force it names (by event
-- number, else by unit, event date and organiser), with the person's keys for joining to other
-- registers: identity number, else phone, else name within the unit.
CREATE TABLE IF NOT EXISTS gathering_attendance (
    attendee_id    INTEGER PRIMARY KEY,   -- gathering_attendees.attendee_id
    gathering_id   INTEGER,               -- gatherings_current: NULL when no single event matches
    status         TEXT NOT NULL,         -- matched | unmatched | ambiguous
    matched_by     TEXT,                  -- event_no | unit_date_organiser
    reason         TEXT,                  -- unmatched or ambiguous: why, Chinese / English
    unit_code      TEXT,                  -- the event's unit, else the row's own
    event_date     TEXT,                  -- the event's date, else the row's own
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    id_key         TEXT,
    phone_key      TEXT,
    file_id        INTEGER NOT NULL,
    sheet          TEXT NOT NULL,
    row_number     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS gathering_attendance_id ON gathering_attendance(id_key);
CREATE INDEX IF NOT EXISTS gathering_attendance_phone ON gathering_attendance(phone_key);
CREATE INDEX IF NOT EXISTS gathering_attendance_name ON gathering_attendance(unit_code, name_key);

-- Returnees under health management (返鄉人員健康管理臺賬) and their nucleic-acid tests.
-- Loaded rows as the files hold them; what the checks and pages read is derived by
-- `fangyi check` (checks/_materialise/6NN_*.sql).
-- ---------------------------------------------------------------------------------------

-- (tables returnees and returnee_register_tests: declared by kind returnees; returnee_tests:
-- declared by kind returnee_tests; created from the kind registry)

-- Every register row with its unit resolved (after a check run; before one, unit_code is NULL).
CREATE VIEW IF NOT EXISTS returnees_resolved AS
SELECT d.*, r.unit_code, r.status AS resolution, r.matched_by, r.narrowed_by, r.candidates, r.hint_zh, r.hint_en
FROM returnees d
LEFT JOIN unit_resolutions r ON r.name_id = d.name_id;

-- Every test row with its unit resolved (after a check run; before one, unit_code is NULL).
CREATE VIEW IF NOT EXISTS returnee_tests_resolved AS
SELECT d.*, r.unit_code, r.status AS resolution, r.matched_by, r.narrowed_by, r.candidates, r.hint_zh, r.hint_en
FROM returnee_tests d
LEFT JOIN unit_resolutions r ON r.name_id = d.name_id;

-- Derived by `fangyi check`: the register in force. One row per person and arrival: a register
-- sent again (the same unit, person and arrival day) replaces the earlier row; the latest file
-- (then the latest row) wins. A person is known by identity number, else phone, else name.
CREATE TABLE IF NOT EXISTS returnees_current (
    returnee_id      INTEGER PRIMARY KEY,   -- returnees.returnee_id
    unit_code        TEXT,                  -- NULL when the unit is unknown or ambiguous
    unit_raw         TEXT,
    person           TEXT NOT NULL,         -- 'id:' identity key, else 'phone:' phone key, else 'name:' name key
    name             TEXT,
    name_key         TEXT,
    id_key           TEXT,
    phone_key        TEXT,
    risk_level       TEXT NOT NULL,         -- low | medium | high
    notified_at      TEXT,
    arrived_at       TEXT NOT NULL,
    arrival_date     TEXT NOT NULL,
    registered_at    TEXT,
    registration_date TEXT,                 -- the registration time's date, else the arrival date
    cert_date        TEXT,
    has_cert         INTEGER NOT NULL,
    cert_valid       INTEGER NOT NULL,      -- 1: a certificate from the certificate_days before arrival (or 有 without a date)
    departed_on      TEXT,
    monitoring_end   TEXT NOT NULL,         -- arrival date + monitoring_days, or the departure date if earlier
    file_id          INTEGER NOT NULL,
    sheet            TEXT NOT NULL,
    row_number       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS returnees_current_id ON returnees_current(id_key);
CREATE INDEX IF NOT EXISTS returnees_current_phone ON returnees_current(phone_key);
CREATE INDEX IF NOT EXISTS returnees_current_name ON returnees_current(unit_code, name_key);

-- Derived by `fangyi check`: one table of tests, from the test sheets (returnee_tests) and from
-- the register's test columns (returnee_register_tests), each matched to a returnee in force: a
-- register's own cells to their row; a test row by identity number, else phone, else name within
-- the unit; among a person's arrivals, the latest on or before the test (else the first).
CREATE TABLE IF NOT EXISTS returnee_test_results (
    result_id        INTEGER PRIMARY KEY,
    source           TEXT NOT NULL,         -- tests (a test sheet) | register (a test column of the register)
    source_id        INTEGER NOT NULL,      -- returnee_tests.test_id or returnee_register_tests.register_test_id
    column_name      TEXT,                  -- register: the test column as written
    planned          TEXT,                  -- register: first | day:N | nth:K
    returnee_id      INTEGER,               -- returnees_current; NULL: matches nobody
    matched_by       TEXT,                  -- register | id_number | phone | name
    unit_code        TEXT,
    name             TEXT,
    test_date        TEXT,                  -- ISO date (and time when written); NULL: a register cell with a result only
    test_day         TEXT,                  -- its date
    result           TEXT,                  -- negative | positive | pending | NULL
    disposal         TEXT,
    disposal_recorded INTEGER NOT NULL,
    file_id          INTEGER NOT NULL,
    sheet            TEXT NOT NULL,
    row_number       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS returnee_test_results_returnee ON returnee_test_results(returnee_id);

-- Derived by `fangyi check`: every test a returnee in force owes, with the test that meets it.
-- Day N is the arrival date + N days. Low risk: [returnees] test_days; medium and high risk:
-- medium_high_risk_tests tests, the days before test_days being day 1, 2 ... (default 1, 7, 14).
-- A test on the day, up to test_late_tolerance_days before or after, meets it; a register cell
-- of the test's column with a result and no date meets it too. Owed only when the day falls
-- before the departure date.
CREATE TABLE IF NOT EXISTS returnee_tests_owed (
    returnee_id   INTEGER NOT NULL,
    ordinal       INTEGER NOT NULL,         -- 1, 2, 3: the test's place in the schedule
    day_number    INTEGER NOT NULL,         -- N of day N
    due_date      TEXT NOT NULL,
    latest_date   TEXT NOT NULL,            -- due date + test_late_tolerance_days
    result_id     INTEGER,                  -- returnee_test_results: the test that meets it; NULL: none
    test_date     TEXT,
    late_test_date TEXT,                    -- none meets it: the first test after latest_date, if any
    status        TEXT NOT NULL,            -- done | missed | not_yet (latest_date after the period's end)
    PRIMARY KEY (returnee_id, ordinal)
);
