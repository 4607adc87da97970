-- Every expected unit-day: each unit marked to report daily, on every day of the period inside
-- its opened_on .. closed_on (both inclusive); reported when a report is in force, on time when
-- it is known not late.
DELETE FROM expected_report_status;
INSERT INTO expected_report_status (unit_code, iso_week, report_date, report_id, reported, on_time)
SELECT u.unit_code, k.iso_week, k.day, c.report_id, c.report_id IS NOT NULL, COALESCE(c.late = 0, 0)
FROM units_current u
JOIN calendar_days k ON k.day >= COALESCE(u.opened_on, k.day) AND k.day <= COALESCE(u.closed_on, k.day)
LEFT JOIN current_reports c ON c.report_date = k.day AND c.unit_group = u.unit_code
WHERE u.reports_daily = 1
ORDER BY u.unit_code, k.day;
