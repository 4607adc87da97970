-- Each attendee row beside the event in force it names (gathering_attendance). An attendee list
-- names its event by the event number the register gives it (活動編號; when the row also names
-- a unit that resolves, the event must be of that unit), else by the unit, the event date and
-- the organiser (name compared in its normalised form). One event: matched; none or several:
-- unmatched or ambiguous, with the reason. The person's keys (identity number, phone, name) are
-- carried beside the event's unit and date, for joining attendees to other registers.
DELETE FROM gathering_attendance;

INSERT INTO gathering_attendance (attendee_id, gathering_id, status, matched_by, reason, unit_code, event_date,
                                  name, name_key, id_key, phone_key, file_id, sheet, row_number)
WITH a AS (
    SELECT t.*, r.unit_code,
           CASE WHEN t.event_no IS NOT NULL THEN 'event_no' ELSE 'unit_date_organiser' END AS named_by
    FROM gathering_attendees t
    LEFT JOIN unit_resolutions r ON r.name_id = t.name_id
),
candidates AS (
    SELECT a.attendee_id, g.gathering_id, g.unit_code, g.event_date
    FROM a
    JOIN gatherings_current g
      ON a.named_by = 'event_no' AND upper(trim(g.event_no)) = upper(trim(a.event_no))
         AND (a.unit_code IS NULL OR g.unit_code IS NULL OR g.unit_code = a.unit_code)
    UNION ALL
    SELECT a.attendee_id, g.gathering_id, g.unit_code, g.event_date
    FROM a
    JOIN gatherings_current g
      ON a.named_by = 'unit_date_organiser' AND g.event_date = a.event_date AND g.organiser_key = a.organiser_key
         AND (g.unit_code = a.unit_code
              OR (g.unit_code IS NULL AND a.unit_code IS NULL AND g.unit_group = '?' || COALESCE(a.unit_key, a.unit_code_raw, '')))
),
counted AS (
    SELECT attendee_id, count(*) AS n, min(gathering_id) AS gathering_id, min(unit_code) AS unit_code,
           min(event_date) AS event_date
    FROM candidates
    GROUP BY attendee_id
)
SELECT a.attendee_id,
       CASE WHEN c.n = 1 THEN c.gathering_id END,
       CASE WHEN c.n = 1 THEN 'matched' WHEN c.n > 1 THEN 'ambiguous' ELSE 'unmatched' END,
       a.named_by,
       CASE WHEN c.n > 1 THEN
                CASE WHEN a.named_by = 'event_no'
                     THEN '活動編號 ' || a.event_no || ' 在登記表中對應 ' || c.n || ' 個活動 / the event number '
                          || a.event_no || ' fits ' || c.n || ' events of the register'
                     ELSE '單位、舉辦日期 ' || a.event_date || ' 和組織人在登記表中對應 ' || c.n || ' 個活動 / the unit, '
                          || 'the date ' || a.event_date || ' and the organiser fit ' || c.n || ' events of the register' END
            WHEN c.n IS NULL THEN
                CASE WHEN a.named_by = 'event_no'
                     THEN '登記表中沒有活動編號 ' || a.event_no || ' / no event numbered ' || a.event_no
                          || ' in the register'
                     ELSE '登記表中沒有這個單位 ' || a.event_date || ' 由該組織人舉辦的活動 / no event of this unit on '
                          || a.event_date || ' by this organiser in the register' END
       END,
       COALESCE(CASE WHEN c.n = 1 THEN c.unit_code END, a.unit_code),
       COALESCE(CASE WHEN c.n = 1 THEN c.event_date END, a.event_date),
       a.name, a.name_key, a.id_key, a.phone_key, a.file_id, a.sheet, a.row_number
FROM a
LEFT JOIN counted c ON c.attendee_id = a.attendee_id;
