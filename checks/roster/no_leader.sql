-- check: no_leader
-- label: 當日無帶班領導
-- severity: error
-- meaning: a day inside a unit's roster with no 帶班領導 (leader on duty) rostered
-- open: message
-- open evidence: file_id, row, roster_from, roster_to
-- evidence row: duty_shifts
-- Days: as for shift_uncovered (roster_unit_days: the unit's roster span, while it is open).
-- Evidence: the roster row whose leader cell is blank, else the day's first roster row, else
-- none (the roster has no row for that day).
WITH blank_rows AS (
    SELECT unit_code, date, file_id, sheet, row_number,
           ROW_NUMBER() OVER (PARTITION BY unit_code, date ORDER BY file_id, sheet, row_number) AS n
    FROM duty_shifts_current
    WHERE person_key IS NULL AND unit_code IS NOT NULL AND shift = 'leader'
)
SELECT d.unit_code,
       d.date,
       NULL AS subject_key,
       u.display_name || ' ' || d.date || ' 沒有帶班領導'
           || CASE WHEN d.file_id IS NULL THEN '：值班表沒有這一天' ELSE '' END || ' / '
           || u.display_name || ' has no leader on duty on ' || d.date
           || CASE WHEN d.file_id IS NULL THEN ': the roster has no row for that day' ELSE '' END AS message,
       json_object('file_id', COALESCE(b.file_id, d.file_id), 'sheet', COALESCE(b.sheet, d.sheet),
                   'row', COALESCE(b.row_number, d.row_number),
                   'day_staff', d.day_staff, 'night_staff', d.night_staff,
                   'roster_from', d.roster_from, 'roster_to', d.roster_to) AS evidence
FROM roster_unit_days d
JOIN units_in_force u ON u.unit_code = d.unit_code
LEFT JOIN blank_rows b ON b.unit_code = d.unit_code AND b.date = d.date AND b.n = 1
WHERE d.leader_count = 0
