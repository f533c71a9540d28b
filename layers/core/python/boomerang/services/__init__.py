"""Use cases: what the API (and later the workflow) asks of the library."""
