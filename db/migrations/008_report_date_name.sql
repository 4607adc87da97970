-- From schema version 7 to 8: daily reports indexed by (report_date, name_id) instead of
-- report_date alone, so the check run finds the reports of one unit-day without a pass over
-- every report (schema.sql, run after this, creates the new index); check_runs.step_seconds,
-- each step's time in the run's own row.
DROP INDEX IF EXISTS daily_reports_date;
ALTER TABLE check_runs ADD COLUMN step_seconds TEXT;
