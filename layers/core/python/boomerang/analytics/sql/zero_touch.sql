-- The share of returns requested in the range that no person touched: decided by the policy, and
-- either rejected or paid back without a failed refund. The rest, by why a person was needed (a
-- return can have several reasons): each rule that sent it to review or asked for evidence, a
-- staff decision, a failed refund; `open` for one still on its way with no person involved yet.
WITH requested AS (
  SELECT DISTINCT rma
  FROM events
  WHERE shop = :shop AND dt BETWEEN :from AND :to AND type = 'return.requested'
),
later AS (
  SELECT e.rma, e.type, e.actor, e.rules
  FROM events e
  JOIN requested r ON r.rma = e.rma
  WHERE e.shop = :shop AND e.dt >= :from
),
per_return AS (
  SELECT
    rma,
    MAX(CASE WHEN actor = 'staff' AND type IN ('return.approved', 'return.rejected') THEN 1 ELSE 0 END) AS staff,
    MAX(CASE WHEN type = 'refund.failed' THEN 1 ELSE 0 END) AS failed,
    MAX(CASE WHEN type IN ('return.pending_review', 'return.awaiting_evidence') THEN 1 ELSE 0 END) AS held,
    MAX(CASE WHEN type = 'return.rejected' THEN 1 ELSE 0 END) AS rejected,
    MAX(CASE WHEN type IN ('refund.succeeded', 'return.credited', 'return.exchanged') THEN 1 ELSE 0 END) AS paid
  FROM later
  GROUP BY rma
),
rule_reasons AS (
  SELECT DISTINCT l.rma, 'rule:' || u.rule_id AS reason
  FROM later l
  CROSS JOIN UNNEST(l.rules) AS u (rule_id)
  WHERE l.type IN ('return.pending_review', 'return.awaiting_evidence')
),
reasons AS (
  SELECT rma, 'zero_touch' AS reason FROM per_return
  WHERE staff = 0 AND failed = 0 AND held = 0 AND (rejected = 1 OR paid = 1)
  UNION ALL SELECT rma, reason FROM rule_reasons
  UNION ALL SELECT rma, 'review' FROM per_return
  WHERE held = 1 AND rma NOT IN (SELECT rma FROM rule_reasons)
  UNION ALL SELECT rma, 'staff_decision' FROM per_return WHERE staff = 1
  UNION ALL SELECT rma, 'refund_failed' FROM per_return WHERE failed = 1
  UNION ALL SELECT rma, 'open' FROM per_return
  WHERE staff = 0 AND failed = 0 AND held = 0 AND rejected = 0 AND paid = 0
),
total AS (SELECT COUNT(*) AS returns FROM requested)
SELECT
  r.reason,
  COUNT(DISTINCT r.rma) AS returns,
  ROUND(CAST(COUNT(DISTINCT r.rma) AS DOUBLE) / NULLIF(MAX(t.returns), 0), 4) AS share
FROM reasons r
CROSS JOIN total t
GROUP BY r.reason
ORDER BY CASE WHEN r.reason = 'zero_touch' THEN 0 ELSE 1 END, returns DESC, r.reason
