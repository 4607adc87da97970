-- Every day of the reporting period, its ISO week and the deadline of its report: the day
-- deadline_days_after later, at deadline_time (the macro timestamp_at, db/macros/<engine>.sql).
DELETE FROM calendar_days;
INSERT INTO calendar_days (day, day_number, iso_week, deadline)
SELECT c.day, ROW_NUMBER() OVER (ORDER BY c.day) - 1, c.iso_week,
       {{ timestamp_at("c.day", "p.deadline_days_after", "p.deadline_time") }}
FROM calendar c
CROSS JOIN reporting_period p;
