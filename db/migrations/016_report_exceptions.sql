-- From schema version 15 to 16: expected_report_status is a view (every expected unit-day,
-- computed when read from units_in_force, calendar_days and current_reports); the unit-days
-- missing, late or of unknown lateness are kept in the new table report_exceptions, which
-- `fangyi check` writes (checks/_materialise/120_report_exceptions.sql). The table's exceptions
-- are carried over, so that the pages show them before the next check run. A database
-- whose expected_report_status was still a view (views are dropped before the migrations run)
-- gets an empty table here, then dropped.
CREATE TABLE IF NOT EXISTS expected_report_status (
    unit_code    TEXT NOT NULL,
    report_date  TEXT NOT NULL,
    iso_week     TEXT NOT NULL,
    report_id    INTEGER,
    reported     INTEGER NOT NULL,
    on_time      INTEGER NOT NULL,
    PRIMARY KEY (unit_code, iso_week, report_date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_exceptions (
    report_date TEXT NOT NULL,
    unit_code   TEXT NOT NULL,
    iso_week    TEXT NOT NULL,
    report_id   INTEGER,
    reported    INTEGER NOT NULL,
    PRIMARY KEY (report_date, unit_code)
) WITHOUT ROWID;
INSERT INTO report_exceptions (report_date, unit_code, iso_week, report_id, reported)
SELECT report_date, unit_code, iso_week, report_id, reported
FROM expected_report_status
WHERE on_time = 0;
DROP TABLE expected_report_status;
