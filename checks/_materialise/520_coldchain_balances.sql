-- Per merchant and trace code: every receipt and every sale of it summed, received, sold and on
-- hand. In kg when every one of them has a weight in kg (coldchain_sale_batches gives a sale's);
-- besides, in the one unit they are all written in, if they share one (e.g. all in 箱), so that
-- boxes without a stated weight still compare exactly with boxes.
DELETE FROM coldchain_balances;

INSERT INTO coldchain_balances (merchant_id, trace_code, product, receipts, sales, received_kg, sold_kg, on_hand_kg,
                                qty_unit, received_qty, sold_qty, on_hand_qty, unconverted,
                                first_received, last_received, first_sold, last_sold)
WITH moves AS (
    SELECT merchant_id, trace_code, 1 AS incoming, quantity, qty_unit, quantity_kg, received_date AS day, product
    FROM coldchain_batches
    WHERE trace_code IS NOT NULL
    UNION ALL
    SELECT s.merchant_id, sb.trace_code, 0, s.quantity, s.qty_unit, sb.quantity_kg, s.sale_date, s.product
    FROM coldchain_sales s
    JOIN coldchain_sale_batches sb ON sb.sale_id = s.sale_id
    WHERE sb.trace_code IS NOT NULL
),
summed AS (
    SELECT merchant_id, trace_code,
           COALESCE(max(CASE WHEN incoming = 1 THEN product END), max(product)) AS product,
           sum(incoming) AS receipts,
           sum(1 - incoming) AS sales,
           sum(incoming = 1 AND quantity_kg IS NULL) AS in_unknown,
           sum(incoming = 0 AND quantity_kg IS NULL) AS out_unknown,
           total(CASE WHEN incoming = 1 THEN quantity_kg END) AS in_kg,
           total(CASE WHEN incoming = 0 THEN quantity_kg END) AS out_kg,
           CASE WHEN count(DISTINCT lower(qty_unit)) = 1 AND count(qty_unit) = count(*)
                     AND count(quantity) = count(*) THEN min(qty_unit) END AS one_unit,
           total(CASE WHEN incoming = 1 THEN quantity END) AS in_qty,
           total(CASE WHEN incoming = 0 THEN quantity END) AS out_qty,
           min(CASE WHEN incoming = 1 THEN day END) AS first_received,
           max(CASE WHEN incoming = 1 THEN day END) AS last_received,
           min(CASE WHEN incoming = 0 THEN day END) AS first_sold,
           max(CASE WHEN incoming = 0 THEN day END) AS last_sold
    FROM moves
    GROUP BY merchant_id, trace_code
)
SELECT merchant_id, trace_code, product, receipts, sales,
       CASE WHEN in_unknown = 0 THEN round(in_kg, 3) END,
       CASE WHEN out_unknown = 0 THEN round(out_kg, 3) END,
       CASE WHEN in_unknown + out_unknown = 0 THEN round(in_kg - out_kg, 3) END,
       one_unit,
       CASE WHEN one_unit IS NOT NULL THEN in_qty END,
       CASE WHEN one_unit IS NOT NULL THEN out_qty END,
       CASE WHEN one_unit IS NOT NULL THEN round(in_qty - out_qty, 3) END,
       in_unknown + out_unknown,
       first_received, last_received, first_sold, last_sold
FROM summed;
