-- check: buyer_missing
-- label: 去向不可追（無買家）
-- severity: error
-- meaning: a sale records no buyer, or a wholesale quantity goes to a buyer who is no one in particular (去向不可追)
-- subject: open
-- open: message
-- open evidence: merchant_id, trace_code, batch_no, quantity_kg, file_id, row
-- evidence row: coldchain_sales
-- A sale without a buyer's merchant id or phone is judged by its buyer cell:
-- - blank, or a word that records nobody (無, -, /, 不詳): no buyer at all, flagged;
-- - the public (散客, 個人, 消費者, 零售, 顧客, 客戶, 市民): a sale to the final consumer ends the
--   chain when its weight is at most [coldchain] retail_max_kg (coldchain_sale_batches.quantity_kg,
--   boxes converted); above it, a wholesale quantity to an unnamed buyer, flagged; a weight that
--   cannot be known is not judged (never guessed);
-- - any other name is a buyer.
WITH judged AS (
    SELECT s.*, b.quantity_kg,
           CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'retail_max_kg'), 10) AS REAL) AS retail_max_kg,
           CASE WHEN s.buyer IS NULL
                     OR replace(s.buyer, ' ', '') IN ('無', '无', '-', '—', '/', '不詳', '不详', '無記錄', '无记录')
                    THEN 'none'
                WHEN replace(s.buyer, ' ', '') IN ('散客', '個人', '个人', '消費者', '消费者', '零售', '顧客', '顾客',
                                                   '客戶', '客户', '市民', '居民', '零售客戶', '零售客户')
                    THEN 'public'
           END AS buyer_kind
    FROM coldchain_sales s
    LEFT JOIN coldchain_sale_batches b ON b.sale_id = s.sale_id
    WHERE s.buyer_merchant_id IS NULL AND s.buyer_phone IS NULL
)
SELECT NULL AS unit_code,
       s.sale_date AS date,
       COALESCE(s.trace_code, s.batch_no) AS subject_key,
       COALESCE(s.merchant, s.merchant_id) || '（' || s.merchant_id || '）' || s.sale_date || ' 銷售'
           || COALESCE(s.product, '貨品') || COALESCE(' 追溯碼 ' || s.trace_code, ' 批號 ' || s.batch_no, '') || '，'
           || CASE WHEN s.buyer_kind = 'public'
                   THEN s.quantity_kg || ' 公斤賣給「' || s.buyer || '」，超過零售量 ' || s.retail_max_kg || ' 公斤'
                   WHEN s.buyer IS NULL THEN '未記錄買家'
                   ELSE '買家「' || s.buyer || '」沒有記錄任何人' END
           || '，也沒有電話（去向不可追） / '
           || COALESCE(s.merchant, s.merchant_id) || ' (' || s.merchant_id || ') sold '
           || COALESCE(s.product, 'goods') || COALESCE(' trace code ' || s.trace_code, ' batch ' || s.batch_no, '')
           || ' on ' || s.sale_date || ' to '
           || CASE WHEN s.buyer_kind = 'public'
                   THEN '''' || s.buyer || ''': ' || s.quantity_kg || ' kg, more than the retail ' || s.retail_max_kg || ' kg'
                   WHEN s.buyer IS NULL THEN 'no recorded buyer'
                   ELSE '''' || s.buyer || ''', which records nobody' END
           || ', with no phone' AS message,
       json_object('merchant_id', s.merchant_id, 'trace_code', s.trace_code, 'batch_no', s.batch_no,
                   'buyer', s.buyer, 'buyer_phone', s.buyer_phone, 'buyer_merchant_id', s.buyer_merchant_id,
                   'quantity_kg', s.quantity_kg,
                   'file_id', s.file_id, 'sheet', s.sheet, 'row', s.row_number) AS evidence
FROM judged s
WHERE s.buyer_kind = 'none'
   OR (s.buyer_kind = 'public' AND s.quantity_kg > s.retail_max_kg)
