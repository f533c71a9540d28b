-- Refunds that failed in the range, by the provider's reason, and how each return was paid in the
-- end (`unpaid` while it is not). A return counts once per reason, with its last payment.
WITH failures AS (
  SELECT DISTINCT rma, reason
  FROM events
  WHERE shop = :shop AND dt BETWEEN :from AND :to AND type = 'refund.failed'
),
paid AS (
  SELECT rma, max_by(method, occurred_at) AS method
  FROM events
  WHERE shop = :shop AND dt >= :from AND type IN ('refund.succeeded', 'return.credited', 'return.exchanged')
  GROUP BY rma
)
SELECT
  f.reason,
  COALESCE(p.method, 'unpaid') AS paid_in_the_end,
  COUNT(*) AS returns
FROM failures f
LEFT JOIN paid p ON p.rma = f.rma
GROUP BY f.reason, COALESCE(p.method, 'unpaid')
ORDER BY f.reason, returns DESC, paid_in_the_end
