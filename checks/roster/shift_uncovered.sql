-- check: shift_uncovered
-- label: 班次無人值守
-- severity: error
-- meaning: a unit's day or night shift with nobody on the roster, on a day its roster covers (無人值守)
-- subject: open
-- open: message
-- open evidence: shift, file_id, row, roster_from, roster_to
-- evidence row: duty_shifts
-- Days: every day from the first to the last date the unit's roster in force names, while the unit
-- is open (roster_unit_days); units without a roster are not judged here. One finding per unit,
-- day and shift; subject_key is the shift. Evidence: the roster row that leaves the shift blank,
-- else the day's first roster row, else none (the roster has no row for that day).
WITH shifts(shift, label) AS (VALUES ('day', '白班'), ('night', '夜班')),
gaps AS (
    SELECT d.*, s.shift, s.label
    FROM roster_unit_days d
    JOIN shifts s ON (s.shift = 'day' AND d.day_count = 0) OR (s.shift = 'night' AND d.night_count = 0)
),
blank_rows AS (
    SELECT unit_code, date, shift, file_id, sheet, row_number,
           ROW_NUMBER() OVER (PARTITION BY unit_code, date, shift ORDER BY file_id, sheet, row_number) AS n
    FROM duty_shifts_current
    WHERE person_key IS NULL AND unit_code IS NOT NULL AND shift IN ('day', 'night')
)
SELECT g.unit_code,
       g.date,
       g.shift AS subject_key,
       u.display_name || ' ' || g.date || ' ' || g.label || '無人值守'
           || CASE WHEN g.file_id IS NULL THEN '：值班表沒有這一天' ELSE '' END || ' / '
           || u.display_name || ' has nobody on the ' || g.shift || ' shift of ' || g.date
           || CASE WHEN g.file_id IS NULL THEN ': the roster has no row for that day' ELSE '' END AS message,
       json_object('shift', g.shift,
                   'file_id', COALESCE(b.file_id, g.file_id), 'sheet', COALESCE(b.sheet, g.sheet),
                   'row', COALESCE(b.row_number, g.row_number),
                   'day_staff', g.day_staff, 'night_staff', g.night_staff, 'leaders', g.leaders,
                   'roster_from', g.roster_from, 'roster_to', g.roster_to) AS evidence
FROM gaps g
JOIN units_in_force u ON u.unit_code = g.unit_code
LEFT JOIN blank_rows b ON b.unit_code = g.unit_code AND b.date = g.date AND b.shift = g.shift AND b.n = 1
