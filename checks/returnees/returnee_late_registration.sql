-- check: returnee_late_registration
-- label: 返鄉人員未及時登記
-- severity: warning
-- meaning: a returnee registered more than [returnees] registration_hours (12) after arriving
-- subject: name
-- open evidence: file_id, row, judged_by
-- evidence row: returnees
-- Register rows in force of resolved units with a registration time. With both times written:
-- registered later than registration_hours after the arrival time. With a date only on either
-- side: registered more days after the arrival date than registration_hours in whole days,
-- rounded up (12 hours: the same or the next day). A blank 登記時間 is no finding (the row is
-- itself the registration; when is unknown). The message says which was used.
WITH s AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_registration_hours'), 12)
                AS INTEGER) AS hours
),
judged AS (
    SELECT c.*, s.hours,
           CASE WHEN length(c.registered_at) > 10 AND length(c.arrived_at) > 10 THEN 'time' ELSE 'date' END
               AS judged_by
    FROM returnees_current c
    CROSS JOIN s
    WHERE c.unit_code IS NOT NULL AND c.registered_at IS NOT NULL
)
SELECT j.unit_code,
       j.registration_date AS date,
       j.name AS subject_key,
       u.display_name || ' ' || COALESCE(j.name, '') || ' ' || j.arrived_at || ' 返鄉，' || j.registered_at || ' 才登記，'
           || CASE j.judged_by WHEN 'time' THEN '超過 ' || j.hours || ' 小時（按時間判斷）'
                  ELSE '晚於返鄉後 ' || ((j.hours + 23) / 24) || ' 天（只有日期，按日期判斷：應在當天或次日登記）' END
           || ' / ' || COALESCE(j.name, '') || ' of ' || u.display_name || ' arrived ' || j.arrived_at
           || ' and was registered only at ' || j.registered_at || ', '
           || CASE j.judged_by WHEN 'time' THEN 'more than ' || j.hours || ' hours later (judged by time)'
                  ELSE 'more than ' || ((j.hours + 23) / 24)
                       || ' day(s) after the arrival date: dates only, judged by date' END AS message,
       json_object('file_id', j.file_id, 'sheet', j.sheet, 'row', j.row_number, 'arrived_at', j.arrived_at,
                   'registered_at', j.registered_at, 'judged_by', j.judged_by) AS evidence
FROM judged j
JOIN units_in_force u ON u.unit_code = j.unit_code
WHERE (j.judged_by = 'time' AND j.registered_at > {{ add_hours("j.arrived_at", "j.hours") }})
   OR (j.judged_by = 'date'
       AND {{ days_between("j.arrival_date", "substr(j.registered_at, 1, 10)") }} > (j.hours + 23) / 24)
