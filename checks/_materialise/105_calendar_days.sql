-- Every day of the reporting period, its ISO week and the deadline of its report.
-- Date arithmetic (SQLite's strftime modifiers) is kept here and in the calendar view.
DELETE FROM calendar_days;
INSERT INTO calendar_days (day, day_number, iso_week, deadline)
SELECT c.day, ROW_NUMBER() OVER (ORDER BY c.day) - 1, c.iso_week,
       strftime('%Y-%m-%dT%H:%M:%S', c.day, '+' || p.deadline_days_after || ' days',
                '+' || (CAST(substr(p.deadline_time, 1, 2) AS INTEGER) * 60
                        + CAST(substr(p.deadline_time, 4, 2) AS INTEGER)) || ' minutes')
FROM calendar c
CROSS JOIN reporting_period p;
