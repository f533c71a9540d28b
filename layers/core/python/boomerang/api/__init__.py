"""HTTP-facing shapes shared by the API handlers: request and response bodies, errors, auth."""
