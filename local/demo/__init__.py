"""`make demo` (`python -m local.demo [--base URL]`, or DEMO_BASE_URL): returns walked through
every journey a merchant sees on the local stack, each return's timeline printed.

    harness.py   Api (JSON over HTTP) and Journey (narration, checks, waits)
    journeys.py  the journeys the demo walks, in order: a new capability lists its own here
    runner.py    running them (on its own stack or a running one) and the report; main()
    returns.py   the core return journeys; carriers.py, events.py, evidence.py, shopify.py,
                 stripe.py, tickets.py: one module per capability
    data.py      the demo shops, API keys and orders that `make local`, the tests and benches seed

Nothing is imported here, so the local stack and the tests read data.py without the journeys.
"""
