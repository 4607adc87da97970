-- What the roster in force supports (allowance_entitlement): per person, unit and month of the
-- duty date, the distinct day and night shifts rostered (a leader's whole-day duty is not a
-- shift of the allowance), at the rate in force ([allowance] rate_per_shift, default 200).
DELETE FROM allowance_entitlement;

INSERT INTO allowance_entitlement (person_key, person, unit_code, month, day_shifts, night_shifts, rate_per_shift,
                                   supported_amount)
WITH rate AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'allowance_rate_per_shift'), 200)
                AS REAL) AS rate
)
SELECT s.person_key, min(s.person), s.unit_code, substr(s.date, 1, 7),
       count(DISTINCT CASE WHEN s.shift = 'day' THEN s.date END),
       count(DISTINCT CASE WHEN s.shift = 'night' THEN s.date END),
       r.rate,
       (count(DISTINCT CASE WHEN s.shift = 'day' THEN s.date END)
        + count(DISTINCT CASE WHEN s.shift = 'night' THEN s.date END)) * r.rate
FROM duty_shifts_current s
JOIN rate r ON 1 = 1
WHERE s.person_key IS NOT NULL AND s.unit_code IS NOT NULL AND s.shift IN ('day', 'night')
GROUP BY s.person_key, s.unit_code, substr(s.date, 1, 7), r.rate;
