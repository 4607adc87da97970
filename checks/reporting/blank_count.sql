-- check: blank_count
-- label: 數字欄留空
-- severity: warning
-- meaning: a count left blank in a report that is not a zero report (blank is not zero)
-- open evidence: columns, file_id, row
-- evidence row: daily_reports
-- Only columns the sheet has count (source_sheets.fields): a form without a column has no blank.
WITH sheet_columns AS (
    -- per loaded sheet, which count columns its header had
    SELECT file_id, sheet,
           json_extract(fields, '$.new_confirmed') IS NOT NULL AS new_confirmed,
           json_extract(fields, '$.new_suspected') IS NOT NULL AS new_suspected,
           json_extract(fields, '$.new_asymptomatic') IS NOT NULL AS new_asymptomatic,
           json_extract(fields, '$.close_contacts') IS NOT NULL AS close_contacts,
           json_extract(fields, '$.returnees_registered') IS NOT NULL AS returnees_registered,
           json_extract(fields, '$.home_isolation') IS NOT NULL AS home_isolation,
           json_extract(fields, '$.central_isolation') IS NOT NULL AS central_isolation,
           json_extract(fields, '$.fever_cases') IS NOT NULL AS fever_cases,
           json_extract(fields, '$.tests_done') IS NOT NULL AS tests_done
    FROM source_sheets
    WHERE kind = 'daily'
),
blanks AS (
    SELECT r.unit_code, r.unit_raw, r.report_date, r.file_id, r.sheet, r.row_number,
           rtrim(
               CASE WHEN c.new_confirmed AND r.new_confirmed IS NULL THEN 'new_confirmed, ' ELSE '' END ||
               CASE WHEN c.new_suspected AND r.new_suspected IS NULL THEN 'new_suspected, ' ELSE '' END ||
               CASE WHEN c.new_asymptomatic AND r.new_asymptomatic IS NULL THEN 'new_asymptomatic, ' ELSE '' END ||
               CASE WHEN c.close_contacts AND r.close_contacts IS NULL THEN 'close_contacts, ' ELSE '' END ||
               CASE WHEN c.returnees_registered AND r.returnees_registered IS NULL
                    THEN 'returnees_registered, ' ELSE '' END ||
               CASE WHEN c.home_isolation AND r.home_isolation IS NULL THEN 'home_isolation, ' ELSE '' END ||
               CASE WHEN c.central_isolation AND r.central_isolation IS NULL THEN 'central_isolation, ' ELSE '' END ||
               CASE WHEN c.fever_cases AND r.fever_cases IS NULL THEN 'fever_cases, ' ELSE '' END ||
               CASE WHEN c.tests_done AND r.tests_done IS NULL THEN 'tests_done, ' ELSE '' END,
               ', ') AS columns
    FROM daily_reports_resolved r
    JOIN current_reports v ON v.report_date = r.report_date AND v.unit_group = r.unit_group
                          AND v.report_id = r.report_id            -- the version in force
    JOIN sheet_columns c ON c.file_id = r.file_id AND c.sheet = r.sheet
    WHERE COALESCE(r.zero_report, 0) = 0
      AND (r.new_confirmed IS NULL OR r.new_suspected IS NULL OR r.new_asymptomatic IS NULL
           OR r.close_contacts IS NULL OR r.returnees_registered IS NULL OR r.home_isolation IS NULL
           OR r.central_isolation IS NULL OR r.fever_cases IS NULL OR r.tests_done IS NULL)
)
SELECT b.unit_code,
       b.report_date AS date,
       CASE WHEN b.unit_code IS NULL THEN b.unit_raw END AS subject_key,
       COALESCE(u.display_name, b.unit_raw) || ' ' || b.report_date || ' 的日報不是零報告，但 '
           || replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(b.columns, 'new_confirmed', '新增確診'), 'new_suspected', '新增疑似'), 'new_asymptomatic', '新增無症狀'), 'close_contacts', '密切接觸者'), 'returnees_registered', '返鄉人員登記'), 'home_isolation', '居家隔離'), 'central_isolation', '集中隔離'), 'fever_cases', '發熱人員'), 'tests_done', '核酸檢測人數'), ', ', '、')
           || ' 留空（空白不等於零） / ' || COALESCE(u.display_name, b.unit_raw) || ' left ' || b.columns || ' blank on '
           || b.report_date || ' in a report that is not a zero report' AS message,
       json_object('columns', b.columns, 'file_id', b.file_id, 'sheet', b.sheet, 'row', b.row_number) AS evidence
FROM blanks b
LEFT JOIN units_in_force u ON u.unit_code = b.unit_code
WHERE b.columns <> ''
