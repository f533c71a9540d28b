"""One label per return, and an unused label handed back: the label step on DynamoDB Local with the
real EasyPost SDK talking over HTTP to the local stand-in (local/easypost.py, EasyPost's recorded
replies), as in test_label_journeys, at the level of the workflow's steps:

- a buy whose answer is lost (a timeout after EasyPost bought it) is resumed by the step's retry:
  the shipment recorded on the claim is retrieved, found bought, and nothing is bought twice;
- a step that still runs (its claim's lease not run out) makes a second invocation ask nobody;
  once the lease has run out, the purchase is resumed with the shipment it recorded;
- a return cancelled while its shipment was being created gets no label bought;
- a return that expired or was cancelled with its label unused hands it back through EasyPost's
  refund endpoint, once; a label cancelled while it was bought is handed back at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boomerang.auth.principal import Principal
from boomerang.carriers.easypost import EasyPostCarrier, easypost_client
from boomerang.carriers.fixed import OneCarrier
from boomerang.domain.models import Address, Order, OrderLine, Resolution, Wait
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.domain.providers import Mode, ProviderSettings
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.services.workflow import ReturnWorkflow
from boomerang.services.workflow.labels import LabelInProgress
from boomerang.store.records import Repository
from local.easypost import FakeEasyPost
from tests.integration.test_workflow_service import RecordingEngine

START = datetime.now(UTC)
SHOP = "label-once"
NEW_YORK = Address(name="Ada Lovelace", line1="350 5th Ave", city="New York", region="NY",
                   postal_code="10118", country="US")  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Flaky:
    """The SDK client, with a hook before one of its shipment calls returns (`on`: create or buy)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.hooks: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name != "shipment":
            return getattr(self.client, name)
        outer = self

        class Shipments:
            def __getattr__(self, call: str) -> Any:
                real = getattr(outer.client.shipment, call)

                def wrapped(*args: Any, **kwargs: Any) -> Any:
                    answer = real(*args, **kwargs)
                    hook = outer.hooks.pop(call, None)
                    if hook is not None:
                        hook()
                    return answer

                return wrapped

        return Shipments()


@pytest.fixture(scope="module")
def easypost() -> Iterator[FakeEasyPost]:
    fake = FakeEasyPost().start()
    yield fake
    fake.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(easypost: FakeEasyPost) -> Flaky:
    return Flaky(easypost_client("EZTK_label_once_not_real", easypost.api_base))


@pytest.fixture
def flow(repo: Repository, clock: Clock, client: Flaky) -> ReturnWorkflow:
    live = ProviderSettings(mode=Mode.LIVE)
    carrier = OneCarrier(EasyPostCarrier(lambda: client), live)
    return ReturnWorkflow(
        repo, lambda shop: default_policy(), RecordingEngine(), carrier, SandboxPayments(), clock
    )


def approved(repo: Repository, address: Address | None = NEW_YORK) -> str:
    oid = uuid.uuid4().hex[:12]
    repo.upsert_order(
        Order(shop=SHOP, order_id=oid, order_number=f"#{oid}", customer_email=f"{oid}@example.com",
              customer_country="US", currency="USD", ordered_at=START - timedelta(days=3),
              shipping_address=address,
              lines=[OrderLine(line_id="L1", sku="S1", category="apparel", quantity=1,
                               unit_price=Money(amount=2000, currency="USD"),
                               delivered_at=START - timedelta(days=1))])
    )  # fmt: skip
    service = ReturnsService(repo, lambda shop: default_policy(), lambda: b"k" * 32)
    request = ReturnRequest(oid, [RequestedItem(line_id="L1", quantity=1, reason="size_too_small")],
                            Resolution.REFUND, {}, "en")  # fmt: skip
    ret = service.create_return(Principal(shop=SHOP), request, START)
    assert ret.status is S.APPROVED
    return ret.rma


def asked(easypost: FakeEasyPost, since: int) -> list[tuple[str, str]]:
    return [(method, path.removeprefix("/v2")) for method, path, _ in easypost.requests[since:]]


def cancel(repo: Repository, rma: str) -> None:
    service = ReturnsService(repo, lambda shop: default_policy(), lambda: b"k" * 32)
    service.cancel_return(Principal(shop=SHOP), rma, datetime.now(UTC))


def test_a_buy_whose_answer_was_lost_is_resumed_without_a_second_label(
    repo: Repository, flow: ReturnWorkflow, easypost: FakeEasyPost, client: Flaky
) -> None:
    from easypost.errors.api.timeout_error import TimeoutError as EasyPostTimeout

    rma = approved(repo)
    since = len(easypost.requests)

    def lost() -> None:
        raise EasyPostTimeout("Request timed out.")

    client.hooks["buy"] = lost  # EasyPost bought the label; its answer never came
    with pytest.raises(Exception, match="EasyPost") as first:
        flow.issue_label(rma)
    assert type(first.value).__name__ == "CarrierUnavailable"  # the state machine retries this name
    held = repo.get_return(rma)[0]
    assert held.status is S.APPROVED and held.label_claim and held.label_claim.shipment_id
    shipment = held.label_claim.shipment_id

    assert flow.issue_label(rma)["status"] == "label_issued"  # the step's retry, at once
    ret, timeline = repo.get_return(rma)
    calls = asked(easypost, since)
    assert [c for c in calls if c[1].endswith("/buy")] == [("POST", f"/shipments/{shipment}/buy")]
    assert ("GET", f"/shipments/{shipment}") in calls  # the resumed step looked it up
    assert sum(1 for c in calls if c == ("POST", "/shipments")) == 1
    assert ret.label and ret.label.shipment_id == shipment and ret.label_claim is None
    events = [e.event for e in timeline]
    assert events.count("label.claimed") == 2 and "label.interrupted" in events
    assert events.count("return.label_issued") == 1


