-- check: gathering_attendee_under_management
-- label: 健康管理期內的返鄉人員參加聚集性活動
-- severity: error
-- meaning: an attendee of a gathering was a returnee inside their days of health management (from the arrival date to the end of monitoring)
-- subject: name
-- open evidence: gathering_id, matched_by, file_id, row
-- evidence row: gathering_attendees
-- Each attendee row matched to its event (gathering_attendance, status matched) beside the
-- returnees in force (returnees_current) who are the same person: by identity number when both
-- have one, else by phone when both have one, else by name within the unit. The event's date lies
-- inside the returnee's management: from the arrival date to the end of monitoring (arrival +
-- [returnees] monitoring_days, both included), and before the day they left, if they left.
WITH same_person AS (
    SELECT a.attendee_id, r.returnee_id, 'id_number' AS matched_by
    FROM gathering_attendance a
    JOIN returnees_current r ON r.id_key = a.id_key
    WHERE a.status = 'matched' AND a.id_key IS NOT NULL
    UNION ALL
    SELECT a.attendee_id, r.returnee_id, 'phone'
    FROM gathering_attendance a
    JOIN returnees_current r ON r.phone_key = a.phone_key
    WHERE a.status = 'matched' AND a.phone_key IS NOT NULL AND (a.id_key IS NULL OR r.id_key IS NULL)
    UNION ALL
    SELECT a.attendee_id, r.returnee_id, 'name'
    FROM gathering_attendance a
    JOIN returnees_current r ON r.unit_code = a.unit_code AND r.name_key = a.name_key
    WHERE a.status = 'matched' AND (a.id_key IS NULL OR r.id_key IS NULL)
      AND (a.phone_key IS NULL OR r.phone_key IS NULL)
)
SELECT g.unit_code,
       g.event_date AS date,
       a.name AS subject_key,
       COALESCE(u.display_name, g.unit_raw, '') || ' ' || g.event_date || ' 的' || g.event_type_raw || '（組織人 '
           || COALESCE(g.organiser, '未寫') || '）參加人員 ' || a.name || ' 是 ' || r.arrival_date
           || ' 返鄉的人員，健康管理至 ' || r.monitoring_end || '，管理期內不得參加聚集性活動（按'
           || CASE p.matched_by WHEN 'id_number' THEN '身份證號' WHEN 'phone' THEN '電話' ELSE '同村姓名' END
           || '核對） / ' || a.name || ', at the ' || g.event_type_raw || ' of ' || COALESCE(g.organiser, 'no named organiser')
           || ' in ' || COALESCE(u.display_name, g.unit_raw, '') || ' on ' || g.event_date || ', returned on '
           || r.arrival_date || ' and was under health management until ' || r.monitoring_end
           || ' (matched by ' || CASE p.matched_by WHEN 'id_number' THEN 'identity number' ELSE p.matched_by END
           || ')' AS message,
       json_object('gathering_id', g.gathering_id, 'attendee_id', a.attendee_id, 'returnee_id', r.returnee_id,
                   'matched_by', p.matched_by, 'arrival_date', r.arrival_date, 'monitoring_end', r.monitoring_end,
                   'file_id', a.file_id, 'sheet', a.sheet, 'row', a.row_number,
                   'register', json_object('file_id', r.file_id, 'sheet', r.sheet, 'row', r.row_number)) AS evidence
FROM same_person p
JOIN gathering_attendance a ON a.attendee_id = p.attendee_id
JOIN gatherings_current g ON g.gathering_id = a.gathering_id
JOIN returnees_current r ON r.returnee_id = p.returnee_id
LEFT JOIN units_in_force u ON u.unit_code = g.unit_code
WHERE g.event_date >= r.arrival_date AND g.event_date <= r.monitoring_end
  AND (r.departed_on IS NULL OR g.event_date < r.departed_on)
