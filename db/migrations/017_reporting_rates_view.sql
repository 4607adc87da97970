-- From schema version 16 to 17: reporting_rates is a view. Its town and district rows are kept
-- in the new table area_reporting_rates; a unit's weeks are computed when read from the units,
-- the calendar and the new table unit_week_exceptions (each unit-week's missing and not-on-time
-- days), which `fangyi check` writes (checks/_materialise/130_reporting_rates.sql). Both are
-- filled here from the table's rows and report_exceptions, so that the pages show the rates
-- before the next check run. A database whose reporting_rates was still a view (views are
-- dropped before the migrations run) gets an empty table here, then dropped.
CREATE TABLE IF NOT EXISTS reporting_rates (
    level          TEXT NOT NULL,
    org_code       TEXT,
    org_name       TEXT,
    period_type    TEXT NOT NULL,
    period         TEXT NOT NULL,
    expected       INTEGER NOT NULL,
    actual         INTEGER NOT NULL,
    on_time        INTEGER NOT NULL,
    reporting_rate REAL,
    on_time_rate   REAL
);
CREATE TABLE IF NOT EXISTS area_reporting_rates (
    level          TEXT NOT NULL,
    org_code       TEXT,
    org_name       TEXT,
    period_type    TEXT NOT NULL,
    period         TEXT NOT NULL,
    expected       INTEGER NOT NULL,
    actual         INTEGER NOT NULL,
    on_time        INTEGER NOT NULL,
    reporting_rate REAL,
    on_time_rate   REAL
);
INSERT INTO area_reporting_rates (level, org_code, org_name, period_type, period, expected, actual, on_time,
                                  reporting_rate, on_time_rate)
SELECT level, org_code, org_name, period_type, period, expected, actual, on_time, reporting_rate, on_time_rate
FROM reporting_rates
WHERE level <> 'unit'
ORDER BY level, period_type, period, org_code;
CREATE TABLE IF NOT EXISTS unit_week_exceptions (
    unit_code   TEXT NOT NULL,
    iso_week    TEXT NOT NULL,
    missing     INTEGER NOT NULL,
    not_on_time INTEGER NOT NULL,
    PRIMARY KEY (unit_code, iso_week)
) WITHOUT ROWID;
INSERT INTO unit_week_exceptions (unit_code, iso_week, missing, not_on_time)
SELECT unit_code, iso_week, sum(1 - reported), count(*)
FROM report_exceptions
GROUP BY unit_code, iso_week;
DROP TABLE reporting_rates;
