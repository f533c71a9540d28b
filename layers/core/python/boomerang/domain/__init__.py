"""The returns domain in plain Python: no AWS, no Lambda events."""
