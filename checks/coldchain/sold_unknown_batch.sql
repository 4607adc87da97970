-- check: sold_unknown_batch
-- label: 銷售來源不可查的批次
-- severity: error
-- meaning: a merchant sold a trace code or batch it has no receipt for (來源不可查)
-- subject: open
-- open: message
-- open evidence: merchant_id, trace_code, batch_no, product, quantity, qty_unit, file_id, row
-- evidence row: coldchain_sales
-- A sale naming a trace code is matched by the trace code alone; one naming only a batch number
-- by the batch number; receipts of any date count (a sale before its receipt is
-- sale_before_receipt). A sale naming neither is unknown too.
SELECT NULL AS unit_code,
       s.sale_date AS date,
       COALESCE(s.trace_code, s.batch_no) AS subject_key,
       COALESCE(s.merchant, s.merchant_id) || '（' || s.merchant_id || '）' || s.sale_date || ' 銷售'
           || COALESCE(s.product, '貨品')
           || CASE WHEN s.trace_code IS NOT NULL THEN '，追溯碼 ' || s.trace_code || ' 從未進貨'
                   WHEN s.batch_no IS NOT NULL THEN '，批號 ' || s.batch_no || ' 從未進貨'
                   ELSE '，未寫追溯碼或批號' END
           || '（來源不可查） / '
           || COALESCE(s.merchant, s.merchant_id) || ' (' || s.merchant_id || ') sold '
           || COALESCE(s.product, 'goods') || ' on ' || s.sale_date
           || CASE WHEN s.trace_code IS NOT NULL THEN ' with trace code ' || s.trace_code || ', which it never received'
                   WHEN s.batch_no IS NOT NULL THEN ' of batch ' || s.batch_no || ', which it never received'
                   ELSE ' naming no trace code or batch number' END AS message,
       json_object('merchant_id', s.merchant_id, 'trace_code', s.trace_code, 'batch_no', s.batch_no,
                   'product', s.product, 'quantity', s.quantity_raw, 'qty_unit', s.qty_unit, 'buyer', s.buyer,
                   'file_id', s.file_id, 'sheet', s.sheet, 'row', s.row_number) AS evidence
FROM coldchain_sales s
WHERE CASE WHEN s.trace_code IS NOT NULL THEN NOT EXISTS (
               SELECT 1 FROM coldchain_batches b WHERE b.merchant_id = s.merchant_id AND b.trace_code = s.trace_code)
           WHEN s.batch_no IS NOT NULL THEN NOT EXISTS (
               SELECT 1 FROM coldchain_batches b WHERE b.merchant_id = s.merchant_id AND b.batch_no = s.batch_no)
           ELSE 1 END
