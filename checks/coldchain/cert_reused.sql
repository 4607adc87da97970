-- check: cert_reused
-- label: 檢驗檢疫證明重複使用
-- severity: error
-- meaning: one certificate number appears on batches of different products or importers (證明重複使用)
-- subject: open
-- open: message
-- open evidence: certificate, number, trace_code, product, importer
-- evidence row: coldchain_batches
-- Receipts of the same trace code are one batch, at whatever merchant: its certificates copied
-- downstream (wholesaler -> retailer) are not reuse, nor is one certificate covering several
-- trace codes of the same product from the same importer. Two batches sharing a number are
-- unrelated when no product they are written with is the same (normalised), or when both name
-- importers and no importer is the same. One finding per certificate number.
WITH certs AS (
    SELECT '檢驗檢疫證明 inspection certificate' AS cert, inspection_cert_no AS no, b.*
    FROM coldchain_batches b WHERE inspection_cert_no IS NOT NULL
    UNION ALL
    SELECT '核酸檢測報告 nucleic-acid report', nat_report_no, b.*
    FROM coldchain_batches b WHERE nat_report_no IS NOT NULL
    UNION ALL
    SELECT '消毒證明 disinfection certificate', disinfection_cert_no, b.*
    FROM coldchain_batches b WHERE disinfection_cert_no IS NOT NULL
),
keyed AS (
    SELECT c.*, COALESCE(c.trace_code, 'receipt ' || c.batch_id) AS batch FROM certs c
),
unrelated AS (
    SELECT DISTINCT a.cert, a.no, a.batch AS batch_a, b.batch AS batch_b
    FROM keyed a
    JOIN keyed b ON b.cert = a.cert AND b.no = a.no AND b.batch > a.batch
    WHERE NOT EXISTS (SELECT 1 FROM keyed x JOIN keyed y ON y.cert = x.cert AND y.no = x.no AND y.product_key = x.product_key
                      WHERE x.cert = a.cert AND x.no = a.no AND x.batch = a.batch AND y.batch = b.batch)
       OR (EXISTS (SELECT 1 FROM keyed x WHERE x.cert = a.cert AND x.no = a.no AND x.batch = a.batch AND x.importer_key IS NOT NULL)
           AND EXISTS (SELECT 1 FROM keyed y WHERE y.cert = b.cert AND y.no = b.no AND y.batch = b.batch AND y.importer_key IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM keyed x JOIN keyed y ON y.cert = x.cert AND y.no = x.no AND y.importer_key = x.importer_key
                           WHERE x.cert = a.cert AND x.no = a.no AND x.batch = a.batch AND y.batch = b.batch))
),
involved AS (
    SELECT DISTINCT u.cert, u.no, k.batch, k.batch_id, k.trace_code, k.product, k.importer, k.merchant_id,
           k.received_date, k.file_id, k.sheet, k.row_number
    FROM unrelated u
    JOIN keyed k ON k.cert = u.cert AND k.no = u.no AND k.batch IN (u.batch_a, u.batch_b)
),
latest AS (
    SELECT i.*, ROW_NUMBER() OVER (PARTITION BY i.cert, i.no ORDER BY i.received_date DESC, i.batch_id DESC) AS n
    FROM involved i
)
SELECT NULL AS unit_code,
       l.received_date AS date,
       l.no AS subject_key,
       l.cert || ' ' || l.no || ' 出現在不相關的批次上（證明重複使用） / appears on unrelated batches: '
           || (SELECT group_concat(d, '; ') FROM (
                   SELECT i.batch || ' ' || group_concat(DISTINCT COALESCE(i.product, '?'))
                          || '（進口商 importer ' || COALESCE(group_concat(DISTINCT i.importer), '?') || '）' AS d
                   FROM involved i WHERE i.cert = l.cert AND i.no = l.no
                   GROUP BY i.batch ORDER BY i.batch)) AS message,
       json_object('certificate', l.cert, 'number', l.no,
                   'receipts', (SELECT json_group_array(json_object(
                                    'trace_code', i.trace_code, 'product', i.product, 'importer', i.importer,
                                    'merchant_id', i.merchant_id, 'received_date', i.received_date,
                                    'file_id', i.file_id, 'sheet', i.sheet, 'row', i.row_number))
                                FROM involved i WHERE i.cert = l.cert AND i.no = l.no),
                   'trace_code', l.trace_code, 'product', l.product, 'importer', l.importer,
                   'file_id', l.file_id, 'sheet', l.sheet, 'row', l.row_number) AS evidence
FROM latest l
WHERE l.n = 1
