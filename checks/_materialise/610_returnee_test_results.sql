-- One table of tests (returnee_test_results): the register's own test cells (tied to their
-- register row in force by file, sheet and row) and the rows of the test sheets, each test row
-- matched to a returnee in force by identity number; when that finds nobody, by phone; then by
-- name within the unit. A weaker key never overrides a stronger one that disagrees: a phone or
-- name match needs the identity numbers (and, for a name, the phones) not to differ where both
-- are written. Among the matching arrivals, the latest on or before the test's day, else the first.
DELETE FROM returnee_test_results;

INSERT INTO returnee_test_results (source, source_id, column_name, planned, returnee_id, matched_by, unit_code, name,
                                   test_date, test_day, result, disposal, disposal_recorded, file_id, sheet,
                                   row_number)
SELECT 'register', t.register_test_id, t.column_name, t.planned, c.returnee_id, 'register', c.unit_code, c.name,
       t.test_date, substr(t.test_date, 1, 10), t.result, NULL, 0, t.file_id, t.sheet, t.row_number
FROM returnee_register_tests t
JOIN returnees x ON x.file_id = t.file_id AND x.sheet = t.sheet AND x.row_number = t.row_number
JOIN returnees_current c ON c.returnee_id = x.returnee_id
ORDER BY t.register_test_id;

INSERT INTO returnee_test_results (source, source_id, column_name, planned, returnee_id, matched_by, unit_code, name,
                                   test_date, test_day, result, disposal, disposal_recorded, file_id, sheet,
                                   row_number)
WITH t AS (
    SELECT test_id, unit_code, name, name_key, id_key, phone_key, test_date, substr(test_date, 1, 10) AS test_day,
           result, disposal, disposal_recorded, file_id, sheet, row_number
    FROM returnee_tests_resolved
),
candidates AS (
    SELECT t.test_id, c.returnee_id, c.arrival_date, 1 AS strength, 'id_number' AS how
    FROM t JOIN returnees_current c ON c.id_key = t.id_key
    UNION ALL
    SELECT t.test_id, c.returnee_id, c.arrival_date, 2, 'phone'
    FROM t JOIN returnees_current c ON c.phone_key = t.phone_key
    WHERE t.id_key IS NULL OR c.id_key IS NULL OR t.id_key = c.id_key
    UNION ALL
    SELECT t.test_id, c.returnee_id, c.arrival_date, 3, 'name'
    FROM t JOIN returnees_current c ON c.unit_code = t.unit_code AND c.name_key = t.name_key
    WHERE (t.id_key IS NULL OR c.id_key IS NULL OR t.id_key = c.id_key)
      AND (t.phone_key IS NULL OR c.phone_key IS NULL OR t.phone_key = c.phone_key)
),
strongest AS (
    SELECT test_id, min(strength) AS strength FROM candidates GROUP BY test_id
),
picked AS (
    SELECT c.test_id, c.returnee_id, c.how,
           ROW_NUMBER() OVER (PARTITION BY c.test_id
                              ORDER BY c.arrival_date <= t.test_day DESC,
                                       CASE WHEN c.arrival_date <= t.test_day THEN c.arrival_date END DESC,
                                       c.arrival_date, c.returnee_id) AS n
    FROM candidates c
    JOIN strongest b ON b.test_id = c.test_id AND b.strength = c.strength
    JOIN t ON t.test_id = c.test_id
)
SELECT 'tests', t.test_id, NULL, NULL, p.returnee_id, p.how, COALESCE(c.unit_code, t.unit_code), t.name,
       t.test_date, t.test_day, t.result, t.disposal, t.disposal_recorded, t.file_id, t.sheet, t.row_number
FROM t
LEFT JOIN picked p ON p.test_id = t.test_id AND p.n = 1
LEFT JOIN returnees_current c ON c.returnee_id = p.returnee_id
ORDER BY t.test_id;
