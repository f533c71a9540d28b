"""Domain events out: the outbox envelope, its versioned schemas, and publishing to EventBridge."""
