-- check: returnee_late_notice
-- label: 返鄉人員未提前報備
-- severity: warning
-- meaning: a returnee notified the village less than [returnees] notice_hours (24) before arriving, or not at all
-- subject: name
-- open evidence: file_id, row, judged_by
-- evidence row: returnees
-- Register rows in force (returnees_current) of resolved units. With both times written: notified
-- later than notice_hours before the arrival time. With a date only on either side: notified
-- fewer days before the arrival date than notice_hours in whole days, rounded up (24 hours: on an
-- earlier day). Blank 報備時間: not notified; a sheet without that column is not judged (a form
-- without the column has no blank). The message says which was used.
WITH s AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_notice_hours'), 24)
                AS INTEGER) AS hours
),
judged AS (
    SELECT c.*, s.hours,
           CASE WHEN c.notified_at IS NULL THEN 'none'
                WHEN length(c.notified_at) > 10 AND length(c.arrived_at) > 10 THEN 'time'
                ELSE 'date' END AS judged_by
    FROM returnees_current c
    CROSS JOIN s
    JOIN source_sheets f ON f.file_id = c.file_id AND f.sheet = c.sheet
    WHERE c.unit_code IS NOT NULL
      AND (c.notified_at IS NOT NULL OR json_extract(f.fields, '$.notified_at') IS NOT NULL)
)
SELECT j.unit_code,
       j.arrival_date AS date,
       j.name AS subject_key,
       u.display_name || ' ' || COALESCE(j.name, '') || ' ' || j.arrived_at || ' 返鄉，'
           || CASE j.judged_by
                  WHEN 'none' THEN '沒有報備（報備時間空白）'
                  WHEN 'time' THEN j.notified_at || ' 才報備，不足返鄉前 ' || j.hours || ' 小時（按時間判斷）'
                  ELSE j.notified_at || ' 才報備，未在返鄉前 ' || ((j.hours + 23) / 24) || ' 天或更早報備（只有日期，按日期判斷）' END
           || ' / ' || COALESCE(j.name, '') || ' of ' || u.display_name || ' arrived ' || j.arrived_at || ' and '
           || CASE j.judged_by
                  WHEN 'none' THEN 'did not notify (報備時間 blank)'
                  WHEN 'time' THEN 'notified only at ' || j.notified_at || ', less than ' || j.hours
                                   || ' hours before (judged by time)'
                  ELSE 'notified only on ' || j.notified_at || ', not ' || ((j.hours + 23) / 24)
                       || ' day(s) or more before arriving (dates only, judged by date)' END AS message,
       json_object('file_id', j.file_id, 'sheet', j.sheet, 'row', j.row_number, 'notified_at', j.notified_at,
                   'arrived_at', j.arrived_at, 'judged_by', j.judged_by) AS evidence
FROM judged j
JOIN units_in_force u ON u.unit_code = j.unit_code
WHERE j.judged_by = 'none'
   OR (j.judged_by = 'time' AND j.notified_at > {{ add_hours("j.arrived_at", "-j.hours") }})
   OR (j.judged_by = 'date'
       AND {{ days_between("substr(j.notified_at, 1, 10)", "j.arrival_date") }} < (j.hours + 23) / 24)
