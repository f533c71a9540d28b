-- Outbound parcels by lane (the carrier from the warehouse, origin and destination country) in the
-- range: how many shipped and how many were delivered, door-to-door transit days of those delivered
-- (p50 and p90: what the tracking page's estimates come from), how many were late (each told once:
-- no news for the shop's quiet days, or past the lane's p90) and how many ran into an exception.
WITH shipments AS (
  SELECT
    type,
    reason,
    transit_hours,
    COALESCE(carrier, 'unknown') AS carrier,
    COALESCE(origin_country, '--') AS origin_country,
    COALESCE(destination_country, '--') AS destination_country
  FROM events
  WHERE shop = :shop AND dt BETWEEN :from AND :to
    AND type IN ('shipment.created', 'shipment.delivered', 'shipment.delayed', 'shipment.exception')
)
SELECT
  carrier,
  origin_country,
  destination_country,
  COUNT_IF(type = 'shipment.created') AS shipped,
  COUNT_IF(type = 'shipment.delivered') AS delivered,
  ROUND(approx_percentile(transit_hours, 0.5) / 24, 1) AS p50_transit_days,
  ROUND(approx_percentile(transit_hours, 0.9) / 24, 1) AS p90_transit_days,
  COUNT_IF(type = 'shipment.delayed') AS delayed,
  COUNT_IF(type = 'shipment.delayed' AND reason = 'past_p90') AS past_p90,
  COUNT_IF(type = 'shipment.exception') AS exceptions,
  COUNT_IF(type = 'shipment.exception' AND reason = 'customs_hold') AS customs_holds,
  COUNT_IF(type = 'shipment.exception' AND reason = 'failed_delivery') AS failed_deliveries,
  COUNT_IF(type = 'shipment.exception' AND reason = 'returned_to_sender') AS returned_to_sender
FROM shipments
GROUP BY carrier, origin_country, destination_country
ORDER BY shipped DESC, delivered DESC, carrier, origin_country, destination_country
