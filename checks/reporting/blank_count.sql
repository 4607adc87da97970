-- check: blank_count
-- severity: warning
-- meaning: a count left blank in a report that is not a zero report (blank is not zero)
-- Only columns the sheet has count (source_sheets.fields): a form without a column has no blank.
WITH blanks AS (
    SELECT r.report_id, r.unit_code, r.unit_raw, r.report_date, r.file_id, r.sheet, r.row_number,
           group_concat(f.key, ', ') AS columns
    FROM daily_reports_current r
    JOIN source_sheets s ON s.file_id = r.file_id AND s.sheet = r.sheet
    JOIN json_each(s.fields) f
    WHERE COALESCE(r.zero_report, 0) = 0
      AND CASE f.key
              WHEN 'new_confirmed' THEN r.new_confirmed IS NULL
              WHEN 'new_suspected' THEN r.new_suspected IS NULL
              WHEN 'new_asymptomatic' THEN r.new_asymptomatic IS NULL
              WHEN 'close_contacts' THEN r.close_contacts IS NULL
              WHEN 'returnees_registered' THEN r.returnees_registered IS NULL
              WHEN 'home_isolation' THEN r.home_isolation IS NULL
              WHEN 'central_isolation' THEN r.central_isolation IS NULL
              WHEN 'fever_cases' THEN r.fever_cases IS NULL
              WHEN 'tests_done' THEN r.tests_done IS NULL
              ELSE 0
          END
    GROUP BY r.report_id
)
SELECT b.unit_code,
       b.report_date AS date,
       CASE WHEN b.unit_code IS NULL THEN b.unit_raw END AS subject_key,
       COALESCE(u.name, b.unit_raw) || ' left ' || b.columns || ' blank on ' || b.report_date
           || ' in a report that is not a zero report' AS message,
       json_object('columns', b.columns, 'file_id', b.file_id, 'sheet', b.sheet, 'row', b.row_number) AS evidence
FROM blanks b
LEFT JOIN units_current u USING (unit_code)
