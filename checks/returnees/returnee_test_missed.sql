-- check: returnee_test_missed
-- label: 返鄉人員核酸檢測漏檢或遲檢
-- severity: warning
-- meaning: a test owed on day 7 or 14 (or the third for medium/high risk) is missing, or more than [returnees] test_late_tolerance_days (1) late, before monitoring ended or the person left
-- subject: name
-- open evidence: file_id, row, day_number, due_date, latest_date
-- evidence row: returnees
-- The tests owed (returnee_tests_owed, status missed): no test of the person within the
-- tolerance around the day, and the last day it would have counted is inside the reporting
-- period. A test taken later is named in the message. Evidence: the register row.
SELECT c.unit_code,
       o.due_date AS date,
       c.name AS subject_key,
       u.display_name || ' ' || COALESCE(c.name, '') || '（' || c.arrival_date || ' 返鄉）第 ' || o.day_number || ' 天（'
           || o.due_date || '）的核酸檢測'
           || CASE WHEN o.late_test_date IS NOT NULL
                   THEN '到 ' || o.latest_date || ' 還沒有做；下一次檢測在 ' || o.late_test_date || '，晚了超過容許天數'
                   ELSE '沒有記錄（最遲 ' || o.latest_date || '）' END
           || ' / ' || COALESCE(c.name, '') || ' of ' || u.display_name || ' (arrived ' || c.arrival_date || '): the day-'
           || o.day_number || ' test (' || o.due_date || ') '
           || CASE WHEN o.late_test_date IS NOT NULL
                   THEN 'was not taken by ' || o.latest_date || '; the next test is on ' || o.late_test_date
                        || ', later than allowed'
                   ELSE 'is not recorded (due by ' || o.latest_date || ')' END AS message,
       json_object('file_id', c.file_id, 'sheet', c.sheet, 'row', c.row_number, 'day_number', o.day_number,
                   'due_date', o.due_date, 'latest_date', o.latest_date, 'late_test_date', o.late_test_date,
                   'risk_level', c.risk_level) AS evidence
FROM returnee_tests_owed o
JOIN returnees_current c ON c.returnee_id = o.returnee_id
JOIN units_in_force u ON u.unit_code = c.unit_code
WHERE o.status = 'missed'
