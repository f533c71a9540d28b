"""Who is calling: storefront servers by API key, customers by a short-lived signed token."""
