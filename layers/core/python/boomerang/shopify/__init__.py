"""Shopify as a source of orders: its webhook payloads, their signature, and their mapping onto orders."""

# Where each shop's Shopify app secret lives in Secrets Manager: <prefix><shop> (the webhook
# function may read these only; infra/cdk/constructs/shopify_webhooks.py).
APP_SECRET_PREFIX = "boomerang/shopify/"  # noqa: S105 (a name prefix, not a secret)
