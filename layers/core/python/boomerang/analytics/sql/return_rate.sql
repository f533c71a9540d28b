-- Units returned against units sold, by SKU, product, category, reason and country.
-- Sold: the lines of orders imported in the range; returned: the lines of returns requested in it.
-- A reason's rate is its units over all units sold (a reason is not a property of what was sold).
WITH units AS (
  SELECT
    CASE WHEN e.type = 'order.imported' THEN l.line.quantity ELSE 0 END AS sold,
    CASE WHEN e.type = 'return.requested' THEN l.line.quantity ELSE 0 END AS returned,
    l.line.sku AS sku, l.line.product AS product, l.line.category AS category,
    l.line.reason AS reason, COALESCE(e.country, 'unknown') AS country
  FROM events e
  CROSS JOIN UNNEST(e.lines) AS l (line)
  WHERE e.shop = :shop AND e.dt BETWEEN :from AND :to
    AND e.type IN ('order.imported', 'return.requested')
),
-- One pass over the lines down to a few thousand groups; the five dimensions are cut from those.
fine AS (
  SELECT sku, product, category, country, reason, SUM(sold) AS sold, SUM(returned) AS returned
  FROM units
  GROUP BY sku, product, category, country, reason
),
grouped AS (
  SELECT
    CASE
      WHEN grouping(sku) = 0 THEN 'sku'
      WHEN grouping(product) = 0 THEN 'product'
      WHEN grouping(category) = 0 THEN 'category'
      WHEN grouping(country) = 0 THEN 'country'
      ELSE 'reason'
    END AS dimension,
    COALESCE(sku, product, category, country, reason) AS value,
    SUM(sold) AS sold,
    SUM(returned) AS returned
  FROM fine
  GROUP BY GROUPING SETS ((sku), (product), (category), (country), (reason))
),
total AS (SELECT SUM(sold) AS sold FROM grouped WHERE dimension = 'sku')
SELECT
  g.dimension,
  g.value,
  CAST(CASE WHEN g.dimension = 'reason' THEN t.sold ELSE g.sold END AS BIGINT) AS units_sold,
  CAST(g.returned AS BIGINT) AS units_returned,
  ROUND(
    CAST(g.returned AS DOUBLE)
    / NULLIF(CAST(CASE WHEN g.dimension = 'reason' THEN t.sold ELSE g.sold END AS DOUBLE), 0),
    4
  ) AS return_rate
FROM grouped g
CROSS JOIN total t
WHERE g.value IS NOT NULL
ORDER BY g.dimension, units_returned DESC, g.value
