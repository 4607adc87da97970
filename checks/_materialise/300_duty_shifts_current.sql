-- The roster in force (duty_shifts_current): for each unit, date and shift, the rows of the
-- latest file that rosters it. A re-sent roster replaces the shifts it names and only those, so a
-- separate leaders' schedule and a staff roster for the same unit both stay in force.
DELETE FROM duty_shifts_current;

INSERT INTO duty_shifts_current (shift_id, unit_code, unit_raw, date, shift, person, person_key, post, phone,
                                 starts_at, ends_at, file_id, sheet, row_number)
SELECT shift_id, unit_code, unit_raw, date, shift, person, person_key, post, phone, starts_at, ends_at,
       file_id, sheet, row_number
FROM (
    SELECT s.*,
           max(s.file_id) OVER (PARTITION BY COALESCE(s.unit_code, '?' || COALESCE(s.unit_code_raw, '') || '|'
                                                      || COALESCE(s.unit_raw, '')), s.date, s.shift) AS latest
    FROM duty_shifts_resolved s
)
WHERE file_id = latest;
