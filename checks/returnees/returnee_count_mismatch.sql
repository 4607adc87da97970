-- check: returnee_count_mismatch
-- label: 日報返鄉人員登記數與登記表不符
-- severity: warning
-- meaning: a unit-day's 返鄉人員登記 on the daily report differs from the registrations in the returnee register that day
-- open: message
-- open evidence: file_id, row, reported, registered, register_from, register_to
-- evidence row: daily_reports
-- Unit-days inside a unit's register span (its first to its last registration day in
-- returnees_current) whose report in force gives 返鄉人員登記 (not blank): the count against the
-- register rows in force registered that day (the registration time's date, else the arrival
-- date). Evidence: the report's row.
-- The report in force of each day of a span is looked up by current_reports' key (the day and the
-- unit), one day at a time: the rows daily_reports_current gives, without reading every unit's
-- reports of the span's days for each unit that keeps a register.
WITH RECURSIVE registered AS (
    SELECT unit_code, registration_date AS day, count(*) AS n
    FROM returnees_current
    WHERE unit_code IS NOT NULL
    GROUP BY unit_code, registration_date
),
spans AS (
    SELECT r.unit_code, u.display_name AS name, min(r.registration_date) AS register_from, max(r.registration_date) AS register_to
    FROM returnees_current r
    JOIN units_in_force u ON u.unit_code = r.unit_code
    GROUP BY r.unit_code, u.display_name
),
days(unit_code, day, register_to) AS (
    SELECT unit_code, register_from, register_to FROM spans
    UNION ALL
    SELECT unit_code, {{ add_days("day", 1) }}, register_to
    FROM days
    WHERE day < register_to
),
reports AS (
    SELECT k.unit_code, r.report_date, r.returnees_registered, r.file_id, r.sheet, r.row_number
    FROM days k
    JOIN current_reports c ON c.report_date = k.day AND c.unit_group = k.unit_code
    JOIN daily_reports_resolved r ON r.report_id = c.report_id AND r.report_date = c.report_date
    WHERE r.unit_code = k.unit_code
)
SELECT d.unit_code,
       d.report_date AS date,
       NULL AS subject_key,
       s.name || ' ' || d.report_date || ' 的日報寫返鄉人員登記 ' || d.returnees_registered || ' 人，登記表上當天登記 '
           || COALESCE(g.n, 0) || ' 人 / ' || s.name || '''s report for ' || d.report_date || ' gives '
           || d.returnees_registered || ' returnees registered; the register has ' || COALESCE(g.n, 0)
           || ' registered that day' AS message,
       json_object('file_id', d.file_id, 'sheet', d.sheet, 'row', d.row_number, 'reported', d.returnees_registered,
                   'registered', COALESCE(g.n, 0), 'register_from', s.register_from,
                   'register_to', s.register_to) AS evidence
FROM spans s
JOIN reports d ON d.unit_code = s.unit_code
LEFT JOIN registered g ON g.unit_code = d.unit_code AND g.day = d.report_date
WHERE d.returnees_registered IS NOT NULL AND d.returnees_registered <> COALESCE(g.n, 0)
