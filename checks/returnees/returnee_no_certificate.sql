-- check: returnee_no_certificate
-- label: 返鄉人員無核酸陰性證明且未及時檢測
-- severity: warning
-- meaning: no negative certificate from the [returnees] certificate_days (7) before arrival, and no test within first_test_hours (24) of registering
-- subject: name
-- open evidence: file_id, row, cert_date, judged_by
-- evidence row: returnees
-- Register rows in force of resolved units whose certificate is missing, dated more than
-- certificate_days before the arrival date, or dated after it (returnees_current.cert_valid = 0),
-- with no test of the person (returnee_test_results) from the arrival date until first_test_hours
-- after the registration (the registration time, else the arrival time): by time when both are
-- written, else by date (first_test_hours in whole days, rounded up: 24 hours = the same or the
-- next day). A register's 入戶核酸 cell with a result and no date counts as that test. When that
-- limit falls after the end of the reporting period, it is not due yet: no finding. A register
-- whose sheet has no certificate column is not judged: a form without the column has no blank.
WITH s AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_first_test_hours'), 24)
                AS INTEGER) AS hours,
           CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_certificate_days'), 7)
                AS INTEGER) AS certificate_days,
           COALESCE((SELECT end_date FROM reporting_period),
                    (SELECT max(test_day) FROM returnee_test_results),
                    (SELECT max(registration_date) FROM returnees_current)) AS period_end
),
judged AS (
    SELECT c.*, s.hours, s.certificate_days, s.period_end,
           COALESCE(c.registered_at, c.arrived_at) AS from_at,
           CASE WHEN length(COALESCE(c.registered_at, c.arrived_at)) > 10 THEN 'time' ELSE 'date' END AS judged_by,
           {{ add_days("c.registration_date", "(s.hours + 23) / 24") }} AS last_day
    FROM returnees_current c
    CROSS JOIN s
    JOIN source_sheets f ON f.file_id = c.file_id AND f.sheet = c.sheet
    WHERE c.unit_code IS NOT NULL AND c.cert_valid = 0
      AND json_extract(f.fields, '$.cert') IS NOT NULL      -- a form without the column says nothing of it
)
SELECT j.unit_code,
       j.registration_date AS date,
       j.name AS subject_key,
       u.display_name || ' ' || COALESCE(j.name, '') || ' ' || j.arrived_at || ' 返鄉，'
           || CASE WHEN j.has_cert = 0 THEN '沒有核酸陰性證明'
                   WHEN j.cert_date > j.arrival_date THEN '核酸證明日期 ' || j.cert_date || ' 在返鄉之後'
                   ELSE '核酸證明日期 ' || j.cert_date || ' 早於返鄉前 ' || j.certificate_days || ' 天' END
           || '，登記後 ' || j.hours || ' 小時內也沒有核酸檢測'
           || CASE j.judged_by WHEN 'time' THEN '（按時間判斷）' ELSE '（只有日期，按日期判斷：' || j.last_day || ' 前）' END
           || ' / ' || COALESCE(j.name, '') || ' of ' || u.display_name || ' arrived ' || j.arrived_at || ' '
           || CASE WHEN j.has_cert = 0 THEN 'without a negative certificate'
                   WHEN j.cert_date > j.arrival_date THEN 'with a certificate dated ' || j.cert_date || ', after arriving'
                   ELSE 'with a certificate dated ' || j.cert_date || ', more than ' || j.certificate_days
                        || ' days before arriving' END
           || ', and was not tested within ' || j.hours || ' hours of registering'
           || CASE j.judged_by WHEN 'time' THEN ' (judged by time)'
                  ELSE ' (dates only, judged by date: by ' || j.last_day || ')' END AS message,
       json_object('file_id', j.file_id, 'sheet', j.sheet, 'row', j.row_number, 'cert_date', j.cert_date,
                   'arrived_at', j.arrived_at, 'registered_at', j.registered_at, 'judged_by', j.judged_by) AS evidence
FROM judged j
JOIN units_in_force u ON u.unit_code = j.unit_code
WHERE j.last_day <= j.period_end
  AND NOT EXISTS (
      SELECT 1 FROM returnee_test_results r
      WHERE r.returnee_id = j.returnee_id
        AND ((r.test_day IS NULL AND r.planned = 'first')
             OR (r.test_day >= j.arrival_date
                 AND CASE WHEN j.judged_by = 'time' AND length(r.test_date) > 10
                          THEN r.test_date <= {{ add_hours("j.from_at", "j.hours") }}
                          ELSE r.test_day <= j.last_day END)))
