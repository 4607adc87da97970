-- Completeness per unit and week, and per town and district by day and by week (the view
-- reporting_rates, db/schema.sql): the towns' and districts' rows, and each unit-week's exceptions.
-- Expected unit-days are counted from the units' open dates (a unit with neither opened_on nor
-- closed_on is expected every day); the exceptions (missing, not on time) are read from the
-- few rows of report_exceptions. actual = expected - missing and
-- on_time = expected - not on time, so no pass over every unit-day is needed.
DELETE FROM area_reporting_rates;

DROP TABLE IF EXISTS temp.rate_units;
CREATE TEMP TABLE rate_units AS
SELECT unit_code, town_code, district_code, opened_on, closed_on
FROM units_in_force
WHERE reports_daily = 1;

-- the expected days of the units with an opened_on or closed_on (the others: every day)
DROP TABLE IF EXISTS temp.bounded_unit_days;
CREATE TEMP TABLE bounded_unit_days AS
SELECT a.town_code, a.district_code, k.day, k.iso_week
FROM rate_units a
JOIN calendar_days k ON k.day >= COALESCE(a.opened_on, k.day) AND k.day <= COALESCE(a.closed_on, k.day)
WHERE a.opened_on IS NOT NULL OR a.closed_on IS NOT NULL;

-- per unit-day exception, with its unit's town and district
DROP TABLE IF EXISTS temp.rate_exceptions;
CREATE TEMP TABLE rate_exceptions AS
SELECT s.unit_code, a.town_code, a.district_code, s.report_date, s.iso_week,
       1 - s.reported AS missing, 1 AS not_on_time
FROM report_exceptions s
JOIN rate_units a ON a.unit_code = s.unit_code;

-- expected, missing and not-on-time unit-days per town, district and day
DROP TABLE IF EXISTS temp.area_days;
CREATE TEMP TABLE area_days AS
SELECT town_code, district_code, day, iso_week, sum(expected) AS expected,
       sum(expected) - sum(missing) AS actual, sum(expected) - sum(not_on_time) AS on_time
FROM (
    SELECT a.town_code, a.district_code, k.day, k.iso_week, a.units AS expected, 0 AS missing, 0 AS not_on_time
    FROM (SELECT town_code, district_code, count(*) AS units FROM rate_units
          WHERE opened_on IS NULL AND closed_on IS NULL
          GROUP BY town_code, district_code) a
    CROSS JOIN calendar_days k
    UNION ALL
    SELECT town_code, district_code, day, iso_week, 1, 0, 0
    FROM bounded_unit_days
    UNION ALL
    SELECT town_code, district_code, report_date, iso_week, 0, missing, not_on_time
    FROM rate_exceptions
)
GROUP BY town_code, district_code, day, iso_week;

-- the exceptions per unit and week (the view reporting_rates computes the unit-weeks from them)
DELETE FROM unit_week_exceptions;
INSERT INTO unit_week_exceptions (unit_code, iso_week, missing, not_on_time)
SELECT unit_code, iso_week, sum(missing), sum(not_on_time)
FROM rate_exceptions
GROUP BY unit_code, iso_week;

-- the towns' and districts' rows, in reporting_rates' key order (its pages read them so)
INSERT INTO area_reporting_rates (level, org_code, org_name, period_type, period, expected, actual, on_time,
                                  reporting_rate, on_time_rate)
SELECT g.level, g.org_code, u.name, g.period_type, g.period, g.expected, g.actual, g.on_time,
       100.0 * g.actual / g.expected, 100.0 * g.on_time / g.expected
FROM (
    SELECT 'town' AS level, town_code AS org_code, 'day' AS period_type, day AS period,
           sum(expected) AS expected, sum(actual) AS actual, sum(on_time) AS on_time
    FROM area_days GROUP BY town_code, day
    UNION ALL
    SELECT 'town', town_code, 'week', iso_week, sum(expected), sum(actual), sum(on_time)
    FROM area_days GROUP BY town_code, iso_week
    UNION ALL
    SELECT 'district', district_code, 'day', day, sum(expected), sum(actual), sum(on_time)
    FROM area_days GROUP BY district_code, day
    UNION ALL
    SELECT 'district', district_code, 'week', iso_week, sum(expected), sum(actual), sum(on_time)
    FROM area_days GROUP BY district_code, iso_week
) g
LEFT JOIN units_in_force u ON u.unit_code = g.org_code
ORDER BY g.level, g.period_type, g.period, g.org_code;
