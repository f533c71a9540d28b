"""Boomerang: returns, refunds and post-purchase logistics for direct-to-consumer stores."""
