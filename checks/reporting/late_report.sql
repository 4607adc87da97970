-- check: late_report
-- label: 遲報：超過截止時間報送
-- severity: warning
-- meaning: the report in force was sent after the deadline (遲報; default D+1 09:00)
-- open: message
-- open evidence: submitted_at, deadline, file_id, row
-- evidence row: daily_reports
-- Only a known submitted_at counts: a report without one is never called late.
SELECT t.unit_code,
       t.report_date AS date,
       NULL AS subject_key,
       u.display_name || ' ' || t.report_date || ' 的日報於 ' || t.submitted_at || ' 報送，晚於截止時間 '
           || t.deadline || '（遲報） / ' || u.display_name || ' sent the report for ' || t.report_date || ' at '
           || t.submitted_at || ', after the deadline ' || t.deadline AS message,
       json_object('submitted_at', t.submitted_at, 'deadline', t.deadline,
                   'file_id', t.file_id, 'sheet', t.sheet, 'row', t.row_number) AS evidence
FROM report_timeliness t
JOIN units_in_force u USING (unit_code)
WHERE t.late = 1
