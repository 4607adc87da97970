-- check: zero_report_contradiction
-- label: 零報告與數字矛盾
-- severity: error
-- meaning: a report marked as a zero report while a count is above zero
-- open evidence: counts, file_id, row
-- evidence row: daily_reports
WITH marked AS (
    SELECT r.*,
           rtrim(
               CASE WHEN new_confirmed > 0 THEN 'new_confirmed=' || new_confirmed || ', ' ELSE '' END ||
               CASE WHEN new_suspected > 0 THEN 'new_suspected=' || new_suspected || ', ' ELSE '' END ||
               CASE WHEN new_asymptomatic > 0 THEN 'new_asymptomatic=' || new_asymptomatic || ', ' ELSE '' END ||
               CASE WHEN close_contacts > 0 THEN 'close_contacts=' || close_contacts || ', ' ELSE '' END ||
               CASE WHEN returnees_registered > 0 THEN 'returnees_registered=' || returnees_registered || ', ' ELSE '' END ||
               CASE WHEN home_isolation > 0 THEN 'home_isolation=' || home_isolation || ', ' ELSE '' END ||
               CASE WHEN central_isolation > 0 THEN 'central_isolation=' || central_isolation || ', ' ELSE '' END ||
               CASE WHEN fever_cases > 0 THEN 'fever_cases=' || fever_cases || ', ' ELSE '' END ||
               CASE WHEN tests_done > 0 THEN 'tests_done=' || tests_done || ', ' ELSE '' END,
               ', ') AS positive
    FROM daily_reports_resolved r
    JOIN current_reports c ON c.report_date = r.report_date AND c.unit_group = r.unit_group
                          AND c.report_id = r.report_id            -- the version in force
    WHERE r.zero_report = 1
      AND (r.new_confirmed > 0 OR r.new_suspected > 0 OR r.new_asymptomatic > 0 OR r.close_contacts > 0
           OR r.returnees_registered > 0 OR r.home_isolation > 0 OR r.central_isolation > 0
           OR r.fever_cases > 0 OR r.tests_done > 0)
)
SELECT m.unit_code,
       m.report_date AS date,
       CASE WHEN m.unit_code IS NULL THEN m.unit_raw END AS subject_key,
       COALESCE(u.display_name, m.unit_raw) || ' ' || m.report_date || ' 標為零報告，但填報了 '
           || replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(m.positive, 'new_confirmed', '新增確診'), 'new_suspected', '新增疑似'), 'new_asymptomatic', '新增無症狀'), 'close_contacts', '密切接觸者'), 'returnees_registered', '返鄉人員登記'), 'home_isolation', '居家隔離'), 'central_isolation', '集中隔離'), 'fever_cases', '發熱人員'), 'tests_done', '核酸檢測人數'), ', ', '、')
           || '（零報告矛盾） / ' || COALESCE(u.display_name, m.unit_raw) || ' marked ' || m.report_date
           || ' as a zero report but reports ' || m.positive AS message,
       json_object('counts', m.positive, 'file_id', m.file_id, 'sheet', m.sheet, 'row', m.row_number) AS evidence
FROM marked m
LEFT JOIN units_in_force u USING (unit_code)
WHERE m.positive <> ''
