-- check: missing_report
-- label: 漏報：應報而未報
-- severity: error
-- meaning: a unit expected to report on a day sent nothing (漏報)
-- open: message
-- open evidence: town_code
-- Expected: units_current.reports_daily = 1, every day of the reporting period inside
-- opened_on .. closed_on (view expected_reports). A current report of any content, an explicit
-- zero report included, counts as sent; aliases and name variants resolve before this.
-- Whom to call: the evidence names the leader the unit's roster has on duty that day and the
-- roster's phone (roster_unit_days; null when the unit has no roster for the day).
SELECT e.unit_code,
       e.report_date AS date,
       NULL AS subject_key,
       u.display_name || ' ' || e.report_date || ' 未報送日報（漏報；沒有疫情也須報零報告） / '
           || u.display_name || ' sent no report for ' || e.report_date || ' (a zero report is still due)' AS message,
       json_object('town_code', u.parent_code, 'duty_leader', d.leaders, 'duty_phone', d.phone) AS evidence
FROM report_exceptions e
JOIN units_in_force u USING (unit_code)
LEFT JOIN roster_unit_days d ON d.unit_code = e.unit_code AND d.date = e.report_date
WHERE e.reported = 0
