"""CRM integrations fed from the domain events (Klaviyo)."""
