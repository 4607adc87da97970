-- Every merchant keeping a cold-chain ledger here (a registered merchant), from its receipts
-- and sales: the name and market its rows give most often, what it did, and whom it trades
-- with among the registered merchants.
DELETE FROM merchants;

INSERT INTO merchants (merchant_id, name, market, role, receipts, sales, trace_codes, first_date, last_date,
                       buys_from_merchants, sells_to_merchants)
WITH rows AS (
    SELECT merchant_id, merchant, market, received_date AS day, 1 AS receipt, trace_code,
           supplier_merchant_id AS partner
    FROM coldchain_batches
    UNION ALL
    SELECT merchant_id, merchant, market, sale_date, 0, NULL, buyer_merchant_id
    FROM coldchain_sales
),
ids AS (SELECT DISTINCT merchant_id FROM rows)
SELECT i.merchant_id,
       (SELECT merchant FROM rows r WHERE r.merchant_id = i.merchant_id AND merchant IS NOT NULL
        GROUP BY merchant ORDER BY count(*) DESC, merchant LIMIT 1),
       (SELECT market FROM rows r WHERE r.merchant_id = i.merchant_id AND market IS NOT NULL
        GROUP BY market ORDER BY count(*) DESC, market LIMIT 1),
       CASE WHEN EXISTS (SELECT 1 FROM rows r JOIN ids o ON o.merchant_id = r.partner
                         WHERE r.merchant_id = i.merchant_id AND r.receipt = 0 AND r.partner <> i.merchant_id)
            THEN 'wholesale' ELSE 'retail' END,
       (SELECT count(*) FROM rows r WHERE r.merchant_id = i.merchant_id AND r.receipt = 1),
       (SELECT count(*) FROM rows r WHERE r.merchant_id = i.merchant_id AND r.receipt = 0),
       (SELECT count(DISTINCT trace_code) FROM rows r WHERE r.merchant_id = i.merchant_id AND r.receipt = 1),
       (SELECT min(day) FROM rows r WHERE r.merchant_id = i.merchant_id),
       (SELECT max(day) FROM rows r WHERE r.merchant_id = i.merchant_id),
       (SELECT count(DISTINCT r.partner) FROM rows r JOIN ids o ON o.merchant_id = r.partner
        WHERE r.merchant_id = i.merchant_id AND r.receipt = 1 AND r.partner <> i.merchant_id),
       (SELECT count(DISTINCT r.partner) FROM rows r JOIN ids o ON o.merchant_id = r.partner
        WHERE r.merchant_id = i.merchant_id AND r.receipt = 0 AND r.partner <> i.merchant_id)
FROM ids i;
