-- The report in force per unit-day: one pass over daily_reports that keeps, per unit-day, the
-- version with the highest rank key: a submitted_at first (the latest wins), then the latest
-- ingest (file, row, report id). An upsert rather than a window: no sort of every report.
-- Lateness is decided here, once: 1 late, 0 on time, NULL unknown (no submitted_at, a date
-- only that equals the deadline's date, or a day outside the reporting period).
DELETE FROM current_reports;
INSERT INTO current_reports (report_date, unit_group, unit_code, report_id, versions, rank_key, submitted_at,
                             file_id, row_number, deadline, late)
SELECT d.report_date, r.unit_group, r.unit_code, d.report_id, 1,
       printf('%d|%-19s|%012d|%09d|%012d', d.submitted_at IS NOT NULL, COALESCE(d.submitted_at, ''), d.file_id,
              d.row_number, d.report_id),
       d.submitted_at, d.file_id, d.row_number, k.deadline,
       CASE WHEN d.submitted_at IS NULL OR k.deadline IS NULL THEN NULL
            WHEN length(d.submitted_at) = 10 THEN
                CASE WHEN d.submitted_at > substr(k.deadline, 1, 10) THEN 1
                     WHEN d.submitted_at < substr(k.deadline, 1, 10) THEN 0 END
            ELSE d.submitted_at > k.deadline END
FROM daily_reports d
JOIN unit_resolutions r ON r.name_id = d.name_id
LEFT JOIN calendar_days k ON k.day = d.report_date
WHERE true
ON CONFLICT (report_date, unit_group) DO UPDATE SET
    versions = versions + 1,
    rank_key = max(rank_key, excluded.rank_key),
    report_id = CASE WHEN excluded.rank_key > rank_key THEN excluded.report_id ELSE report_id END,
    submitted_at = CASE WHEN excluded.rank_key > rank_key THEN excluded.submitted_at ELSE submitted_at END,
    file_id = CASE WHEN excluded.rank_key > rank_key THEN excluded.file_id ELSE file_id END,
    row_number = CASE WHEN excluded.rank_key > rank_key THEN excluded.row_number ELSE row_number END,
    late = CASE WHEN excluded.rank_key > rank_key THEN excluded.late ELSE late END;
