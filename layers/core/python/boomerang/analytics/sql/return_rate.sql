-- Units returned against units sold, by SKU, product, category, reason and country.
-- Sold: the lines of orders imported in the range; returned: the lines of returns requested in it.
-- A reason's rate is its units over all units sold (a reason is not a property of what was sold).
WITH facts AS (
  SELECT e.type, e.country, l.line.sku AS sku, l.line.product AS product, l.line.category AS category,
         l.line.reason AS reason, l.line.quantity AS quantity
  FROM events e
  CROSS JOIN UNNEST(e.lines) AS l (line)
  WHERE e.shop = :shop AND e.dt BETWEEN :from AND :to
    AND e.type IN ('order.imported', 'return.requested')
),
units AS (
  SELECT
    CASE WHEN type = 'order.imported' THEN quantity ELSE 0 END AS sold,
    CASE WHEN type = 'return.requested' THEN quantity ELSE 0 END AS returned,
    sku, product, category, reason, COALESCE(country, 'unknown') AS country
  FROM facts
),
by_dimension AS (
  SELECT 'sku' AS dimension, sku AS value, sold, returned FROM units
  UNION ALL SELECT 'product', product, sold, returned FROM units
  UNION ALL SELECT 'category', category, sold, returned FROM units
  UNION ALL SELECT 'country', country, sold, returned FROM units
  UNION ALL SELECT 'reason', reason, 0, returned FROM units WHERE reason IS NOT NULL
),
total AS (SELECT SUM(sold) AS sold FROM units)
SELECT
  d.dimension,
  d.value,
  CAST(CASE WHEN d.dimension = 'reason' THEN MAX(t.sold) ELSE SUM(d.sold) END AS BIGINT) AS units_sold,
  CAST(SUM(d.returned) AS BIGINT) AS units_returned,
  ROUND(
    CAST(SUM(d.returned) AS DOUBLE)
    / NULLIF(CAST(CASE WHEN d.dimension = 'reason' THEN MAX(t.sold) ELSE SUM(d.sold) END AS DOUBLE), 0),
    4
  ) AS return_rate
FROM by_dimension d
CROSS JOIN total t
GROUP BY d.dimension, d.value
ORDER BY d.dimension, units_returned DESC, d.value
