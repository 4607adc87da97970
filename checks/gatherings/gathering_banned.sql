-- check: gathering_banned
-- label: 禁辦期間舉辦宴席
-- severity: error
-- meaning: a private banquet (types in [gatherings] banquet_types) held inside a period the settings ban them ([[gatherings.banquet_ban]])
-- subject: name
-- open evidence: event_type, event_date, ban_start, ban_end, file_id, row
-- evidence row: gathering_events
-- Both ends of a ban period are inside it; no period is set by default, so nothing is banned
-- until the settings say so. One finding per event, naming the first period it falls in.
WITH bans AS (
    SELECT json_extract(value, '$.start') AS start, json_extract(value, '$.end') AS "end"
    FROM json_each(COALESCE((SELECT value FROM workbench_settings WHERE key = 'gatherings_banquet_bans'), '[]'))
),
banned AS (
    SELECT g.*, (SELECT min(b.start) FROM bans b WHERE g.event_date BETWEEN b.start AND b."end") AS ban_start
    FROM gatherings_current g
    WHERE g.banquet = 1
),
found AS (
    SELECT x.*, (SELECT min(b."end") FROM bans b WHERE b.start = x.ban_start AND x.event_date <= b."end") AS ban_end
    FROM banned x
    WHERE x.ban_start IS NOT NULL
)
SELECT f.unit_code,
       f.event_date AS date,
       f.organiser AS subject_key,
       COALESCE(u.display_name, f.unit_raw, '（未寫單位）') || ' ' || f.event_date || ' ' || COALESCE(f.organiser, '')
           || '舉辦的' || COALESCE(f.event_type_raw, f.event_type) || '（' || f.event_type || '）'
           || '在禁止個人自辦宴席期間（' || f.ban_start || ' 至 ' || f.ban_end || '，設定 [[gatherings.banquet_ban]]）'
           || ' / ' || COALESCE(f.organiser || '''s ', '') || f.event_type || ' banquet at '
           || COALESCE(u.display_name, f.unit_raw, 'no unit') || ' on ' || f.event_date
           || ' falls in a period when private banquets are banned (' || f.ban_start || ' to ' || f.ban_end
           || ', [[gatherings.banquet_ban]])' AS message,
       json_object('event_type', f.event_type, 'event_date', f.event_date, 'ban_start', f.ban_start,
                   'ban_end', f.ban_end, 'organiser', f.organiser, 'file_id', f.file_id, 'sheet', f.sheet,
                   'row', f.row_number) AS evidence
FROM found f
LEFT JOIN units_in_force u ON u.unit_code = f.unit_code
