-- check: chain_break
-- label: 商戶之間斷鏈
-- severity: error
-- meaning: a link between registered merchants is missing on one side (斷鏈)
-- subject: open
-- open: message
-- open evidence: side, seller_id, buyer_id, trace_code, sale_date, received_date, window_days, file_id, row
-- evidence row: coldchain_sales when side = sale; coldchain_batches when side = receipt
-- A registered merchant keeps a ledger here (merchants). Sale side: a sale to a registered
-- merchant whose receipt of the trace code does not follow on the sale day or within
-- [coldchain] match_window_days. Receipt side: a receipt naming a registered supplier with no
-- sale of the trace code to this merchant on the receipt day or the window before. Both read
-- coldchain_links, built with the window. A link needs the trace code and the dates only:
-- quantities are not compared (coldchain_links.same_quantity shows whether they agree), so a
-- sale and a receipt that might be the same delivery are never called a break. Sales and
-- receipts without a trace code are left to sold_unknown_batch and cert_missing.
WITH match_window AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'chain_match_window_days'), 3)
                AS INTEGER) AS days
)
SELECT NULL AS unit_code,
       s.sale_date AS date,
       sb.trace_code AS subject_key,
       COALESCE(s.merchant, s.merchant_id) || '（' || s.merchant_id || '）' || s.sale_date || ' 把追溯碼 '
           || sb.trace_code || ' 賣給 ' || COALESCE(m.name, s.buyer, '') || '（' || s.buyer_merchant_id
           || '），對方臺賬 ' || (SELECT days FROM match_window) || ' 天內沒有這批的進貨（斷鏈） / '
           || COALESCE(s.merchant, s.merchant_id) || ' (' || s.merchant_id || ') sold trace code ' || sb.trace_code
           || ' on ' || s.sale_date || ' to ' || COALESCE(m.name, s.buyer, '') || ' (' || s.buyer_merchant_id
           || '), whose ledger shows no receipt of it within ' || (SELECT days FROM match_window)
           || ' days' AS message,
       json_object('side', 'sale', 'seller_id', s.merchant_id, 'buyer_id', s.buyer_merchant_id,
                   'trace_code', sb.trace_code, 'sale_date', s.sale_date,
                   'window_days', (SELECT days FROM match_window),
                   'file_id', s.file_id, 'sheet', s.sheet, 'row', s.row_number) AS evidence
FROM coldchain_sales s
JOIN coldchain_sale_batches sb ON sb.sale_id = s.sale_id
JOIN merchants m ON m.merchant_id = s.buyer_merchant_id
WHERE sb.trace_code IS NOT NULL
  AND s.buyer_merchant_id <> s.merchant_id
  AND NOT EXISTS (SELECT 1 FROM coldchain_links l WHERE l.sale_id = s.sale_id)
UNION ALL
SELECT NULL AS unit_code,
       r.received_date AS date,
       r.trace_code AS subject_key,
       COALESCE(r.merchant, r.merchant_id) || '（' || r.merchant_id || '）' || r.received_date || ' 從 '
           || COALESCE(m.name, r.supplier, '') || '（' || r.supplier_merchant_id || '）進了追溯碼 ' || r.trace_code
           || '，對方臺賬此前 ' || (SELECT days FROM match_window) || ' 天內沒有賣給本商戶的記錄（斷鏈） / '
           || COALESCE(r.merchant, r.merchant_id) || ' (' || r.merchant_id || ') received trace code ' || r.trace_code
           || ' on ' || r.received_date || ' from ' || COALESCE(m.name, r.supplier, '') || ' ('
           || r.supplier_merchant_id || '), whose ledger shows no sale of it to this merchant within '
           || (SELECT days FROM match_window) || ' days before' AS message,
       json_object('side', 'receipt', 'seller_id', r.supplier_merchant_id, 'buyer_id', r.merchant_id,
                   'trace_code', r.trace_code, 'received_date', r.received_date,
                   'window_days', (SELECT days FROM match_window),
                   'file_id', r.file_id, 'sheet', r.sheet, 'row', r.row_number) AS evidence
FROM coldchain_batches r
JOIN merchants m ON m.merchant_id = r.supplier_merchant_id
WHERE r.trace_code IS NOT NULL
  AND r.supplier_merchant_id <> r.merchant_id
  AND NOT EXISTS (SELECT 1 FROM coldchain_links l WHERE l.batch_id = r.batch_id)
