-- The batch each sale draws on, and its weight in kg.
-- Batch: the trace code the sale names; else, for a sale naming only a batch number, the one
-- trace code the seller's own receipts give for that batch number (none or several: NULL).
-- Weight: the sale's own kg (kg units, or boxes with a weight in its spec); else, for boxes, the
-- weight per box of the seller's receipts of that trace code in the same unit, when they all
-- agree on one. Otherwise NULL: a weight is never guessed.
DELETE FROM coldchain_sale_batches;

INSERT INTO coldchain_sale_batches (sale_id, merchant_id, sale_date, trace_code, matched_by, quantity_kg, kg_from)
WITH keyed AS (
    SELECT s.sale_id, s.merchant_id, s.sale_date, s.quantity, s.qty_unit, s.quantity_kg,
           CASE WHEN s.trace_code IS NOT NULL THEN s.trace_code
                WHEN s.batch_no IS NOT NULL THEN (
                    SELECT CASE WHEN count(DISTINCT r.trace_code) = 1 THEN max(r.trace_code) END
                    FROM coldchain_batches r
                    WHERE r.merchant_id = s.merchant_id AND r.batch_no = s.batch_no AND r.trace_code IS NOT NULL)
           END AS trace_code,
           CASE WHEN s.trace_code IS NOT NULL THEN 'trace_code' END AS named_by
    FROM coldchain_sales s
),
weighed AS (
    SELECT k.*,
           (SELECT CASE WHEN count(DISTINCT r.unit_kg) = 1 AND count(*) = count(r.unit_kg) THEN max(r.unit_kg) END
            FROM coldchain_batches r
            WHERE r.merchant_id = k.merchant_id AND r.trace_code = k.trace_code
              AND lower(r.qty_unit) = lower(k.qty_unit)) AS receipt_unit_kg
    FROM keyed k
)
SELECT sale_id, merchant_id, sale_date, trace_code,
       CASE WHEN trace_code IS NULL THEN NULL ELSE COALESCE(named_by, 'batch_no') END,
       COALESCE(quantity_kg, round(quantity * receipt_unit_kg, 6)),
       CASE WHEN quantity_kg IS NOT NULL THEN 'sale'
            WHEN quantity IS NOT NULL AND receipt_unit_kg IS NOT NULL THEN 'receipt' END
FROM weighed;
