-- Chain links: a sale to a registered merchant (buyer_merchant_id) and that merchant's receipt
-- of the same trace code dated on the sale day or up to [coldchain] match_window_days after it
-- (default 3), where the receipt names no supplier id or names the seller. The one place where
-- the window's date arithmetic is done (macros of db/macros/<engine>.sql); chain_break reads the links.
DELETE FROM coldchain_links;

INSERT INTO coldchain_links (sale_id, batch_id, trace_code, seller_id, buyer_id, sale_date, received_date,
                             days_apart, same_quantity)
WITH match_window AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'chain_match_window_days'), 3)
                AS INTEGER) AS days
)
SELECT s.sale_id, r.batch_id, sb.trace_code, s.merchant_id, r.merchant_id, s.sale_date, r.received_date,
       {{ days_between("s.sale_date", "r.received_date") }},
       CASE WHEN sb.quantity_kg IS NOT NULL AND r.quantity_kg IS NOT NULL
                THEN abs(sb.quantity_kg - r.quantity_kg) < 0.0005
            WHEN s.quantity IS NOT NULL AND r.quantity IS NOT NULL AND lower(s.qty_unit) = lower(r.qty_unit)
                THEN abs(s.quantity - r.quantity) < 0.0005 END
FROM coldchain_sales s
JOIN coldchain_sale_batches sb ON sb.sale_id = s.sale_id
JOIN coldchain_batches r ON r.merchant_id = s.buyer_merchant_id AND r.trace_code = sb.trace_code
WHERE sb.trace_code IS NOT NULL
  AND r.received_date >= s.sale_date
  AND r.received_date <= {{ add_days("s.sale_date", "(SELECT days FROM match_window)") }}
  AND (r.supplier_merchant_id IS NULL OR r.supplier_merchant_id = s.merchant_id);
