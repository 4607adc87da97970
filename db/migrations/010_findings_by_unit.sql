-- From schema version 9 to 10: indexes for the pages that show one unit or one unit-day, so
-- that each is a few index searches rather than a pass over a day's reports or a run's findings:
-- findings_history(run_id, unit_code, check_id) and (run_id, date, check_id), unit_resolutions
-- (unit_group) (a unit's names, then its reports through daily_reports(report_date, name_id)),
-- duplicate_reports(unit_group, report_date) and current_reports(unit_group) for the days with
-- several versions; the view daily_report_versions says a version's unit-day by name as well.
-- schema.sql, which runs after this, creates the indexes and the views.
--
-- check_run_steps becomes a view of check_runs.step_seconds (each step's time was kept twice):
-- the steps of runs from before step_seconds are moved into it, in the order they were written.
CREATE TABLE IF NOT EXISTS check_run_steps (run_id INTEGER NOT NULL, step TEXT NOT NULL, seconds REAL NOT NULL);
UPDATE check_runs
SET step_seconds = (SELECT json_group_object(step, seconds)
                    FROM (SELECT s.step, s.seconds FROM check_run_steps s
                          WHERE s.run_id = check_runs.run_id ORDER BY s.rowid))
WHERE step_seconds IS NULL
  AND EXISTS (SELECT 1 FROM check_run_steps s WHERE s.run_id = check_runs.run_id);
DROP TABLE check_run_steps;
