-- check: report_leader_off_roster
-- label: 日報的帶班領導不在值班表上
-- severity: warning
-- meaning: the 帶班領導 a daily report names is not a leader the roster has for that unit and day
-- subject: name
-- open evidence: file_id, row
-- evidence row: daily_reports
-- Reports in force on days their unit's roster covers (report_duty_leaders); names compared
-- after normalisation (NFKC, no spaces, simplified, no bracketed remark). On a day whose roster
-- names no leader, a report naming one names a leader the roster does not have: this finding,
-- beside no_leader's. Evidence: the report's row and the roster's leader row, if any.
WITH leader_rows AS (
    SELECT unit_code, date, file_id, sheet, row_number,
           ROW_NUMBER() OVER (PARTITION BY unit_code, date ORDER BY file_id, sheet, row_number) AS n
    FROM duty_shifts_current
    WHERE shift = 'leader' AND person_key IS NOT NULL AND unit_code IS NOT NULL
)
SELECT l.unit_code,
       l.report_date AS date,
       l.duty_leader AS subject_key,
       u.display_name || ' ' || l.report_date || ' 的日報寫的帶班領導是 ' || l.duty_leader || '，值班表上'
           || COALESCE('是 ' || l.rostered_leaders, '當日沒有帶班領導') || ' / ' || u.display_name || '''s report for '
           || l.report_date || ' names ' || l.duty_leader || ' as the leader on duty; the roster has '
           || COALESCE(l.rostered_leaders, 'no leader that day') AS message,
       json_object('duty_leader', l.duty_leader, 'rostered_leaders', l.rostered_leaders,
                   'file_id', l.file_id, 'sheet', l.sheet, 'row', l.row_number,
                   'roster', json_object('file_id', r.file_id, 'sheet', r.sheet, 'row', r.row_number)) AS evidence
FROM report_duty_leaders l
JOIN units_in_force u ON u.unit_code = l.unit_code
LEFT JOIN leader_rows r ON r.unit_code = l.unit_code AND r.date = l.report_date AND r.n = 1
WHERE l.on_roster = 0
