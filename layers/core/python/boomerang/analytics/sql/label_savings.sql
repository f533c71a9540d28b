-- Return labels issued in the range, by hub: what they cost against what a label to the origin
-- (the policy's fallback hub) would have cost. Minor units of `currency`.
SELECT
  hub,
  currency,
  COUNT(*) AS labels,
  CAST(SUM(label_cost) AS BIGINT) AS label_cost,
  CAST(SUM(origin_cost) AS BIGINT) AS origin_cost,
  CAST(SUM(origin_cost) - SUM(label_cost) AS BIGINT) AS saved,
  ROUND(CAST(SUM(origin_cost) - SUM(label_cost) AS DOUBLE) / NULLIF(CAST(SUM(origin_cost) AS DOUBLE), 0), 4)
    AS saved_share
FROM events
WHERE shop = :shop AND dt BETWEEN :from AND :to AND type = 'return.label_issued'
  AND label_cost IS NOT NULL AND origin_cost IS NOT NULL
GROUP BY hub, currency
ORDER BY saved DESC, hub, currency
