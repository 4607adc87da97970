-- check: returnee_positive
-- label: 返鄉人員核酸陽性
-- severity: error
-- row severity: warning
-- meaning: a positive test of a returnee, with the disposal recorded or not (error until a disposal is recorded, then warning)
-- subject: name
-- open evidence: file_id, row, source, disposal_recorded
-- evidence row: returnee_tests when source = tests; returnees when source = register
-- Every positive result in returnee_test_results, from a test sheet or the register's test
-- columns, matched to a returnee or not. Its severity (the row's severity column, declared by
-- the header's row severity) is error while no disposal is recorded (處置情況 blank, 無 or 待處置; a register
-- cell has none) and warning once one is.
SELECT COALESCE(r.unit_code, c.unit_code) AS unit_code,
       COALESCE(r.test_day, c.arrival_date) AS date,
       r.name AS subject_key,
       COALESCE(u.display_name || ' ', '') || COALESCE(r.name, '') || ' ' || COALESCE(r.test_date, '（' || r.column_name || '）')
           || ' 核酸檢測陽性；' || CASE WHEN r.disposal_recorded = 1 THEN '已記錄處置情況' ELSE '沒有記錄處置情況' END
           || ' / ' || COALESCE(r.name, '') || COALESCE(' of ' || u.display_name, '') || ' tested positive '
           || COALESCE('on ' || r.test_date, '(' || r.column_name || ')') || '; '
           || CASE WHEN r.disposal_recorded = 1 THEN 'a disposal is recorded' ELSE 'no disposal is recorded' END
           AS message,
       json_object('file_id', r.file_id, 'sheet', r.sheet, 'row', r.row_number, 'source', r.source,
                   'disposal_recorded', r.disposal_recorded) AS evidence,
       CASE WHEN r.disposal_recorded = 1 THEN 'warning' ELSE 'error' END AS severity
FROM returnee_test_results r
LEFT JOIN returnees_current c ON c.returnee_id = r.returnee_id
LEFT JOIN units_in_force u ON u.unit_code = COALESCE(r.unit_code, c.unit_code)
WHERE r.result = 'positive'
