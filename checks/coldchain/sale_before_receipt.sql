-- check: sale_before_receipt
-- label: 先銷售後進貨
-- severity: error
-- meaning: a sale is dated before the merchant first received the batch
-- subject: open
-- open: message
-- open evidence: merchant_id, trace_code, sale_date, first_received, file_id, row
-- evidence row: coldchain_sales
-- The batch of the sale as in coldchain_sale_batches (trace code, or the batch number's trace
-- code); compared with the merchant's earliest receipt of it. One finding per sale.
SELECT NULL AS unit_code,
       s.sale_date AS date,
       sb.trace_code AS subject_key,
       COALESCE(s.merchant, s.merchant_id) || '（' || s.merchant_id || '）' || s.sale_date || ' 銷售追溯碼 '
           || sb.trace_code || '，早於首次進貨日期 ' || b.first_received || '（先銷後進） / '
           || COALESCE(s.merchant, s.merchant_id) || ' (' || s.merchant_id || ') sold trace code ' || sb.trace_code
           || ' on ' || s.sale_date || ', before first receiving it on ' || b.first_received AS message,
       json_object('merchant_id', s.merchant_id, 'trace_code', sb.trace_code, 'sale_date', s.sale_date,
                   'first_received', b.first_received, 'buyer', s.buyer,
                   'file_id', s.file_id, 'sheet', s.sheet, 'row', s.row_number) AS evidence
FROM coldchain_sales s
JOIN coldchain_sale_batches sb ON sb.sale_id = s.sale_id
JOIN coldchain_balances b ON b.merchant_id = sb.merchant_id AND b.trace_code = sb.trace_code
WHERE b.receipts > 0
  AND s.sale_date < b.first_received
