"""Support tickets: model, status table, SLA, classification, repository and service."""
