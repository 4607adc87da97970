-- From schema version 7 to 8: daily reports indexed by (report_date, name_id) instead of
-- report_date alone, so the check run finds the reports of one unit-day without a pass over
-- every report. schema.sql (run after this) creates the new index.
DROP INDEX IF EXISTS daily_reports_date;
