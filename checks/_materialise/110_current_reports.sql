-- The report in force per unit-day: the one with the latest submitted_at (one without comes
-- last), then the latest ingest (file, row, report id). Most unit-days have one report, so one
-- pass keeps the first report of each unit-day and counts them, and only the unit-days with
-- several are ranked. Lateness comes from daily_report_deadlines.
DELETE FROM current_reports;

INSERT INTO current_reports (report_date, unit_group, unit_code, report_id, versions, late)
SELECT d.report_date, r.unit_group, r.unit_code, d.report_id, 1, d.late
FROM daily_report_deadlines d
JOIN unit_resolutions r ON r.name_id = d.name_id
WHERE true
ON CONFLICT (report_date, unit_group) DO UPDATE SET versions = versions + 1;

CREATE TEMP TABLE IF NOT EXISTS ranked_versions (report_date TEXT, unit_group TEXT, report_id INTEGER,
                                                 late INTEGER, rank INTEGER);
DELETE FROM ranked_versions;
INSERT INTO ranked_versions (report_date, unit_group, report_id, late, rank)
SELECT d.report_date, r.unit_group, d.report_id, d.late,
       ROW_NUMBER() OVER (PARTITION BY d.report_date, r.unit_group
                          ORDER BY d.submitted_at IS NULL, d.submitted_at DESC, d.file_id DESC, d.row_number DESC,
                                   d.report_id DESC)
FROM daily_report_deadlines d
JOIN unit_resolutions r ON r.name_id = d.name_id
JOIN current_reports c ON c.report_date = d.report_date AND c.unit_group = r.unit_group
WHERE c.versions > 1;

UPDATE current_reports
SET (report_id, late) = (SELECT v.report_id, v.late FROM ranked_versions v
                         WHERE v.report_date = current_reports.report_date
                           AND v.unit_group = current_reports.unit_group AND v.rank = 1)
WHERE versions > 1;
