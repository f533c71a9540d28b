"""Carrier tracking webhooks through their handler, on DynamoDB Local and moto's Secrets Manager:
each provider's format with a valid, a forged, an unsigned and a duplicate delivery; out-of-order
scans; delivery resuming the workflow's carrier wait; exceptions recorded for support."""

from __future__ import annotations

import importlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.api.admin_schemas import StaffReturnOut
from boomerang.auth.principal import Principal
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.models import Order, OrderLine, Resolution, Return, Wait
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository
from local.apigw_events import LambdaContext, rest_event
from local.carrier_signing import WEBHOOK_SECRETS, sample, signed_headers
from tests.conftest import answer

NOW = datetime.now(UTC)
SAMPLES = {
    "easypost": ("easypost_in_transit", "easypost_delivered", "easypost_return_to_sender"),
    "aftership": ("aftership_in_transit", "aftership_delivered", "aftership_exception"),
    "17track": ("17track_in_transit", "17track_delivered", "17track_exception_returning"),
}


class RecordingEngine:
    def __init__(self) -> None:
        self.resumed: list[tuple[str, dict[str, Any]]] = []

    def start(self, rma: str) -> None:
        pass

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        self.resumed.append((token, output))
        return True


@pytest.fixture(scope="module")
def webhooks(local_aws: Any) -> Iterator[ModuleType]:
    manager = boto3.client("secretsmanager")
    for variable, value in WEBHOOK_SECRETS.values():
        name = f"boomerang/test/{variable.lower()}"
        manager.create_secret(Name=name, SecretString=value)
        os.environ[variable] = name
    yield importlib.import_module("functions.webhooks_carriers.handler")


@pytest.fixture
def engine(webhooks: ModuleType, monkeypatch: pytest.MonkeyPatch) -> RecordingEngine:
    recording = RecordingEngine()
    monkeypatch.setattr(webhooks.workflow, "engine", recording)
    return recording


