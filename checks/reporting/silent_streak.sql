-- check: silent_streak
-- label: 連續多日未報
-- severity: warning
-- meaning: a unit silent on 3 or more consecutive expected days (one finding per streak)
-- subject: open
-- open: message
-- open evidence: first_day, last_day, days
-- Consecutive in the unit's expected calendar; date is the streak's first day, subject_key
-- 'first..last'. Each missing day is also its own missing_report.
WITH silent AS (
    -- islands of consecutive silent days: a unit's expected days are one unbroken run of the
    -- calendar, so silent days that are consecutive have day_number - row number in common
    SELECT s.unit_code, s.report_date,
           k.day_number - ROW_NUMBER() OVER (PARTITION BY s.unit_code ORDER BY s.report_date) AS streak
    FROM report_exceptions s
    JOIN calendar_days k ON k.day = s.report_date
    WHERE s.reported = 0
),
streaks AS (
    SELECT unit_code, min(report_date) AS first_day, max(report_date) AS last_day, count(*) AS days
    FROM silent
    GROUP BY unit_code, streak
)
SELECT s.unit_code,
       s.first_day AS date,
       s.first_day || '..' || s.last_day AS subject_key,
       u.display_name || ' 連續 ' || s.days || ' 個應報日未報送：' || s.first_day || ' 至 ' || s.last_day
           || '（連續未報） / ' || u.display_name || ' sent nothing on ' || s.days || ' consecutive expected days, '
           || s.first_day || ' to ' || s.last_day AS message,
       json_object('first_day', s.first_day, 'last_day', s.last_day, 'days', s.days) AS evidence
FROM streaks s
JOIN units_in_force u USING (unit_code)
JOIN reporting_period p ON s.days >= p.silent_streak_min_days
