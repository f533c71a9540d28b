-- How many customers returned how often in the range: counts only. Never a list of people: an
-- automated decision may not single a person out (GDPR Art. 22); the policy flags, a person decides.
WITH per_customer AS (
  SELECT customer_ref, COUNT(DISTINCT rma) AS returns
  FROM events
  WHERE shop = :shop AND dt BETWEEN :from AND :to AND type = 'return.requested' AND customer_ref IS NOT NULL
  GROUP BY customer_ref
),
bucketed AS (
  SELECT
    CASE WHEN returns = 1 THEN '1' WHEN returns = 2 THEN '2' WHEN returns <= 4 THEN '3-4' ELSE '5+' END
      AS returns_per_customer,
    returns
  FROM per_customer
)
SELECT
  returns_per_customer,
  COUNT(*) AS customers,
  CAST(SUM(returns) AS BIGINT) AS returns
FROM bucketed
GROUP BY returns_per_customer
ORDER BY returns_per_customer
