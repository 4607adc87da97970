-- The report in force per unit-day: the one with the latest submitted_at (one without comes
-- last), then the latest ingest (file, row, report id). Most unit-days have one report, so one
-- pass keeps the first report of each unit-day and counts them, and only the unit-days with
-- several are ranked. Lateness comes from daily_report_deadlines.
--
-- A report that repeats, value for value, the version before it (oldest first by the same key)
-- is a resubmission that changes nothing: it goes to duplicate_reports, is not counted in
-- `versions` and never becomes the version in force. Compared: every count, the zero-report
-- flag, reporter, leader on duty and the columns kept in `extra`; not how the unit was written,
-- when it was sent, nor where it came from.
DELETE FROM current_reports;
DELETE FROM duplicate_reports;

INSERT INTO current_reports (report_date, unit_group, unit_code, report_id, versions, late)
SELECT d.report_date, r.unit_group, r.unit_code, d.report_id, 1, d.late
FROM daily_report_deadlines d
JOIN unit_resolutions r ON r.name_id = d.name_id
WHERE true
ON CONFLICT (report_date, unit_group) DO UPDATE SET versions = versions + 1;

-- The reports of the unit-days with several, looked up through the (report_date, name_id)
-- index rather than found by a second pass over every report.
DROP TABLE IF EXISTS temp.multi_version_reports;
CREATE TEMP TABLE multi_version_reports AS
SELECT d.report_id, d.report_date, r.unit_group, d.submitted_at, d.file_id, d.row_number, d.late
FROM daily_report_deadlines d
JOIN unit_resolutions r ON r.name_id = d.name_id
WHERE (d.report_date, d.name_id) IN (SELECT m.report_date, g.name_id
                                     FROM current_reports m
                                     JOIN unit_resolutions g ON g.unit_group = m.unit_group
                                     WHERE m.versions > 1);

INSERT INTO duplicate_reports (report_id, duplicate_of, report_date, unit_group)
SELECT report_id, previous_id, report_date, unit_group
FROM (
    SELECT report_id, report_date, unit_group, content,
           LAG(report_id) OVER w AS previous_id,
           LAG(content) OVER w AS previous_content
    FROM (
        SELECT v.report_id, v.report_date, v.unit_group, v.submitted_at, v.file_id, v.row_number,
               json_array(d.new_confirmed, d.new_suspected, d.new_asymptomatic, d.close_contacts,
                          d.returnees_registered, d.home_isolation, d.central_isolation, d.fever_cases,
                          d.tests_done, d.zero_report, d.reporter, d.duty_leader, d.extra) AS content
        FROM multi_version_reports v
        JOIN daily_reports d ON d.report_id = v.report_id
    )
    WINDOW w AS (PARTITION BY report_date, unit_group
                 ORDER BY submitted_at IS NOT NULL, submitted_at, file_id, row_number, report_id)
)
WHERE content IS previous_content;

DROP TABLE IF EXISTS temp.versions_in_force;
CREATE TEMP TABLE versions_in_force (report_date TEXT, unit_group TEXT, report_id INTEGER, late INTEGER,
                                     versions INTEGER, PRIMARY KEY (report_date, unit_group));
INSERT INTO versions_in_force (report_date, unit_group, report_id, late, versions)
SELECT report_date, unit_group, report_id, late, versions
FROM (
    SELECT v.report_date, v.unit_group, v.report_id, v.late,
           ROW_NUMBER() OVER (PARTITION BY v.report_date, v.unit_group
                              ORDER BY v.submitted_at IS NULL, v.submitted_at DESC, v.file_id DESC,
                                       v.row_number DESC, v.report_id DESC) AS rank,
           COUNT(*) OVER (PARTITION BY v.report_date, v.unit_group) AS versions
    FROM multi_version_reports v
    WHERE v.report_id NOT IN (SELECT report_id FROM duplicate_reports)
)
WHERE rank = 1;

UPDATE current_reports
SET (report_id, late, versions) = (SELECT v.report_id, v.late, v.versions FROM versions_in_force v
                                   WHERE v.report_date = current_reports.report_date
                                     AND v.unit_group = current_reports.unit_group)
WHERE versions > 1;
