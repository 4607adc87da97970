-- check: returnee_test_unmatched
-- label: 核酸檢測記錄對不上返鄉人員
-- severity: warning
-- meaning: a row of a returnee test sheet matches no returnee in the register (by identity number, phone, or name within the unit)
-- subject: name
-- open evidence: file_id, row
-- evidence row: returnee_tests
-- Rows of returnee_tests (returnee_test_results with source tests) left without a returnee by
-- the matching of checks/_materialise/610_returnee_test_results.sql.
SELECT r.unit_code,
       r.test_day AS date,
       r.name AS subject_key,
       COALESCE(u.display_name || ' ', '') || COALESCE(r.name, '（無姓名）') || ' ' || r.test_date
           || ' 的核酸檢測記錄在返鄉人員登記表中找不到此人（身份證號、電話和同村姓名都對不上） / the test of '
           || COALESCE(r.name, '(no name)') || COALESCE(' of ' || u.display_name, '') || ' on ' || r.test_date
           || ' matches nobody in the returnee register (no identity number, phone or name in the unit matches)'
           AS message,
       json_object('file_id', r.file_id, 'sheet', r.sheet, 'row', r.row_number) AS evidence
FROM returnee_test_results r
LEFT JOIN units_in_force u ON u.unit_code = r.unit_code
WHERE r.source = 'tests' AND r.returnee_id IS NULL
