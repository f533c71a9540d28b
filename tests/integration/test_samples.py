"""Each sample event in events/samples/apigw goes through the handler as API Gateway would send it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local.apigw_events import LambdaContext
from scripts.make_samples import SAMPLE_RMA, SAMPLE_TOKEN, SAMPLES, build

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "events" / "samples" / "apigw"
# The samples' order was delivered on 2026-11-21; the test runs at a fixed time inside its window.
SAMPLE_NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES_DIR / f"{name}.json").read_text()))


@pytest.fixture
def at_sample_time(storefront: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr(storefront, "clock", lambda: SAMPLE_NOW)
    return storefront


def send(module: ModuleType, event: dict[str, Any]) -> tuple[int, Any]:
    result = module.handler(event, LambdaContext())
    return int(result["statusCode"]), json.loads(result["body"])


def with_rma(event: dict[str, Any], rma: str) -> dict[str, Any]:
    text = json.dumps(event).replace(SAMPLE_RMA, rma)
    return dict(json.loads(text))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_committed_samples_are_what_the_generator_makes(name: str) -> None:
    assert load(name) == build(name), "run `make samples` after changing scripts/make_samples.py"


def test_every_route_has_a_sample() -> None:
    from boomerang.api.routes import STOREFRONT_ROUTES

    covered = {(load(n)["httpMethod"], load(n)["resource"]) for n in SAMPLES}
    assert covered == set(STOREFRONT_ROUTES)


def test_samples_through_the_handler(at_sample_time: ModuleType) -> None:
    module = at_sample_time
    status, order = send(module, load("post_order"))
    assert status in (200, 201), order
    status, session = send(module, load("post_session"))
    assert status == 201, session
    assert session["order_id"] == "1001"
    status, elig = send(module, load("get_eligibility"))
    assert status == 200
    assert elig["lines"][0]["line_id"] == "1001-1"
    status, created = send(module, load("post_return"))
    assert status == 201, created
    assert created["decision"]["outcome"] == "approved"
    rma = created["rma"]
    status, read = send(module, with_rma(load("get_return"), rma))
    assert status == 200
    assert read["items"][0]["note"] == "Too tight on the shoulders"
    status, label = send(module, with_rma(load("get_label"), rma))
    assert (status, label["error"]["code"]) == (404, "label_not_issued")  # no workflow here: no label
    status, fulfilment = send(module, with_rma(load("post_exchange_fulfilment"), rma))
    assert status == 409, fulfilment  # no replacement order was requested for this return yet
    status, cancelled = send(module, with_rma(load("cancel_return"), rma))
    assert status == 200
    assert cancelled["status"] == "cancelled"
    status, refused = send(module, with_rma(load("post_evidence"), rma))
    assert status == 409 and refused["error"]["code"] == "evidence_not_expected"
    # Store credit: the sample customer gets credit for the sample return (as the workflow would
    # issue it), reads it and spends part of it at a checkout.
    from boomerang.domain.money import Money
    from boomerang.services.customers import customer_ref
    from boomerang.services.store_credit import StoreCredit

    ref = customer_ref("demo", "ada@example.com")
    credit = Money(amount=3900, currency="USD")
    items = StoreCredit(module.repo).issue_items("demo", ref, rma, credit, Money.zero("USD"), SAMPLE_NOW)
    module.repo.ddb.transact_write_items(TransactItems=items)
    status, account = send(module, load("get_store_credit"))
    assert status == 200, account
    assert rma in [e["rma"] for e in account["items"] if e["kind"] == "issue"]
    status, spent = send(module, load("post_store_credit_spend"))
    assert status == 201, spent
    assert spent["reference"] == "checkout-5001" and spent["amount"] == {"amount": "10.00", "currency": "USD"}
    status, product = send(module, load("post_product"))
    assert status in (200, 201), product
    assert [v["available"] for v in product["variants"]] == [12, 4]
    status, policy = send(module, load("get_policy"))
    assert status == 200
    assert policy["policy_id"] == "default"
    status, doc = send(module, load("get_openapi"))
    assert status == 200
    assert doc["info"]["title"] == "Boomerang storefront API"
    # Last: the sample customer signs out everywhere with the session's token.
    revoke = json.loads(json.dumps(load("revoke_sessions")).replace(SAMPLE_TOKEN, session["token"]))
    status, revoked = send(module, revoke)
    assert (status, revoked["revoked_at"]) == (200, "2026-11-26T10:00:00Z")
