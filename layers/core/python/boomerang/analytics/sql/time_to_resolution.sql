-- Hours from the request to each stage, p50 and p90, for the returns requested in the range.
-- Later stages may fall after the range's end: they are read from its start on.
WITH requested AS (
  SELECT rma, MIN(occurred_at) AS requested_at
  FROM events
  WHERE shop = :shop AND dt BETWEEN :from AND :to AND type = 'return.requested'
  GROUP BY rma
),
stages AS (
  SELECT
    rma,
    CASE
      WHEN type IN ('return.approved', 'return.rejected') THEN 'decision'
      WHEN type = 'return.label_issued' THEN 'label'
      WHEN type = 'return.received' THEN 'receipt'
      WHEN type IN ('refund.succeeded', 'return.credited', 'return.exchanged') THEN 'refund'
    END AS stage,
    MIN(occurred_at) AS reached_at
  FROM events
  WHERE shop = :shop AND dt >= :from
    AND type IN ('return.approved', 'return.rejected', 'return.label_issued', 'return.received',
                 'refund.succeeded', 'return.credited', 'return.exchanged')
  GROUP BY 1, 2
),
hours AS (
  SELECT s.stage, CAST(date_diff('second', r.requested_at, s.reached_at) AS DOUBLE) / 3600 AS hours
  FROM requested r
  JOIN stages s ON s.rma = r.rma
)
SELECT
  stage,
  COUNT(*) AS returns,
  ROUND(approx_percentile(hours, 0.5), 2) AS p50_hours,
  ROUND(approx_percentile(hours, 0.9), 2) AS p90_hours
FROM hours
GROUP BY stage
ORDER BY CASE stage WHEN 'decision' THEN 1 WHEN 'label' THEN 2 WHEN 'receipt' THEN 3 ELSE 4 END
