-- check: unknown_unit
-- label: 名錄中沒有的單位
-- severity: error
-- meaning: a report names a unit that matches no registry entry
-- open evidence: file_id, row
-- evidence row: daily_reports
-- Matching tries the code, the name, its traditional/simplified form, the name without its
-- level suffix and every alias (unit_resolutions, written by the check run), only under the
-- row's parent (or the places its sheet names); a name that fits no unit there is unknown (one
-- that fits several is ambiguous_unit). The hint says which parent, the near names under it and
-- where the name does fit.
SELECT NULL AS unit_code,
       r.report_date AS date,
       r.unit_raw AS subject_key,
       r.report_date || ' 的日報寫的單位' || COALESCE('「' || r.unit_raw || '」', '（無名稱）')
           || COALESCE('（編碼 ' || r.unit_code_raw || '）', '') || '在單位名錄中找不到'
           || COALESCE('：' || r.hint_zh, '') || ' / '
           || 'report for ' || r.report_date || ' names '
           || COALESCE('''' || r.unit_raw || '''', 'no name')
           || COALESCE(' (code ' || r.unit_code_raw || ')', '')
           || ', which matches no unit in the registry' || COALESCE(': ' || r.hint_en, '') AS message,
       json_object('unit_code_raw', r.unit_code_raw, 'parent_raw', r.parent_raw, 'file_id', r.file_id,
                   'sheet', r.sheet, 'row', r.row_number) AS evidence
FROM current_reports c
JOIN daily_reports_resolved r ON r.report_id = c.report_id
WHERE c.unit_code IS NULL AND r.resolution = 'unknown'
