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
totals AS (
    SELECT merchant_id, sum(receipt) AS receipts, sum(1 - receipt) AS sales,
           count(DISTINCT trace_code) AS trace_codes, min(day) AS first_date, max(day) AS last_date
    FROM rows
    GROUP BY merchant_id
),
names AS (
    SELECT merchant_id, merchant AS name,
           ROW_NUMBER() OVER (PARTITION BY merchant_id ORDER BY count(*) DESC, merchant) AS n
    FROM rows WHERE merchant IS NOT NULL
    GROUP BY merchant_id, merchant
),
markets AS (
    SELECT merchant_id, market,
           ROW_NUMBER() OVER (PARTITION BY merchant_id ORDER BY count(*) DESC, market) AS n
    FROM rows WHERE market IS NOT NULL
    GROUP BY merchant_id, market
),
partners AS (
    SELECT r.merchant_id, r.receipt, count(DISTINCT r.partner) AS n
    FROM rows r
    JOIN totals o ON o.merchant_id = r.partner
    WHERE r.partner <> r.merchant_id
    GROUP BY r.merchant_id, r.receipt
)
SELECT t.merchant_id, n.name, m.market,
       CASE WHEN COALESCE(sold_to.n, 0) > 0 THEN 'wholesale' ELSE 'retail' END,
       t.receipts, t.sales, t.trace_codes, t.first_date, t.last_date,
       COALESCE(bought_from.n, 0), COALESCE(sold_to.n, 0)
FROM totals t
LEFT JOIN names n ON n.merchant_id = t.merchant_id AND n.n = 1
LEFT JOIN markets m ON m.merchant_id = t.merchant_id AND m.n = 1
LEFT JOIN partners bought_from ON bought_from.merchant_id = t.merchant_id AND bought_from.receipt = 1
LEFT JOIN partners sold_to ON sold_to.merchant_id = t.merchant_id AND sold_to.receipt = 0;
