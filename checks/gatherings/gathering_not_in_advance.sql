-- check: gathering_not_in_advance
-- label: 活動未提前報備或審批
-- severity: warning
-- meaning: an event reported (weddings, funerals) or approved (other events) on or after its date, or a wedding or funeral never reported
-- subject: name
-- open evidence: event_type, needs_approval, event_date, reported_on, approved_on, file_id, row
-- evidence row: gathering_events
-- 提前 is before the day: a notice on the day of the event, or after it, is not in advance.
-- Events reported to the village (types in [gatherings] approval_exempt_types, default 婚, 喪):
-- the earlier of the report date and an approval date, if any; none at all is a finding. Events
-- needing the town's approval: the approval date; an approving body written without a date
-- cannot show it came in advance (a finding); no approval at all is gathering_unapproved's.
-- Family gatherings are neither reported nor approved: never a finding here.
WITH dated AS (
    SELECT g.*,
           CASE WHEN g.needs_approval = 1 THEN g.approved_on
                WHEN g.reported_on IS NULL THEN g.approved_on
                WHEN g.approved_on IS NULL OR g.reported_on <= g.approved_on THEN g.reported_on
                ELSE g.approved_on END AS notice_on,
           CASE WHEN g.needs_approval = 1 THEN 'approved_on'
                WHEN g.reported_on IS NULL AND g.approved_on IS NULL THEN NULL
                WHEN g.reported_on IS NULL OR (g.approved_on IS NOT NULL AND g.approved_on < g.reported_on) THEN 'approved_on'
                ELSE 'reported_on' END AS notice_by
    FROM gatherings_current g
    WHERE g.family = 0
),
late AS (
    SELECT d.* FROM dated d
    WHERE (d.needs_approval = 0 AND (d.notice_on IS NULL OR d.notice_on >= d.event_date))
       OR (d.needs_approval = 1 AND d.approved_on IS NOT NULL AND d.approved_on >= d.event_date)
       OR (d.needs_approval = 1 AND d.approved_on IS NULL AND d.approved_by IS NOT NULL)
)
SELECT l.unit_code,
       l.event_date AS date,
       l.organiser AS subject_key,
       COALESCE(u.display_name, l.unit_raw, '（未寫單位）') || ' ' || l.event_date || ' ' || COALESCE(l.organiser, '')
           || '舉辦的' || COALESCE(l.event_type_raw, l.event_type) || '（' || l.event_type || '）'
           || CASE WHEN l.notice_on IS NULL AND l.needs_approval = 0 THEN '沒有報備（報備日期為空）'
                   WHEN l.notice_on IS NULL THEN '審批單位寫了' || l.approved_by || '，但沒有審批日期，無法說明是提前審批的'
                   WHEN l.notice_on = l.event_date
                       THEN CASE l.notice_by WHEN 'reported_on' THEN '報備' ELSE '審批' END || '日期 ' || l.notice_on
                            || ' 是舉辦當天，不是提前'
                   ELSE CASE l.notice_by WHEN 'reported_on' THEN '報備' ELSE '審批' END || '日期 ' || l.notice_on
                        || ' 在舉辦日期之後 ' || {{ days_between("l.event_date", "l.notice_on") }} || ' 天' END
           || CASE WHEN l.needs_approval = 1 THEN '（應提前報鄉鎮審批）' ELSE '（應提前向村（居）委會報備）' END
           || ' / ' || COALESCE(l.organiser || '''s ', '') || l.event_type || ' event at '
           || COALESCE(u.display_name, l.unit_raw, 'no unit') || ' on ' || l.event_date || ': '
           || CASE WHEN l.notice_on IS NULL AND l.needs_approval = 0 THEN 'never reported (no report date)'
                   WHEN l.notice_on IS NULL THEN 'an approving body is written but no approval date: not shown to be in advance'
                   WHEN l.notice_on = l.event_date
                       THEN CASE l.notice_by WHEN 'reported_on' THEN 'reported' ELSE 'approved' END
                            || ' on the day itself, not in advance'
                   ELSE CASE l.notice_by WHEN 'reported_on' THEN 'reported' ELSE 'approved' END || ' on ' || l.notice_on
                        || ', ' || {{ days_between("l.event_date", "l.notice_on") }} || ' day(s) after it' END
           || CASE WHEN l.needs_approval = 1 THEN ' (the town must approve it in advance)'
                   ELSE ' (it must be reported to the village in advance)' END AS message,
       json_object('event_type', l.event_type, 'needs_approval', l.needs_approval, 'event_date', l.event_date,
                   'reported_on', l.reported_on, 'approved_on', l.approved_on, 'approved_by', l.approved_by,
                   'organiser', l.organiser, 'file_id', l.file_id, 'sheet', l.sheet, 'row', l.row_number) AS evidence
FROM late l
LEFT JOIN units_in_force u ON u.unit_code = l.unit_code
