-- check: gathering_over_limit
-- label: 聚集活動超人數
-- severity: error
-- row severity: warning
-- meaning: an event with more attendees than allowed: a family gathering above the advised 10 (warning), any event above 50 (error); the limits are settings
-- subject: name
-- open evidence: event_type, family, attendees, counted_by, limit, limit_setting, file_id, row
-- evidence row: gathering_events
-- One finding per event in force (gatherings_current). Attendees: the actual number, else the
-- expected one (the message says which). A family gathering (家庭聚餐, 家宴 ...) above
-- [gatherings] family_limit (default 10) is advised against: a warning; any event above
-- [gatherings] limit (default 50), a family one too, is an error. Exactly the limit is allowed.
WITH limits AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'gatherings_family_limit'), 10) AS INTEGER)
               AS family_limit,
           CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'gatherings_limit'), 50) AS INTEGER) AS lim
),
over AS (
    SELECT g.*,
           CASE WHEN g.attendees > l.lim THEN l.lim ELSE l.family_limit END AS lim,
           CASE WHEN g.attendees > l.lim THEN 'limit' ELSE 'family_limit' END AS limit_setting,
           CASE WHEN g.attendees > l.lim THEN 'error' ELSE 'warning' END AS severity
    FROM gatherings_current g
    JOIN limits l ON 1 = 1
    WHERE g.attendees > l.lim OR (g.family = 1 AND g.attendees > l.family_limit)
)
SELECT o.unit_code,
       o.event_date AS date,
       o.organiser AS subject_key,
       o.severity,
       COALESCE(u.display_name, o.unit_raw, '（未寫單位）') || ' ' || o.event_date || ' ' || COALESCE(o.organiser, '')
           || '舉辦的' || COALESCE(o.event_type_raw, o.event_type) || '（' || o.event_type || '）'
           || CASE o.counted_by WHEN 'actual' THEN '實際 ' ELSE '預計 ' END || o.attendees || ' 人，'
           || CASE WHEN o.limit_setting = 'family_limit'
                   THEN '超過家庭聚會建議的 ' || o.lim || ' 人以內（設定 [gatherings] family_limit）'
                   ELSE '超過 ' || o.lim || ' 人的上限（設定 [gatherings] limit）' END
           || ' / ' || COALESCE(o.organiser || '''s ', '') || o.event_type || ' event (' || COALESCE(o.event_type_raw, '')
           || ') at ' || COALESCE(u.display_name, o.unit_raw, 'no unit') || ' on ' || o.event_date || ': ' || o.attendees
           || CASE o.counted_by WHEN 'actual' THEN ' attendees (actual)' ELSE ' attendees (expected; no actual number)' END
           || CASE WHEN o.limit_setting = 'family_limit'
                   THEN ', above the ' || o.lim || ' advised for a family gathering ([gatherings] family_limit)'
                   ELSE ', above the limit of ' || o.lim || ' ([gatherings] limit)' END AS message,
       json_object('event_type', o.event_type, 'family', o.family, 'attendees', o.attendees,
                   'counted_by', o.counted_by, 'limit', o.lim, 'limit_setting', o.limit_setting,
                   'organiser', o.organiser, 'file_id', o.file_id, 'sheet', o.sheet, 'row', o.row_number) AS evidence
FROM over o
LEFT JOIN units_in_force u ON u.unit_code = o.unit_code
