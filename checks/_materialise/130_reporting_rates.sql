-- Completeness per unit and week, and per town and district by day and by week. Two passes over
-- expected_report_status: unit-weeks in its key order, and town-district-day totals that the
-- larger groupings are summed from.
DELETE FROM reporting_rates;

CREATE TEMP TABLE IF NOT EXISTS area_days (town_code TEXT, district_code TEXT, day TEXT, iso_week TEXT,
                                           expected INTEGER, actual INTEGER, on_time INTEGER);
DELETE FROM area_days;
INSERT INTO area_days
SELECT h.town_code, h.district_code, s.report_date, s.iso_week, count(*), sum(s.reported), sum(s.on_time)
FROM expected_report_status s
JOIN unit_hierarchy h ON h.unit_code = s.unit_code
GROUP BY h.town_code, h.district_code, s.report_date, s.iso_week;

INSERT INTO reporting_rates (level, org_code, org_name, period_type, period, expected, actual, on_time,
                             reporting_rate, on_time_rate)
SELECT g.level, g.org_code, u.name, g.period_type, g.period, g.expected, g.actual, g.on_time,
       100.0 * g.actual / g.expected, 100.0 * g.on_time / g.expected
FROM (
    SELECT 'unit' AS level, unit_code AS org_code, 'week' AS period_type, iso_week AS period,
           count(*) AS expected, sum(reported) AS actual, sum(on_time) AS on_time
    FROM expected_report_status GROUP BY unit_code, iso_week
    UNION ALL
    SELECT 'town', town_code, 'day', day, sum(expected), sum(actual), sum(on_time)
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
LEFT JOIN units_current u ON u.unit_code = g.org_code;
