-- check: oversold
-- label: 銷售多於進貨
-- severity: error
-- meaning: a merchant sold more of a batch than it received (mass balance, boxes converted to kg)
-- subject: open
-- open: message
-- open evidence: merchant_id, trace_code, product, received_kg, sold_kg, on_hand_kg, qty_unit, received_qty, sold_qty, receipts, sales, file_id, row
-- evidence row: coldchain_sales
-- From coldchain_balances: every receipt and every sale of the trace code at the merchant,
-- summed in kg when all have a weight, else in the one unit they share; when neither is known
-- nothing is said. Half a gram of rounding is allowed. Date and source row: the latest sale.
SELECT NULL AS unit_code,
       b.last_sold AS date,
       b.trace_code AS subject_key,
       COALESCE(m.name, b.merchant_id) || '（' || b.merchant_id || '）追溯碼 ' || b.trace_code || ' 銷售 '
           || CASE WHEN b.on_hand_kg IS NOT NULL
                   THEN b.sold_kg || ' kg，但進貨只有 ' || b.received_kg || ' kg'
                   ELSE b.sold_qty || ' ' || b.qty_unit || '，但進貨只有 ' || b.received_qty || ' ' || b.qty_unit END
           || '（進貨 ' || b.receipts || ' 筆、銷售 ' || b.sales || ' 筆；超量銷售） / '
           || COALESCE(m.name, b.merchant_id) || ' (' || b.merchant_id || ') sold '
           || CASE WHEN b.on_hand_kg IS NOT NULL
                   THEN b.sold_kg || ' kg of trace code ' || b.trace_code || ' but received ' || b.received_kg || ' kg'
                   ELSE b.sold_qty || ' ' || b.qty_unit || ' of trace code ' || b.trace_code || ' but received '
                        || b.received_qty || ' ' || b.qty_unit END
           || ' (' || b.receipts || ' receipts, ' || b.sales || ' sales)' AS message,
       json_object('merchant_id', b.merchant_id, 'trace_code', b.trace_code, 'product', b.product,
                   'received_kg', b.received_kg, 'sold_kg', b.sold_kg, 'on_hand_kg', b.on_hand_kg,
                   'qty_unit', b.qty_unit, 'received_qty', b.received_qty, 'sold_qty', b.sold_qty,
                   'receipts', b.receipts, 'sales', b.sales,
                   'file_id', s.file_id, 'sheet', s.sheet, 'row', s.row_number) AS evidence
FROM coldchain_balances b
LEFT JOIN merchants m ON m.merchant_id = b.merchant_id
JOIN coldchain_sales s ON s.sale_id = (
    SELECT sb.sale_id FROM coldchain_sale_batches sb
    WHERE sb.merchant_id = b.merchant_id AND sb.trace_code = b.trace_code
    ORDER BY sb.sale_date DESC, sb.sale_id DESC LIMIT 1)
WHERE b.receipts > 0
  AND (b.on_hand_kg < -0.0005 OR (b.on_hand_kg IS NULL AND b.on_hand_qty < -0.0005))
