-- check: buyer_missing
-- label: 去向不可追（無買家）
-- severity: error
-- meaning: a sale records no buyer (去向不可追)
-- subject: open
-- open: message
-- open evidence: merchant_id, trace_code, batch_no, file_id, row
-- No buyer's merchant id, no phone, and the buyer blank or a word that names nobody (散客,
-- 顧客, 客戶, 無, -, /).
SELECT NULL AS unit_code,
       s.sale_date AS date,
       COALESCE(s.trace_code, s.batch_no) AS subject_key,
       COALESCE(s.merchant, s.merchant_id) || '（' || s.merchant_id || '）' || s.sale_date || ' 銷售'
           || COALESCE(s.product, '貨品') || COALESCE(' 追溯碼 ' || s.trace_code, ' 批號 ' || s.batch_no, '') || '，'
           || CASE WHEN s.buyer IS NULL THEN '未記錄買家' ELSE '買家「' || s.buyer || '」指不出是誰' END
           || '，也沒有電話（去向不可追） / '
           || COALESCE(s.merchant, s.merchant_id) || ' (' || s.merchant_id || ') sold '
           || COALESCE(s.product, 'goods') || COALESCE(' trace code ' || s.trace_code, ' batch ' || s.batch_no, '')
           || ' on ' || s.sale_date || ' to '
           || CASE WHEN s.buyer IS NULL THEN 'no recorded buyer' ELSE '''' || s.buyer || ''', which names nobody' END
           || ', with no phone' AS message,
       json_object('merchant_id', s.merchant_id, 'trace_code', s.trace_code, 'batch_no', s.batch_no,
                   'buyer', s.buyer, 'buyer_phone', s.buyer_phone, 'buyer_merchant_id', s.buyer_merchant_id,
                   'file_id', s.file_id, 'sheet', s.sheet, 'row', s.row_number) AS evidence
FROM coldchain_sales s
WHERE s.buyer_merchant_id IS NULL
  AND s.buyer_phone IS NULL
  AND (s.buyer IS NULL
       OR replace(s.buyer, ' ', '') IN ('散客', '顧客', '顾客', '客戶', '客户', '零售', '無', '无', '-', '—', '/', '不詳', '不详'))
