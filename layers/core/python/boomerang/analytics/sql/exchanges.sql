-- Revenue kept by exchanges against money paid back, for returns settled in the range, per
-- currency (minor units). No rows until a return was settled by an exchange.
WITH settled AS (
  SELECT
    currency,
    CASE WHEN type = 'return.exchanged' THEN 'exchange'
         WHEN type = 'return.credited' THEN 'store_credit'
         ELSE 'refund' END AS resolution,
    amount
  FROM events
  WHERE shop = :shop AND dt BETWEEN :from AND :to
    AND type IN ('refund.succeeded', 'return.credited', 'return.exchanged')
),
per_currency AS (
  SELECT
    currency,
    COUNT(*) FILTER (WHERE resolution = 'exchange') AS exchanges,
    CAST(COALESCE(SUM(amount) FILTER (WHERE resolution = 'exchange'), 0) AS BIGINT) AS kept_by_exchanges,
    COUNT(*) FILTER (WHERE resolution = 'refund') AS refunds,
    CAST(COALESCE(SUM(amount) FILTER (WHERE resolution = 'refund'), 0) AS BIGINT) AS refunded,
    COUNT(*) FILTER (WHERE resolution = 'store_credit') AS credits,
    CAST(COALESCE(SUM(amount) FILTER (WHERE resolution = 'store_credit'), 0) AS BIGINT) AS credited
  FROM settled
  GROUP BY currency
)
SELECT
  currency, exchanges, kept_by_exchanges, refunds, refunded, credits, credited,
  ROUND(CAST(kept_by_exchanges AS DOUBLE) / NULLIF(CAST(kept_by_exchanges + refunded + credited AS DOUBLE), 0), 4)
    AS kept_share
FROM per_currency
WHERE exchanges > 0
ORDER BY currency
