"""Shopify as a source of orders: its webhook payloads, their signature, and their mapping onto orders."""