def test_a_step_still_running_makes_another_ask_nobody_until_its_lease_ends(
    repo: Repository, flow: ReturnWorkflow, easypost: FakeEasyPost, client: Flaky, clock: Clock
) -> None:
    rma = approved(repo)
    since = len(easypost.requests)

    class Stopped(BaseException):
        """Lambda ending the invocation at its timeout: no except clause of ours runs."""

    def killed() -> None:
        raise Stopped

    client.hooks["buy"] = killed
    with pytest.raises(Stopped):
        flow.issue_label(rma)
    bought = len(easypost.requests)
    with pytest.raises(LabelInProgress):  # the state machine's retry, while the lease holds
        flow.issue_label(rma)
    assert len(easypost.requests) == bought  # asked nobody

    clock.now = clock.now + timedelta(minutes=5)  # the lease has run out: the purchase resumes
    assert flow.issue_label(rma)["status"] == "label_issued"
    calls = asked(easypost, since)
    assert sum(1 for c in calls if c[1].endswith("/buy")) == 1
    assert sum(1 for c in calls if c == ("POST", "/shipments")) == 1


def test_a_return_cancelled_while_its_shipment_was_created_gets_nothing_bought(
    repo: Repository, flow: ReturnWorkflow, easypost: FakeEasyPost, client: Flaky
) -> None:
    rma = approved(repo)
    since = len(easypost.requests)
    client.hooks["create"] = lambda: cancel(repo, rma)
    assert flow.issue_label(rma)["status"] == "cancelled"
    assert not [c for c in asked(easypost, since) if c[1].endswith("/buy")]
    ret = repo.get_return(rma)[0]
    assert ret.label is None and ret.label_claim is None


def test_an_expired_label_is_refunded_with_the_carrier_once(
    repo: Repository, flow: ReturnWorkflow, easypost: FakeEasyPost
) -> None:
    rma = approved(repo)
    flow.issue_label(rma)
    label = repo.get_return(rma)[0].label
    assert label is not None
    assert flow.refund_unused_label(rma)["label_refund"] is None  # still in use: nothing asked
    flow.expire(rma, Wait.CARRIER)
    since = len(easypost.requests)
    assert flow.refund_unused_label(rma) == {"rma": rma, "status": "expired", "label_refund": "submitted"}
    assert flow.refund_unused_label(rma)["label_refund"] == "submitted"  # a retried step asks nothing
    assert [(m, p, b) for m, p, b in easypost.requests[since:]] == [
        (
            "POST",
            "/v2/refunds",
            {"refund": {"carrier": label.carrier, "tracking_codes": [label.tracking_number]}},
        )
    ]
    ret, timeline = repo.get_return(rma)
    assert ret.label and ret.label.refund_status == "submitted"
    assert [e.message for e in timeline if e.event == "label.refund"] == [
        f"The unused {label.carrier} label was handed back to the carrier for a refund (submitted)."
    ]


def test_a_label_bought_as_the_return_was_cancelled_is_handed_back_at_once(
    repo: Repository, flow: ReturnWorkflow, easypost: FakeEasyPost, client: Flaky
) -> None:
    rma = approved(repo)
    since = len(easypost.requests)
    client.hooks["buy"] = lambda: cancel(repo, rma)
    assert flow.issue_label(rma)["status"] == "cancelled"
    ret, timeline = repo.get_return(rma)
    assert ret.label and ret.label.refund_status == "submitted" and ret.label_claim is None
    assert [c for c in asked(easypost, since) if c[1] == "/refunds"] == [("POST", "/refunds")]
    assert "label.bought_late" in [e.event for e in timeline]


def test_a_test_mode_shops_order_without_an_address_gets_its_specimen_once(
    repo: Repository, clock: Clock
) -> None:
    from boomerang.carriers.factory import CarrierFactory

    flow = ReturnWorkflow(
        repo, lambda shop: default_policy(), RecordingEngine(),
        CarrierFactory(lambda shop: ProviderSettings(mode=Mode.TEST)), SandboxPayments(), clock,
    )  # fmt: skip
    rma = approved(repo, address=None)
    assert flow.issue_label(rma)["status"] == "label_issued"
    ret, timeline = repo.get_return(rma)
    assert ret.label and ret.label.specimen and ret.label_claim is None
    assert flow.issue_label(rma)["status"] == "label_issued"  # a retried step: nothing more
    assert [e.event for e in repo.get_return(rma)[1]] == [e.event for e in timeline]


def test_a_label_the_carrier_will_not_take_back_is_a_ticket_for_finance(
    repo: Repository, flow: ReturnWorkflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from boomerang.carriers.port import LabelRefused

    rma = approved(repo)
    flow.issue_label(rma)
    cancel(repo, rma)
    carrier = flow.carriers.for_hub(SHOP, "us-nj")

    def refused(label: Any) -> str:
        raise LabelRefused("EasyPost refused the refund: SHIPMENT.REFUND.UNAVAILABLE (422)")

    monkeypatch.setattr(carrier, "refund", refused)
    assert flow.refund_unused_label(rma)["label_refund"] == "not_refunded"
    assert flow.refund_unused_label(rma)["label_refund"] == "not_refunded"  # asked once
    outbox = repo.ddb.query(TableName=repo.table, KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": {"S": f"OUTBOX#{rma}"}})["Items"]  # fmt: skip
    types = [t for item in outbox for t in ("label.refund_failed", "label.refund") if t in json.dumps(item)]
    assert "label.refund_failed" in types  # the system tickets function opens finance's ticket on it
    (entry,) = [e for e in repo.get_return(rma)[1] if e.event == "label.refund"]
    assert entry.message.endswith("could not be refunded: label_refused.")
