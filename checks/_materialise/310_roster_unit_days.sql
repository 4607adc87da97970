-- Roster coverage per unit-day (roster_unit_days): every day from the first to the last date a
-- unit's roster in force names, on which the unit is open (units_current opened_on .. closed_on),
-- with the people on each shift, the leaders, a phone to call, and the day's first roster row.
DELETE FROM roster_unit_days;

INSERT INTO roster_unit_days (unit_code, date, roster_from, roster_to, day_count, night_count, leader_count,
                              day_staff, night_staff, leaders, phone, file_id, sheet, row_number)
WITH RECURSIVE spans AS (
    SELECT unit_code, min(date) AS first_day, max(date) AS last_day
    FROM duty_shifts_current
    WHERE unit_code IS NOT NULL
    GROUP BY unit_code
),
days(unit_code, date) AS (
    SELECT unit_code, first_day FROM spans
    UNION ALL
    SELECT d.unit_code, {{ add_days("d.date", 1) }}
    FROM days d JOIN spans s ON s.unit_code = d.unit_code
    WHERE d.date < s.last_day
),
people AS (                          -- each person once per unit, day and shift, in roster order
    SELECT unit_code, date, shift, person_key, min(person) AS person, min(shift_id) AS first_id
    FROM duty_shifts_current
    WHERE unit_code IS NOT NULL AND person_key IS NOT NULL
    GROUP BY unit_code, date, shift, person_key
),
named AS (
    SELECT unit_code, date,
           count(CASE WHEN shift = 'day' THEN 1 END) AS day_count,
           count(CASE WHEN shift = 'night' THEN 1 END) AS night_count,
           count(CASE WHEN shift = 'leader' THEN 1 END) AS leader_count,
           group_concat(CASE WHEN shift = 'day' THEN person END, '、') AS day_staff,
           group_concat(CASE WHEN shift = 'night' THEN person END, '、') AS night_staff,
           group_concat(CASE WHEN shift = 'leader' THEN person END, '、') AS leaders
    FROM (SELECT * FROM people ORDER BY unit_code, date, first_id)
    GROUP BY unit_code, date
),
phones AS (                          -- a leader's phone first, else any phone written that day
    SELECT unit_code, date, phone,
           ROW_NUMBER() OVER (PARTITION BY unit_code, date
                              ORDER BY shift <> 'leader', person_key IS NULL, shift_id) AS n
    FROM duty_shifts_current
    WHERE unit_code IS NOT NULL AND phone IS NOT NULL
),
first_rows AS (
    SELECT unit_code, date, file_id, sheet, row_number,
           ROW_NUMBER() OVER (PARTITION BY unit_code, date ORDER BY file_id, sheet, row_number) AS n
    FROM duty_shifts_current
    WHERE unit_code IS NOT NULL
)
SELECT d.unit_code, d.date, s.first_day, s.last_day,
       COALESCE(p.day_count, 0), COALESCE(p.night_count, 0), COALESCE(p.leader_count, 0),
       p.day_staff, p.night_staff, p.leaders, ph.phone, f.file_id, f.sheet, f.row_number
FROM days d
JOIN spans s ON s.unit_code = d.unit_code
JOIN units_current u ON u.unit_code = d.unit_code
LEFT JOIN named p ON p.unit_code = d.unit_code AND p.date = d.date
LEFT JOIN phones ph ON ph.unit_code = d.unit_code AND ph.date = d.date AND ph.n = 1
LEFT JOIN first_rows f ON f.unit_code = d.unit_code AND f.date = d.date AND f.n = 1
WHERE d.date >= COALESCE(u.opened_on, d.date) AND d.date <= COALESCE(u.closed_on, d.date);
