"""Customer notifications: what to tell the customer at each step, and a port to send it."""
