-- check: double_booked
-- label: 同一人同時排兩個班
-- severity: warning
-- meaning: one person rostered on two shifts whose hours overlap, at one unit or two (one finding per pair)
-- subject: name
-- open evidence: shift, starts_at, ends_at, file_id, row
-- evidence row: duty_shifts
-- Overlap from starts_at / ends_at of the roster in force (duty_shifts_current); people are told
-- apart by their normalised name (person_key). Not a double booking: the same shift of the same
-- unit and day listed twice, and a leader's whole-day duty beside a shift at the same unit.
-- The finding is dated by the earlier shift; the evidence names both roster rows.
WITH s AS (
    SELECT *, COALESCE(unit_code, '?' || COALESCE(unit_raw, '')) AS unit_key
    FROM duty_shifts_current
    WHERE person_key IS NOT NULL
),
pairs AS (
    SELECT a.person, a.person_key, a.unit_code, a.unit_raw, a.date, a.shift, a.starts_at, a.ends_at,
           a.file_id, a.sheet, a.row_number,
           b.unit_code AS b_unit_code, b.unit_raw AS b_unit_raw, b.date AS b_date, b.shift AS b_shift,
           b.starts_at AS b_starts_at, b.ends_at AS b_ends_at, b.file_id AS b_file_id, b.sheet AS b_sheet,
           b.row_number AS b_row_number
    FROM s a
    JOIN s b ON b.person_key = a.person_key
            AND (a.starts_at < b.starts_at OR (a.starts_at = b.starts_at AND a.shift_id < b.shift_id))
            AND b.starts_at < a.ends_at
    WHERE NOT (a.unit_key = b.unit_key AND a.date = b.date AND a.shift = b.shift)
      AND NOT (a.unit_key = b.unit_key AND 'leader' IN (a.shift, b.shift))
)
SELECT p.unit_code,
       p.date,
       p.person AS subject_key,
       p.person || ' 排了時間重疊的兩個班：'
           || COALESCE(ua.name, p.unit_raw, '?') || ' ' || CASE p.shift WHEN 'day' THEN '白班' WHEN 'night' THEN '夜班' WHEN 'leader' THEN '帶班' ELSE p.shift END || ' '
           || replace(substr(p.starts_at, 1, 16), 'T', ' ') || ' 至 ' || replace(substr(p.ends_at, 1, 16), 'T', ' ')
           || ' 和 ' || COALESCE(ub.name, p.b_unit_raw, '?') || ' ' || CASE p.b_shift WHEN 'day' THEN '白班' WHEN 'night' THEN '夜班' WHEN 'leader' THEN '帶班' ELSE p.b_shift END || ' '
           || replace(substr(p.b_starts_at, 1, 16), 'T', ' ') || ' 至 ' || replace(substr(p.b_ends_at, 1, 16), 'T', ' ')
           || '（重複排班） / '
           || p.person || ' is rostered on overlapping shifts: '
           || COALESCE(ua.name, p.unit_raw, '?') || ' ' || p.shift || ' ' || replace(substr(p.starts_at, 1, 16), 'T', ' ')
           || ' to ' || replace(substr(p.ends_at, 1, 16), 'T', ' ') || ' and '
           || COALESCE(ub.name, p.b_unit_raw, '?') || ' ' || p.b_shift || ' ' || replace(substr(p.b_starts_at, 1, 16), 'T', ' ')
           || ' to ' || replace(substr(p.b_ends_at, 1, 16), 'T', ' ') AS message,
       json_object('person', p.person, 'shift', p.shift, 'starts_at', p.starts_at, 'ends_at', p.ends_at,
                   'file_id', p.file_id, 'sheet', p.sheet, 'row', p.row_number,
                   'other', json_object('unit_code', p.b_unit_code, 'unit_raw', p.b_unit_raw, 'date', p.b_date,
                                        'shift', p.b_shift, 'starts_at', p.b_starts_at, 'ends_at', p.b_ends_at,
                                        'file_id', p.b_file_id, 'sheet', p.b_sheet, 'row', p.b_row_number))
           AS evidence
FROM pairs p
LEFT JOIN units_current ua ON ua.unit_code = p.unit_code
LEFT JOIN units_current ub ON ub.unit_code = p.b_unit_code
