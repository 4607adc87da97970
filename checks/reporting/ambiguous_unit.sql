-- check: ambiguous_unit
-- label: 單位不明確（同名多個）
-- severity: error
-- meaning: a report names a unit that fits several registry entries (the candidates in the message)
-- open evidence: candidates, file_id, row
-- evidence row: daily_reports
-- Names are unique only within their parent: the check run narrows by the parent column, the
-- towns the sheet names, the strength of the match and units that report (unit_resolutions);
-- what still fits several units is ambiguous, never guessed.
SELECT NULL AS unit_code,
       r.report_date AS date,
       r.unit_raw AS subject_key,
       r.report_date || ' 的日報寫的單位「' || r.unit_raw || '」對應 '
           || (SELECT count(*) FROM json_each(r.candidates)) || ' 個單位：'
           || (SELECT group_concat(c.value || ' ' || COALESCE(u.display_name, '?'), '、')
               FROM json_each(r.candidates) c LEFT JOIN units_in_force u ON u.unit_code = c.value)
           || '（單位不明確） / report for ' || r.report_date || ' names ''' || r.unit_raw || ''', which fits '
           || (SELECT count(*) FROM json_each(r.candidates)) || ' units: '
           || (SELECT group_concat(c.value || ' ' || COALESCE(u.display_name, '?'), ', ')
               FROM json_each(r.candidates) c LEFT JOIN units_in_force u ON u.unit_code = c.value) AS message,
       json_object('candidates', json(r.candidates), 'parent_raw', r.parent_raw, 'file_id', r.file_id,
                   'sheet', r.sheet, 'row', r.row_number) AS evidence
FROM current_reports c
JOIN daily_reports_resolved r ON r.report_id = c.report_id
WHERE c.unit_code IS NULL AND r.resolution = 'ambiguous'