def post(module: ModuleType, provider: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    event = rest_event(
        "POST",
        f"/webhooks/carriers/{provider}",
        resource="/webhooks/carriers/{provider}",
        path_parameters={"provider": provider},
        headers={"Content-Type": "application/json", **headers},
        body=body.decode(),
    )
    return answer(module.handler(event, LambdaContext()))


def signed(module: ModuleType, provider: str, body: bytes) -> tuple[int, Any]:
    return post(module, provider, body, signed_headers(provider, body, WEBHOOK_SECRETS[provider][1]))


def labelled(module: ModuleType, repo: Repository) -> Return:
    """An approved US return with its label issued (tracking number indexed with it)."""
    shop = f"trk-{uuid.uuid4().hex[:8]}"
    oid = uuid.uuid4().hex[:12]
    order = repo.upsert_order(
        Order(
            shop=shop,
            order_id=oid,
            order_number=f"#{oid}",
            customer_email=f"{oid}@customer.example.com",
            customer_country="US",
            currency="USD",
            ordered_at=NOW - timedelta(days=8),
            lines=[
                OrderLine(
                    line_id="L1",
                    sku="TEE",
                    category="apparel",
                    quantity=1,
                    unit_price=Money(amount=3900, currency="USD"),
                    delivered_at=NOW - timedelta(days=5),
                )
            ],
        )
    )
    service = ReturnsService(repo, lambda _: default_policy(), lambda: b"k" * 32)
    items = [RequestedItem(line_id="L1", quantity=1, reason="size_too_small")]
    request = ReturnRequest(order.order_id, items, Resolution.REFUND, {}, "en")
    ret = service.create_return(Principal(shop=shop), request, NOW)
    assert ret.status is S.APPROVED
    module.workflow.policy_for = lambda _shop: default_policy()
    # The workflow's label step (this function buys no labels): a sandbox label, as in test mode.
    flow = module.workflow
    labels = ReturnWorkflow(
        repo, flow.policy_for, flow.engine, SandboxCarrier(), SandboxPayments(), flow.clock
    )
    labels.issue_label(ret.rma)
    return repo.get_return(ret.rma)[0]


def state(repo: Repository, rma: str) -> tuple[int, int, int]:
    ret, timeline = repo.get_return(rma)
    return ret.version, len(timeline), len(repo.outbox_events(rma))


@pytest.mark.parametrize("provider", list(SAMPLES))
def test_valid_forged_unsigned_and_duplicate_deliveries(
    webhooks: ModuleType, repo: Repository, engine: RecordingEngine, provider: str
) -> None:
    ret = labelled(webhooks, repo)
    assert ret.label is not None
    body = sample(SAMPLES[provider][0], ret.label.tracking_number)
    before = state(repo, ret.rma)

    forged = signed_headers(provider, body, "not-the-secret")
    status, out = post(webhooks, provider, body, forged)
    assert (status, out["error"]["code"]) == (401, "webhook_signature_invalid")
    status, out = post(webhooks, provider, body, {})
    assert (status, out["error"]["code"]) == (401, "webhook_signature_missing")
    tampered = body.replace(b"InTransit", b"Delivered").replace(b'"in_transit"', b'"delivered"')
    status, _ = post(
        webhooks, provider, tampered, signed_headers(provider, body, WEBHOOK_SECRETS[provider][1])
    )
    assert status == 401
    assert state(repo, ret.rma) == before  # nothing changed

    status, out = signed(webhooks, provider, body)
    assert (status, out["result"], out["status"]) == (200, "moved", "in_transit")
    moved = state(repo, ret.rma)
    assert repo.get_return(ret.rma)[0].status is S.IN_TRANSIT

    status, again = signed(webhooks, provider, body)
    assert (status, again) == (200, out)  # the stored answer; nothing written twice
    assert state(repo, ret.rma) == moved


@pytest.mark.parametrize("provider", list(SAMPLES))
def test_delivered_resumes_the_carrier_wait_and_a_late_scan_does_not_move_it_back(
    webhooks: ModuleType, repo: Repository, engine: RecordingEngine, provider: str
) -> None:
    ret = labelled(webhooks, repo)
    assert ret.label is not None
    webhooks.workflow.hold(ret.rma, Wait.CARRIER, f"token-{ret.rma}")
    in_transit, delivered, _ = SAMPLES[provider]

    status, out = signed(webhooks, provider, sample(delivered, ret.label.tracking_number))
    assert (status, out["result"], out["status"]) == (200, "moved", "delivered")
    assert engine.resumed == [(f"token-{ret.rma}", {"rma": ret.rma, "status": "delivered"})]

    before = state(repo, ret.rma)
    status, out = signed(webhooks, provider, sample(in_transit, ret.label.tracking_number))
    assert (status, out["result"], out["status"]) == (200, "ignored", "delivered")
    assert state(repo, ret.rma) == before
    assert repo.get_return(ret.rma)[0].status is S.DELIVERED


@pytest.mark.parametrize("provider", list(SAMPLES))
def test_an_exception_shows_on_the_return_and_emits_its_event_once(
    webhooks: ModuleType, repo: Repository, engine: RecordingEngine, provider: str
) -> None:
    ret = labelled(webhooks, repo)
    assert ret.label is not None
    tn = ret.label.tracking_number
    status, out = signed(webhooks, provider, sample(SAMPLES[provider][2], tn))
    assert (status, out["result"]) == (200, "exception_recorded")

    after, timeline = repo.get_return(ret.rma)
    assert after.status is S.LABEL_ISSUED  # the status does not move; support follows it up
    assert after.carrier_exception is not None
    assert after.carrier_exception.status in {"return_to_sender", "exception"}
    assert timeline[-1].event == "return.carrier_exception"
    shown = StaffReturnOut.of_staff(after, timeline).carrier_exception  # what staff see
    assert shown is not None and shown.tracking_number == tn and shown.status == "return_to_sender"
    events = [e for e in repo.outbox_events(ret.rma) if e["type"] == "return.carrier_exception"]
    assert len(events) == 1
    data = events[0]["data"]
    assert set(data) == {"rma", "order_id", "tracking_number", "carrier", "status", "detail"}
    assert (data["rma"], data["order_id"], data["tracking_number"]) == (ret.rma, ret.order_id, tn)
    assert data["status"] == "return_to_sender"
    assert "@" not in json.dumps(events[0])

    # The same news again under another event id (a carrier re-sending it) records nothing new.
    repeat = json.loads(sample(SAMPLES[provider][2], tn))
    if provider == "easypost":
        repeat["id"] = "evt_repeat_" + uuid.uuid4().hex
    elif provider == "aftership":
        repeat["event_id"] = str(uuid.uuid4())
    else:
        repeat["data"]["param"] = "resent"  # 17TRACK's derived id ignores it: a true duplicate
    before = state(repo, ret.rma)
    status, out = signed(webhooks, provider, json.dumps(repeat).encode())
    assert status == 200 and out["result"] in {"ignored", "exception_recorded"}
    assert state(repo, ret.rma) == before


def test_an_unknown_tracking_number_is_accepted_and_changes_nothing(webhooks: ModuleType) -> None:
    status, out = signed(webhooks, "easypost", sample("easypost_delivered", "9400100000000000000000"))
    assert (status, out["result"]) == (202, "unknown_tracking")


def test_a_signed_body_that_is_not_the_providers_shape_is_400(webhooks: ModuleType) -> None:
    status, out = signed(webhooks, "aftership", b'{"event": "tracking_update", "msg": {}}')
    assert (status, out["error"]["code"]) == (400, "malformed_webhook")
    status, out = signed(webhooks, "17track", b"not json")
    assert (status, out["error"]["code"]) == (400, "malformed_webhook")


def test_other_signed_events_are_acknowledged_and_ignored(webhooks: ModuleType) -> None:
    body = json.dumps(
        {"id": "evt_x", "object": "Event", "description": "batch.updated", "result": {}}
    ).encode()
    status, out = signed(webhooks, "easypost", body)
    assert (status, out["result"]) == (200, "ignored")


def test_an_unknown_provider_is_404(webhooks: ModuleType) -> None:
    status, out = post(webhooks, "fedex", b"{}", {})
    assert (status, out["error"]["code"]) == (404, "route_not_found")


@pytest.mark.parametrize("provider", ["easypost", "aftership", "17track"])
def test_a_signed_body_of_absurd_nesting_is_400_not_500(webhooks: ModuleType, provider: str) -> None:
    # Issue 13, item 2, where it applies to webhooks: only a holder of the secret can send it.
    status, body = signed(webhooks, provider, b"[" * 5000 + b"]" * 5000)
    assert (status, body["error"]["code"]) == (400, "malformed_webhook")
