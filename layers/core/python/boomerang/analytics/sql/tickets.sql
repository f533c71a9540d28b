-- Tickets opened in the range by category and language, and how many had a first staff reply
-- within their priority's SLA (domain/tickets.py SLA; tests/unit/test_analytics_reports.py keeps
-- the hours below equal to it).
WITH opened AS (
  SELECT ticket_id, category, COALESCE(language, 'und') AS language, priority, MIN(occurred_at) AS opened_at
  FROM events
  WHERE shop = :shop AND dt BETWEEN :from AND :to AND type = 'ticket.opened'
  GROUP BY ticket_id, category, COALESCE(language, 'und'), priority
),
first_reply AS (
  SELECT ticket_id, MIN(occurred_at) AS replied_at
  FROM events
  WHERE shop = :shop AND dt >= :from AND type = 'ticket.replied' AND actor = 'staff'
  GROUP BY ticket_id
),
measured AS (
  SELECT
    o.category,
    o.language,
    CASE
      WHEN r.replied_at IS NULL THEN 0
      WHEN date_diff('second', o.opened_at, r.replied_at)
        <= 3600 * CASE o.priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 4 WHEN 'normal' THEN 8 ELSE 24 END
      THEN 1 ELSE 0
    END AS sla_met
  FROM opened o
  LEFT JOIN first_reply r ON r.ticket_id = o.ticket_id
)
SELECT
  category,
  language,
  COUNT(*) AS tickets,
  CAST(SUM(sla_met) AS BIGINT) AS first_response_in_sla,
  ROUND(CAST(SUM(sla_met) AS DOUBLE) / COUNT(*), 4) AS sla_share
FROM measured
GROUP BY category, language
ORDER BY tickets DESC, category, language
