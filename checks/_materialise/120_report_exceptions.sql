-- The expected unit-days whose report is missing, late or of unknown lateness: the rows of the
-- view expected_report_status (db/schema.sql, the one definition of an expected unit-day and of
-- reported and on time) with on_time = 0. Only these are stored; the other expected unit-days
-- (reported on time, 95% of a province's 5 million) are what the view gives when read.
DELETE FROM report_exceptions;
INSERT INTO report_exceptions (report_date, unit_code, iso_week, report_id, reported)
SELECT report_date, unit_code, iso_week, report_id, reported
FROM expected_report_status
WHERE on_time = 0;
