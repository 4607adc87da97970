-- check: nat_positive
-- label: 核酸陽性或無陰性結果仍銷售
-- severity: error
-- meaning: a batch was sold although its nucleic-acid result is positive or not recorded as negative
-- subject: open
-- open: message
-- open evidence: merchant_id, trace_code, nat_result, nat_report_no, sales, first_sale, file_id, row
-- evidence row: coldchain_batches; coldchain_sales at sale_
-- Per merchant and trace code: the merchant's receipts of the batch record a positive result,
-- or none records a negative one (blank or unreadable, the text as written in the evidence),
-- and the merchant sold from it. One finding per merchant and trace code; date = first sale.
WITH received AS (
    SELECT merchant_id, trace_code,
           COALESCE(max(nat_result = 'positive'), 0) AS positive,
           COALESCE(max(nat_result = 'negative'), 0) AS negative,
           group_concat(DISTINCT COALESCE(nat_result_raw, '(blank)')) AS written,
           min(batch_id) AS first_batch
    FROM coldchain_batches
    WHERE trace_code IS NOT NULL
    GROUP BY merchant_id, trace_code
),
sold AS (
    SELECT sb.merchant_id, sb.trace_code, min(sb.sale_date) AS first_sale, count(*) AS sales,
           min(sb.sale_id) AS first_sale_id
    FROM coldchain_sale_batches sb
    WHERE sb.trace_code IS NOT NULL
    GROUP BY sb.merchant_id, sb.trace_code
)
SELECT NULL AS unit_code,
       s.first_sale AS date,
       r.trace_code AS subject_key,
       COALESCE(b.merchant, b.merchant_id) || '（' || b.merchant_id || '）銷售了' || COALESCE(b.product, '批次')
           || ' 追溯碼 ' || r.trace_code || '（自 ' || s.first_sale || ' 起 ' || s.sales || ' 筆），但其核酸檢測結果'
           || CASE WHEN r.positive = 1 THEN '為陽性' ELSE '未記錄為陰性：' || replace(r.written, '(blank)', '空白') END
           || '（核酸檢測未陰性仍銷售） / '
           || COALESCE(b.merchant, b.merchant_id) || ' (' || b.merchant_id || ') sold ' || COALESCE(b.product, 'batch')
           || ' trace code ' || r.trace_code || ' (' || s.sales || ' sales from ' || s.first_sale
           || ') although its nucleic-acid result is '
           || CASE WHEN r.positive = 1 THEN 'positive' ELSE 'not recorded as negative: ' || r.written END AS message,
       json_object('merchant_id', r.merchant_id, 'trace_code', r.trace_code, 'nat_result', r.written,
                   'nat_report_no', b.nat_report_no, 'sales', s.sales, 'first_sale', s.first_sale,
                   'sale_file_id', x.file_id, 'sale_sheet', x.sheet, 'sale_row', x.row_number,
                   'file_id', b.file_id, 'sheet', b.sheet, 'row', b.row_number) AS evidence
FROM received r
JOIN sold s ON s.merchant_id = r.merchant_id AND s.trace_code = r.trace_code
JOIN coldchain_batches b ON b.batch_id = r.first_batch
JOIN coldchain_sales x ON x.sale_id = s.first_sale_id
WHERE r.positive = 1 OR r.negative = 0
