"""Label cost per return by hub, against what sending every parcel back to the origin warehouse
would have cost: summed over the returns the `make demo` journeys create, read back from the table.

    .venv/bin/python -m bench.label_costs      # runs the demo on its own local stack, prints the section

Each return records its hub's cost and the origin fallback's cost (HubChoice); the label's own
cost where a label was issued. Returns that never got a label (rejected, cancelled, still in
review) cost nothing and are left out. Totals in different currencies are converted to USD at
the fixed reference rate below, stated with the figure; per-hub rows stay in their own currency.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boomerang.domain.models import Return
from boomerang.domain.money import Money

# Reference rates to USD for the cross-currency total only (not live; the per-hub rows need none).
TO_USD = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}


@dataclass
class HubRow:
    hub_id: str
    name: str
    returns: int = 0
    label_cost: Decimal = Decimal(0)
    label_currency: str = ""
    origin_cost: Decimal = Decimal(0)
    origin_currency: str = ""


def _decimal(money: Money) -> Decimal:
    return Decimal(money.amount) / 100


def usd(amount: Decimal, currency: str) -> Decimal:
    return amount * TO_USD[currency]


def summarize(returns: Iterable[Return]) -> list[HubRow]:
    rows: dict[str, HubRow] = {}
    for ret in returns:
        if ret.label is None:
            continue
        row = rows.setdefault(ret.hub.hub_id, HubRow(ret.hub.hub_id, ret.hub.name))
        row.returns += 1
        row.label_cost += _decimal(ret.label.cost)
        row.label_currency = ret.label.cost.currency
        row.origin_cost += _decimal(ret.hub.fallback_cost)
        row.origin_currency = ret.hub.fallback_cost.currency
    return sorted(rows.values(), key=lambda r: r.hub_id)


def section(rows: list[HubRow]) -> str:
    lines = [
        "## Return shipping: regional hubs against the origin warehouse (the demo journeys' returns)",
        "| hub | returns with a label | label cost | per return | to the origin instead | saving |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        saving = 1 - usd(r.label_cost, r.label_currency) / usd(r.origin_cost, r.origin_currency)
        lines.append(
            f"| {r.hub_id} ({r.name}) | {r.returns} | {r.label_currency} {r.label_cost:.2f} | "
            f"{r.label_currency} {r.label_cost / r.returns:.2f} | {r.origin_currency} {r.origin_cost:.2f} "
            f"| {saving:.0%} |"
        )
    paid = sum((usd(r.label_cost, r.label_currency) for r in rows), Decimal(0))
    origin = sum((usd(r.origin_cost, r.origin_currency) for r in rows), Decimal(0))
    count = sum(r.returns for r in rows)
    if origin:
        lines.append(
            f"| all | {count} | USD {paid:.2f} | USD {paid / count:.2f} | USD {origin:.2f} | "
            f"{1 - paid / origin:.0%} |"
        )
    lines.append("")
    rates = ", ".join(f"1 {c} = {v} USD" for c, v in TO_USD.items() if c != "USD")
    lines.append(
        "Label cost: the hub's cost per parcel as the sandbox carrier charges it (policies/default.json); "
        "the origin column is what the same parcels would have cost to the origin warehouse. "
        f"The 'all' row converts at fixed reference rates ({rates}), not live rates. "
        "The mix is the demo's (most journeys are US orders), not a merchant's."
    )
    return "\n".join(lines)


def returns_in_table(ddb: Any, table: str) -> list[Return]:
    """Every return in the table. A Scan: fine for a bench over a local table, never on a request path."""
    found: list[Return] = []
    params: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "sk = :sk",
        "ExpressionAttributeValues": {":sk": {"S": "RETURN"}},
    }
    while True:
        page = ddb.scan(**params)
        found += [Return.model_validate_json(item["doc"]["S"]) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def measure() -> tuple[bool, list[HubRow]]:
    """Stand up the local stack with its HTTP front, walk every demo journey, read the returns back."""
    import json

    from local.demo.data import DEMO_API_KEY, demo_orders, seed_hurried_shop, seed_shop
    from local.demo.runner import run_all
    from local.dynamodb_local import free_port
    from local.http_front import invoke, make_server
    from local.shopify import seed_shopify
    from local.stack import LocalStack

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    port = free_port()
    server = make_server("127.0.0.1", port)
    # Serving before anything can fail: shutdown() would wait for serve_forever forever otherwise.
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stack = LocalStack()
    try:
        stack.start()
        assert stack.storefront is not None and stack.workflow is not None
        seed_shop(stack.storefront.repo)
        seed_hurried_shop(stack.storefront.repo)
        seed_shopify(stack.storefront.repo)  # the Shopify journey's shop domain and app secret
        headers = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
        for order in demo_orders():
            invoke(stack.routes, "POST", "/v1/orders", headers, json.dumps(order))
        stack.serve_on(server)
        passed = run_all(f"http://127.0.0.1:{port}")
        repo = stack.storefront.repo
        return passed, summarize(returns_in_table(repo.ddb, repo.table))
    finally:
        server.shutdown()
        server.server_close()
        stack.stop()


def measure_in_own_process() -> tuple[bool, list[HubRow]]:
    """`measure` in a fresh Python: the functions' modules (and their clients) are imported once per
    process, so a second local stack in the process that ran one would talk to the first's ports."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "bench.label_costs", "--json"], capture_output=True, text=True, check=False
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [
        HubRow(**{**r, "label_cost": Decimal(r["label_cost"]), "origin_cost": Decimal(r["origin_cost"])})
        for r in found["rows"]
    ]
    return bool(found["passed"]) and done.returncode == 0, rows


if __name__ == "__main__":
    import json
    import sys
    from dataclasses import asdict

    ok, rows = measure()
    if "--json" in sys.argv:
        print(json.dumps({"passed": ok, "rows": [asdict(r) for r in rows]}, default=str))
    else:
        print()
        print(section(rows))
    raise SystemExit(0 if ok else 1)
