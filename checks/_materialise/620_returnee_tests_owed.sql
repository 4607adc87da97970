-- The tests each returnee in force owes (returnee_tests_owed). Day N is the arrival date + N
-- days; the days are [returnees] test_days for low risk and, for medium and high risk,
-- medium_high_risk_tests tests (workbench_settings returnee_schedule_low / _medium_high, see
-- fangyi.settings.ReturneeSettings.schedule: default 7, 14 and 1, 7, 14). A test is owed only
-- when its day falls before the departure date. The test that meets it: the nearest test of the
-- person dated from test_late_tolerance_days before its day to as many after (latest_date), or a
-- register cell of its column (第7天核酸 for day 7, 第3次核酸 for the third test, 入戶核酸 for a
-- day-1 test) giving a result without a date. None: missed, unless latest_date is after the end
-- of the reporting period (not yet due), then the first later test is noted as late.
DELETE FROM returnee_tests_owed;

INSERT INTO returnee_tests_owed (returnee_id, ordinal, day_number, due_date, latest_date, result_id, test_date,
                                 late_test_date, status)
WITH s AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_test_late_tolerance_days'), 1)
                AS INTEGER) AS tolerance,
           COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_schedule_low'), '[7, 14]') AS low,
           COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_schedule_medium_high'), '[1, 7, 14]')
               AS medium_high,
           COALESCE((SELECT end_date FROM reporting_period),
                    (SELECT max(test_day) FROM returnee_test_results),
                    (SELECT max(registration_date) FROM returnees_current)) AS period_end
),
owed AS (
    SELECT c.returnee_id, CAST(j.key AS INTEGER) + 1 AS ordinal, CAST(j.value AS INTEGER) AS day_number,
           {{ add_days("c.arrival_date", "CAST(j.value AS INTEGER)") }} AS due_date,
           {{ add_days("c.arrival_date", "CAST(j.value AS INTEGER) + s.tolerance") }} AS latest_date,
           {{ add_days("c.arrival_date", "CAST(j.value AS INTEGER) - s.tolerance") }} AS earliest_date,
           c.departed_on
    FROM returnees_current c
    CROSS JOIN s
    JOIN json_each(CASE WHEN c.risk_level = 'low' THEN s.low ELSE s.medium_high END) j
),
due AS (
    SELECT * FROM owed WHERE departed_on IS NULL OR due_date < departed_on
),
meets AS (
    SELECT o.returnee_id, o.ordinal, r.result_id, r.test_date,
           ROW_NUMBER() OVER (PARTITION BY o.returnee_id, o.ordinal
                              ORDER BY r.test_day IS NULL, abs({{ days_between("o.due_date", "r.test_day") }}),
                                       r.test_day, r.result_id) AS n
    FROM due o
    JOIN returnee_test_results r ON r.returnee_id = o.returnee_id
    WHERE r.test_day BETWEEN o.earliest_date AND o.latest_date
       OR (r.test_day IS NULL AND (r.planned = 'day:' || o.day_number OR r.planned = 'nth:' || o.ordinal
                                   OR (r.planned = 'first' AND o.day_number = 1)))
),
late AS (
    SELECT o.returnee_id, o.ordinal, min(r.test_date) AS late_test_date
    FROM due o
    JOIN returnee_test_results r ON r.returnee_id = o.returnee_id AND r.test_day > o.latest_date
    GROUP BY o.returnee_id, o.ordinal
)
SELECT o.returnee_id, o.ordinal, o.day_number, o.due_date, o.latest_date, m.result_id, m.test_date,
       CASE WHEN m.result_id IS NULL THEN l.late_test_date END,
       CASE WHEN m.result_id IS NOT NULL THEN 'done'
            WHEN o.latest_date > s.period_end OR s.period_end IS NULL THEN 'not_yet'
            ELSE 'missed' END
FROM due o
CROSS JOIN s
LEFT JOIN meets m ON m.returnee_id = o.returnee_id AND m.ordinal = o.ordinal AND m.n = 1
LEFT JOIN late l ON l.returnee_id = o.returnee_id AND l.ordinal = o.ordinal;
