-- check: gathering_unapproved
-- label: 活動未經審批
-- severity: error
-- meaning: an event other than a wedding or funeral (types outside [gatherings] approval_exempt_types) held without the town's approval (no approval date and no approving body)
-- subject: name
-- open evidence: event_type, event_date, reported_on, file_id, row
-- evidence row: gathering_events
-- Family gatherings need no approval. An approving body written as 無, 未審批, -, / is none.
-- An approval written late, or without its date, is gathering_not_in_advance's.
SELECT g.unit_code,
       g.event_date AS date,
       g.organiser AS subject_key,
       COALESCE(u.display_name, g.unit_raw, '（未寫單位）') || ' ' || g.event_date || ' ' || COALESCE(g.organiser, '')
           || '舉辦的' || COALESCE(g.event_type_raw, g.event_type) || '（' || g.event_type || '）'
           || '沒有鄉鎮審批（審批日期和審批單位都是空的）'
           || COALESCE('，只在 ' || g.reported_on || ' 向村（居）委會報備', '')
           || ' / ' || COALESCE(g.organiser || '''s ', '') || g.event_type || ' event at '
           || COALESCE(u.display_name, g.unit_raw, 'no unit') || ' on ' || g.event_date
           || ' was held without the town''s approval (no approval date, no approving body)'
           || COALESCE('; only reported to the village on ' || g.reported_on, '') AS message,
       json_object('event_type', g.event_type, 'event_date', g.event_date, 'reported_on', g.reported_on,
                   'organiser', g.organiser, 'file_id', g.file_id, 'sheet', g.sheet, 'row', g.row_number) AS evidence
FROM gatherings_current g
LEFT JOIN units_in_force u ON u.unit_code = g.unit_code
WHERE g.needs_approval = 1 AND g.approved_on IS NULL AND g.approved_by IS NULL
