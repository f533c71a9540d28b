"""The merchant CLI `boomerang` (cli/main.py). Not imported by any function; it needs the `cli`
extra (click), which the Lambda layer does not ship."""
