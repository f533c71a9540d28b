"""Outbound webhooks: per-shop subscriptions, signed deliveries, retries with backoff, dead letters."""
