"""`make local`: the storefront API on http://127.0.0.1:3000 over DynamoDB Local and moto.

The API functions run in WORKERS worker processes (default 4), each its own Lambda container
serving one request at a time, so concurrent requests race as they do on AWS (docs/LOCAL.md).
Ctrl-C stops it and everything it started.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sys
import time
import warnings
from typing import Any

from local.cognito import PASSWORD
from local.demo.data import (
    BRANDED_API_KEY,
    DEMO_API_KEY,
    DEMO_SHOP,
    branded_orders,
    demo_orders,
    go_live,
    seed_branded_shops,
    seed_hurried_shop,
    seed_live_shop,
    seed_shop,
    seed_swap_shop,
)
from local.http_front import invoke, make_server
from local.shopify import seed_shopify


def _fail(message: str) -> None:
    sys.stderr.write(f"make local: {message}\n")
    raise SystemExit(1)


def _usage(base: str) -> str:
    key = f"x-api-key: {DEMO_API_KEY}"
    return f"""
Boomerang storefront API: {base}   (OpenAPI: {base}/v1/openapi.json; for people: {base}/docs)
Customer pages: {base}/{DEMO_SHOP}/returns (the returns portal), {base}/{DEMO_SHOP}/track (the tracking page:
`make demo`'s delivered email links to it), {base}/{DEMO_SHOP}/policy (the policy page);
a second shop with its own branding: {base}/northwind/returns (order NW-7001, kenji@example.com)
Staff console: {base}/admin (sign in as support, warehouse, finance or admin, password {PASSWORD})
Demo shop '{DEMO_SHOP}', storefront API key: {DEMO_API_KEY}
Demo orders 1001 (US tee, auto-approve), 1002 (DE headphones, review), 1003 ($180 jacket, evidence),
1004 (delivered 45 days ago, window closed).

# import (or update) an order, as a storefront server does
curl -s -X POST {base}/v1/orders -H '{key}' -H 'Content-Type: application/json' -d '{{"order_id":"2001","order_number":"#2001","customer":{{"email":"sam@example.com","country":"US"}},"currency":"USD","ordered_at":"2026-11-20T10:00:00Z","lines":[{{"line_id":"2001-1","sku":"SOCK-3","title":"Socks","category":"apparel","quantity":2,"unit_price":{{"amount":"12.00","currency":"USD"}},"delivered_at":"2026-11-23T10:00:00Z"}}]}}'

# open a customer session (what a returns portal does): the token reaches order 1001 only
TOKEN=$(curl -s -X POST {base}/v1/sessions -H 'Content-Type: application/json' -d '{{"shop":"{DEMO_SHOP}","order_number":"#1001","email":"ada@example.com"}}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')

# what can be returned, until when
curl -s {base}/v1/orders/1001/eligibility -H "Authorization: Bearer $TOKEN"

# a size return under $50: approved at once
curl -s -X POST {base}/v1/returns -H "Authorization: Bearer $TOKEN" -H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' -d '{{"order_id":"1001","items":[{{"line_id":"1001-1","quantity":1,"reason":"size_too_small"}}],"resolution":"exchange"}}'

# electronics: pending review (storefront key this time)
curl -s -X POST {base}/v1/returns -H '{key}' -H 'Idempotency-Key: demo-2' -H 'Content-Type: application/json' -d '{{"order_id":"1002","items":[{{"line_id":"1002-1","quantity":1,"reason":"defective"}}],"resolution":"refund"}}'

# over $100: evidence first
curl -s -X POST {base}/v1/returns -H '{key}' -H 'Idempotency-Key: demo-3' -H 'Content-Type: application/json' -d '{{"order_id":"1003","items":[{{"line_id":"1003-1","quantity":1,"reason":"not_as_described"}}],"resolution":"refund"}}'

# read a return back with its decision and timeline (RMA from the answers above)
curl -s {base}/v1/returns/<RMA> -H '{key}'

# staff: sign in (users support, warehouse, finance, admin; password {PASSWORD}), see the review queue
STAFF=$(curl -s -X POST {base}/local/login -d '{{"username":"support","password":"{PASSWORD}"}}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["id_token"])')
curl -s "{base}/admin/v1/returns?shop={DEMO_SHOP}&status=pending_review" -H "Authorization: $STAFF"
curl -s -X POST {base}/admin/v1/returns/<REVIEW_RMA>/approve -H "Authorization: $STAFF" -H 'Content-Type: application/json' -d '{{"note":"checked photos"}}'

# the customer cancels the first return before shipping (its workflow ends)
curl -s -X POST {base}/v1/returns/<RMA>/cancel -H '{key}'

# the policy
curl -s {base}/v1/policy -H '{key}'

Carrier and payment news, until their webhooks exist: POST {base}/local/simulate/carrier
{{"rma": "...", "status": "in_transit"|"delivered"}} and {base}/local/simulate/payment
{{"rma": "...", "outcome": "succeeded"|"failed"}}. `make demo` walks every journey.

Each return runs on the real state machine (moto executes the synthesized definition; its task
functions run here). Ctrl-C stops the APIs, DynamoDB Local and moto.
"""


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "3000"))
    workers = int(os.environ.get("WORKERS", "4"))
    if shutil.which("java") is None:
        _fail(
            "Java 17 is needed for DynamoDB Local; install it (e.g. apt-get install openjdk-17-jre-headless)."
        )
    if shutil.which("node") is None:
        _fail(
            "Node.js is needed to synthesize the CDK app the local stack runs; install Node.js 20 or newer."
        )
    try:
        # Bind first, so a taken port fails before anything starts.
        server = make_server(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            _fail(f"port {port} on {host} is taken; stop what uses it or run `make local PORT=3001`.")
        raise

    from local import discovery
    from local.assets import make_asset_server
    from local.stack import LOCAL_SHOPS, LocalStack
    from local.template import cached_template

    warnings.filterwarnings("ignore", message="No application metrics to publish")

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # From here on a SIGTERM (e.g. from a supervisor) stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    stack = LocalStack()
    chosen = os.environ.get("ASSETS_PORT")
    assets_port = int(chosen or port + 1)
    try:
        try:
            assets = make_asset_server(host, assets_port).start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or chosen:
                raise
            # The API's port + 1 is taken and no port was asked for: any free one does, as the
            # pages name their assets' address.
            assets = make_asset_server(host, 0).start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            _fail(f"port {assets_port} (the pages' assets) is taken; run `make local ASSETS_PORT=...`.")
        raise
    stack.assets = (assets.base_url, assets.version)
    stack.pages_base_url = f"http://{host}:{port}"
    found_at = discovery.discovery_path()
    try:
        stack.start()
        if workers:
            stack.start_workers(workers)  # they import the API functions while the demo data loads
        assert stack.storefront is not None and stack.workflow is not None
        seed_shop(stack.storefront.repo)
        seed_hurried_shop(stack.storefront.repo)
        seed_live_shop(stack.storefront.repo)  # live labels from EasyPost (its local stand-in)
        seed_swap_shop(stack.storefront.repo)
        seed_shopify(stack.storefront.repo)  # demo.myshopify.com -> shop demo (local/shopify.py)
        seed_branded_shops(stack.storefront.repo)  # the pages' branding; a second shop, northwind
        for shop in LOCAL_SHOPS:  # live: payments and labels through the providers' local stand-ins
            go_live(stack.storefront.repo, shop)
        for key, orders in ((DEMO_API_KEY, demo_orders()), (BRANDED_API_KEY, branded_orders())):
            headers = {"x-api-key": key, "Content-Type": "application/json"}
            for order in orders:
                status, _, body = invoke(stack.routes, "POST", "/v1/orders", headers, json.dumps(order))
                if status >= 300:
                    _fail(f"loading demo order {order['order_id']} failed: {status} {body}")
        stack.serve_on(server)  # waits for the workers
        base = f"http://{host}:{port}"
        # The `boomerang` CLI finds this stack through the file (removed below, on the way out).
        try:
            discovery.write(
                found_at,
                discovery.local_outputs(cached_template(), stack.physical, base),
                {"dynamodb": stack.aws.ddb.endpoint, "*": stack.aws.moto_endpoint},
                PASSWORD,
            )
        except OSError as exc:  # the API still serves; only the CLI cannot find it
            sys.stderr.write(f"make local: could not write {found_at} for the boomerang CLI: {exc}\n")
        print(_usage(base), flush=True)
        served_by = f"{workers} worker processes" if workers else "this process, one request at a time"
        print(f"API functions served by {served_by}.", flush=True)
        print(f"Ready in {time.monotonic() - started:.1f} s: serving {base}", flush=True)

        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nStopping...", flush=True)
    finally:
        discovery.remove(found_at)
        server.server_close()
        assets.stop()
        stack.stop()
    print("Stopped.", flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # stopped while starting: everything started is already stopped
        print("\nStopped.", flush=True)
        sys.exit(130)
