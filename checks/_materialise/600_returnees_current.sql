-- The register in force (returnees_current): one row per person and arrival. A register sent
-- again (the same unit, person and arrival day) replaces the earlier row: the latest file, then
-- the latest row, wins. A person is known by identity number, else phone, else name. The
-- registration day is the registration time's date, else (left blank) the arrival date. A
-- certificate is valid when dated from [returnees] certificate_days before the arrival date up to
-- the arrival date, or when the register says 有 without a date (nothing to hold against it).
-- Monitoring ends monitoring_days after the arrival date, or on the departure date if earlier.
DELETE FROM returnees_current;

INSERT INTO returnees_current (returnee_id, unit_code, unit_raw, person, name, name_key, id_key, phone_key,
                               risk_level, notified_at, arrived_at, arrival_date, registered_at,
                               registration_date, cert_date, has_cert, cert_valid, departed_on, monitoring_end,
                               file_id, sheet, row_number)
WITH s AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_certificate_days'), 7)
                AS INTEGER) AS certificate_days,
           CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'returnee_monitoring_days'), 14)
                AS INTEGER) AS monitoring_days
),
r AS (
    SELECT d.returnee_id, d.unit_code, d.unit_raw, d.unit_code_raw, d.name, d.name_key, d.id_key, d.phone_key,
           d.risk_level, d.notified_at, d.arrived_at, d.registered_at, d.cert_date, d.has_cert, d.departed_on,
           d.file_id, d.sheet, d.row_number,
           substr(d.arrived_at, 1, 10) AS arrival_date,
           COALESCE('id:' || d.id_key, 'phone:' || d.phone_key, 'name:' || d.name_key) AS person
    FROM returnees_resolved d
),
ranked AS (
    SELECT r.*,
           ROW_NUMBER() OVER (PARTITION BY COALESCE(r.unit_code, '?' || COALESCE(r.unit_code_raw, '') || '|'
                                                    || COALESCE(r.unit_raw, '')),
                                           r.person, r.arrival_date
                              ORDER BY r.file_id DESC, r.row_number DESC, r.returnee_id DESC) AS n
    FROM r
)
SELECT x.returnee_id, x.unit_code, x.unit_raw, x.person, x.name, x.name_key, x.id_key, x.phone_key, x.risk_level,
       x.notified_at, x.arrived_at, x.arrival_date, x.registered_at,
       COALESCE(substr(x.registered_at, 1, 10), x.arrival_date),
       x.cert_date, x.has_cert,
       CASE WHEN x.has_cert = 0 THEN 0
            WHEN x.cert_date IS NULL THEN 1
            WHEN x.cert_date <= x.arrival_date
                 AND x.cert_date >= {{ add_days("x.arrival_date", "-s.certificate_days") }} THEN 1
            ELSE 0 END,
       x.departed_on,
       CASE WHEN x.departed_on IS NOT NULL AND x.departed_on < {{ add_days("x.arrival_date", "s.monitoring_days") }}
            THEN x.departed_on ELSE {{ add_days("x.arrival_date", "s.monitoring_days") }} END,
       x.file_id, x.sheet, x.row_number
FROM ranked x
CROSS JOIN s
WHERE x.n = 1;
