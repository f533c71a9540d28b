"""DynamoDB storage: one table, keys in `keys`, records through the repositories."""
