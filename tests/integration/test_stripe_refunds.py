"""Stripe refunds end to end on DynamoDB Local and moto: the webhook handler (signature, once per
event id, order of events), refund failures and finance's other ways to pay, disputes, store credit."""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.errors import Conflict, Unprocessable
from boomerang.domain.models import Resolution, Return
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy, default_policy
from boomerang.domain.refund_failures import STRIPE_FAILURE_REASONS
from boomerang.domain.refunds import RefundTerms
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.port import PaymentProviderUnavailable, RefundRefused
from boomerang.payments.sandbox import SandboxPayments, sandbox_reference
from boomerang.services.store_credit import StoreCredit
from boomerang.services.workflow import ReturnWorkflow, refund_key
from boomerang.store.records import Repository
from local.apigw_events import LambdaContext, rest_event
from local.stripe_local import sample_event, stripe_signature
from tests.conftest import StaffApi, answer
from tests.integration.test_workflow_service import RecordingEngine, new_return

WEBHOOK_SECRET = "whsec_test_constructed_for_these_tests"
SECRET_NAME = "boomerang/test/stripe"


class CountingPayments(SandboxPayments):
    """The sandbox, counting refund requests that reached the provider per return (distinct keys)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.refuse: str | None = None
        self.unavailable = 0

    def refund(self, ret: Return, amount: Money, key: str, payment_reference: str | None = None) -> Any:
        self.calls += 1
        if self.unavailable:
            self.unavailable -= 1
            raise PaymentProviderUnavailable("429")
        if self.refuse:
            raise RefundRefused(self.refuse)
        return super().refund(ret, amount, key, payment_reference)


@pytest.fixture(scope="module")
def webhook(local_aws: Any) -> Iterator[ModuleType]:
    client = boto3.client("secretsmanager")
    value = json.dumps({"api_key": "sandbox", "webhook_secret": WEBHOOK_SECRET})
    try:
        client.create_secret(Name=SECRET_NAME, SecretString=value)
    except client.exceptions.ResourceExistsException:  # test_exchange_payments made it first
        client.put_secret_value(SecretId=SECRET_NAME, SecretString=value)
    os.environ["STRIPE_SECRET_NAME"] = SECRET_NAME
    try:
        yield importlib.import_module("functions.webhooks_stripe.handler")
    finally:
        os.environ.pop("STRIPE_SECRET_NAME", None)


@pytest.fixture
def payments() -> CountingPayments:
    return CountingPayments()


def flow_with(repo: Repository, payments: CountingPayments, policy: Policy | None = None) -> ReturnWorkflow:
    chosen = policy or default_policy()
    return ReturnWorkflow(
        repo, lambda shop: chosen, RecordingEngine(), SandboxCarrier(), payments, lambda: datetime.now(UTC)
    )


@pytest.fixture
def flow(repo: Repository, payments: CountingPayments) -> ReturnWorkflow:
    return flow_with(repo, payments)


def delivered(repo: Repository, flow: ReturnWorkflow, **kwargs: Any) -> Return:
    """A $20 size return, approved, labelled and delivered: the default policy refunds it on delivery."""
    ret = new_return(repo, price=2000, **kwargs)
    flow.issue_label(ret.rma)
    return flow.carrier_update(ret.rma, S.DELIVERED, "carrier:test")


def pending(repo: Repository, flow: ReturnWorkflow) -> Return:
    ret = delivered(repo, flow)
    assert flow.resolve(ret.rma)["status"] == "refund_pending"
    return repo.get_return(ret.rma)[0]


def post(
    module: ModuleType, event: dict[str, Any] | str, *, signature: str | None = None, at: int | None = None
) -> tuple[int, Any]:
    body = event if isinstance(event, str) else json.dumps(event)
    sig = signature if signature is not None else stripe_signature(body, WEBHOOK_SECRET, at)
    request = rest_event(
        "POST", "/webhooks/stripe", resource="/webhooks/stripe", headers={"Stripe-Signature": sig}, body=body
    )
    return answer(module.handler(request, LambdaContext(function_name="webhooks_stripe")))


def unique(name: str) -> str:
    return f"evt_test_{name}_{time.time_ns()}"


def event_types(repo: Repository, rma: str) -> list[str]:
    return [e["type"] for e in repo.outbox_events(rma)]


# --- the webhook --------------------------------------------------------------------------------


def test_refund_succeeded_settles_the_return(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType
) -> None:
    ret = pending(repo, flow)
    event = sample_event(
        "refund.updated.succeeded", ret.rma, refund_id=ret.refund.reference, event_id=unique("ok")
    )
    status, body = post(webhook, event)
    assert status == 200 and body["result"] == "refunded"
    assert repo.get_return(ret.rma)[0].status is S.REFUNDED


def test_ten_deliveries_of_one_event_concurrently_change_it_once(
    repo: Repository, flow: ReturnWorkflow, payments: CountingPayments, webhook: ModuleType
) -> None:
    ret = pending(repo, flow)
    event = sample_event(
        "refund.updated.succeeded", ret.rma, refund_id=ret.refund.reference, event_id=unique("dup")
    )
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: post(webhook, event), range(10)))
    codes = sorted(code for code, _ in answers)
    assert set(codes) <= {200, 409} and 200 in codes
    # And ten more, one after another: each gets the first answer.
    again = [post(webhook, event) for _ in range(10)]
    assert {code for code, _ in again} == {200} and all(b["result"] == "refunded" for _, b in again)
    stored, timeline = repo.get_return(ret.rma)
    assert stored.status is S.REFUNDED
    assert [e.event for e in timeline].count("refund.succeeded") == 1
    assert event_types(repo, ret.rma).count("refund.succeeded") == 1
    assert payments.calls == 1 and len(payments.requests) == 1  # one refund asked of the provider


@pytest.mark.parametrize("tamper", ["forged", "expired", "altered", "missing", "other_secret"])
def test_bad_signatures_are_refused_and_change_nothing(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType, tamper: str
) -> None:
    ret = pending(repo, flow)
    event = sample_event(
        "refund.updated.succeeded", ret.rma, refund_id=ret.refund.reference, event_id=unique(tamper)
    )
    body = json.dumps(event)
    if tamper == "forged":
        answered = post(webhook, body, signature=f"t={int(time.time())},v1={'0' * 64}")
    elif tamper == "expired":
        answered = post(webhook, body, at=int(time.time()) - 301)
    elif tamper == "altered":
        signature = stripe_signature(body, WEBHOOK_SECRET)
        answered = post(webhook, body.replace('"amount": 3900', '"amount": 390000'), signature=signature)
    elif tamper == "missing":
        answered = post(webhook, body, signature="")
    else:
        answered = post(webhook, body, signature=stripe_signature(body, "whsec_someone_else"))
    status, error = answered
    assert status == 400 and error["error"]["code"] == "invalid_signature"
    stored = repo.get_return(ret.rma)[0]
    assert stored.status is S.REFUND_PENDING and stored.version == ret.version
    # Refused before the idempotency record: the genuine event still goes through afterwards.
    assert post(webhook, event)[1]["result"] == "refunded"


def test_a_timestamp_inside_the_tolerance_is_accepted(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType
) -> None:
    ret = pending(repo, flow)
    event = sample_event(
        "refund.updated.succeeded", ret.rma, refund_id=ret.refund.reference, event_id=unique("late")
    )
    assert post(webhook, event, at=int(time.time()) - 290)[0] == 200


@pytest.mark.parametrize("body", ["[]", "5", "null", '"evt_x"', "true", '{"id": "evt_1"}', '{"id": 5}', "{"])
def test_a_signed_body_that_is_not_a_stripe_event_is_400(webhook: ModuleType, body: str) -> None:
    status, error = post(webhook, body)
    assert status == 400, error
    assert error["error"]["code"] in ("malformed_json", "malformed_webhook")


@pytest.mark.parametrize(("ahead", "accepted"), [(3600, False), (301 + 5, False), (240, True)])
def test_a_timestamp_ahead_by_more_than_the_tolerance_is_refused(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType, ahead: int, accepted: bool
) -> None:
    ret = pending(repo, flow)
    event = sample_event(
        "refund.updated.succeeded", ret.rma, refund_id=ret.refund.reference, event_id=unique("ahead")
    )
    status, body = post(webhook, event, at=int(time.time()) + ahead)
    if accepted:
        assert (status, body["result"]) == (200, "refunded")
        return
    assert (status, body["error"]["code"]) == (400, "invalid_signature")
    assert "future" in body["error"]["message"]
    stored = repo.get_return(ret.rma)[0]
    assert stored.status is S.REFUND_PENDING and stored.version == ret.version


@pytest.mark.parametrize("name", ["refund.updated.succeeded", "refund.failed", "charge.refunded"])
@pytest.mark.parametrize("refund_id", [None, "", 0])
def test_refund_news_without_a_refund_id_settles_nothing(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType, name: str, refund_id: Any
) -> None:
    ret = pending(repo, flow)
    event = sample_event(name, ret.rma, event_id=unique("noid"))
    obj = event["data"]["object"]
    for refund in obj["refunds"]["data"] if obj["object"] == "charge" else [obj]:
        if refund_id is None:
            refund.pop("id", None)
        else:
            refund["id"] = refund_id
    status, body = post(webhook, event)
    assert status == 200, body
    assert body["result"] == "unmatched"
    stored = repo.get_return(ret.rma)[0]
    assert stored.status is S.REFUND_PENDING and stored.version == ret.version


def test_succeeded_before_created_ends_refunded(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType
) -> None:
    ret = pending(repo, flow)
    ref = ret.refund.reference
    done = sample_event("refund.updated.succeeded", ret.rma, refund_id=ref, event_id=unique("upd"))
    created = sample_event("refund.created", ret.rma, refund_id=ref, event_id=unique("crt"))
    failed_late = sample_event(
        "refund.failed", ret.rma, refund_id=ref, event_id=unique("old"), status="pending"
    )
    assert post(webhook, done)[1]["result"] == "refunded"
    assert post(webhook, created)[1]["result"] == "unchanged"  # pending: no news
    assert post(webhook, failed_late)[1]["result"] == "unchanged"
    assert repo.get_return(ret.rma)[0].status is S.REFUNDED


def test_news_of_another_refund_changes_nothing(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType
) -> None:
    ret = pending(repo, flow)
    other = sample_event("refund.failed", ret.rma, refund_id="re_not_this_one", event_id=unique("other"))
    assert post(webhook, other)[1]["result"] == "refund_pending"
    assert repo.get_return(ret.rma)[0].status is S.REFUND_PENDING


@pytest.mark.parametrize("reason", STRIPE_FAILURE_REASONS)
def test_each_failure_reason_fails_the_refund_with_it(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType, reason: str
) -> None:
    ret = pending(repo, flow)
    event = sample_event("refund.failed", ret.rma, refund_id=ret.refund.reference, event_id=unique(reason),
                         failure_reason=reason)  # fmt: skip
    assert post(webhook, event)[1]["result"] == "refund_failed"
    stored = repo.get_return(ret.rma)[0]
    assert stored.status is S.REFUND_FAILED and stored.refund.failure_reason == reason
    assert (stored.dispute is not None) == (reason == "charge_for_pending_refund_disputed")
    failed = [e for e in repo.outbox_events(ret.rma) if e["type"] == "refund.failed"]
    assert len(failed) == 1
    assert {k: failed[0]["data"][k] for k in ("rma", "order_id", "failure_reason", "method")} == {
        "rma": ret.rma, "order_id": ret.order_id, "failure_reason": reason, "method": "card"
    }  # fmt: skip


def test_charge_refunded_and_the_legacy_refund_event_settle_too(
    repo: Repository, flow: ReturnWorkflow, webhook: ModuleType
) -> None:
    first, second = pending(repo, flow), pending(repo, flow)
    charge = sample_event(
        "charge.refunded", first.rma, refund_id=first.refund.reference, event_id=unique("ch")
    )
    legacy = sample_event(
        "charge.refund.updated", second.rma, refund_id=second.refund.reference, event_id=unique("lg")
    )
    assert post(webhook, charge)[1]["result"] == "refunded"
    assert post(webhook, legacy)[1]["result"] == "refunded"


def test_unknown_types_and_foreign_refunds_are_acknowledged(webhook: ModuleType) -> None:
    status, body = post(webhook, sample_event("plan.created", "K7Q-4M2-XAC", event_id=unique("plan")))
    assert status == 200 and body["result"] == "ignored"
    foreign = sample_event("refund.updated.succeeded", "K7Q-4M2-XAC", event_id=unique("foreign"))
    foreign["data"]["object"]["metadata"] = {}
    assert post(webhook, foreign)[1]["result"] == "not_ours"


def test_a_dispute_marks_the_return_and_nothing_refunds_it_again(
    repo: Repository, payments: CountingPayments, webhook: ModuleType, staff_api: StaffApi, admin: ModuleType
) -> None:
    charge = f"ch_test_{time.time_ns()}"
    flow = flow_with(repo, payments)
    ret = delivered(repo, flow)
    order = repo.get_order(ret.shop, ret.order_id)
    repo.upsert_order(order.model_copy(update={"payment_reference": charge}))
    flow.resolve(ret.rma)
    dispute = sample_event("charge.dispute.created", ret.rma, event_id=unique("dp"))
    dispute["data"]["object"]["charge"] = charge
    status, body = post(webhook, dispute)
    assert status == 200 and body["result"] == "disputed" and body["rmas"] == [ret.rma]
    stored = repo.get_return(ret.rma)[0]
    assert stored.dispute == dispute["data"]["object"]["id"]
    created = [e for e in repo.outbox_events(ret.rma) if e["type"] == "dispute.created"]
    assert created[0]["data"] == {"rma": ret.rma, "order_id": ret.order_id, "charge": charge,
                                  "dispute": stored.dispute}  # fmt: skip
    # Stripe then fails the pending refund; finance cannot pay it another way.
    failed = sample_event("refund.failed", ret.rma, refund_id=stored.refund.reference, event_id=unique("dpf"),
                          failure_reason="charge_for_pending_refund_disputed")  # fmt: skip
    assert post(webhook, failed)[1]["result"] == "refund_failed"
    admin.workflow.payments = payments
    status, error = staff_api.call("POST", f"/admin/v1/returns/{ret.rma}/refund", {"method": "store_credit"})
    assert status == 409 and error["error"]["code"] == "return_disputed"
    assert payments.calls == 1


# --- the resolve step: refusals, outages ----------------------------------------------------------


def test_a_refused_refund_goes_to_refund_failed_with_its_reason(
    repo: Repository, flow: ReturnWorkflow, payments: CountingPayments
) -> None:
    ret = delivered(repo, flow)
    payments.refuse = "payment_method_unusable"
    assert flow.resolve(ret.rma)["status"] == "refund_failed"
    stored = repo.get_return(ret.rma)[0]
    assert stored.refund.failure_reason == "payment_method_unusable" and stored.refund.status == "failed"
    assert "refund.failed" in event_types(repo, ret.rma)
    # A retried step does not ask again.
    assert flow.resolve(ret.rma)["status"] == "refund_failed" and payments.calls == 1


def test_an_outage_keeps_the_attempt_and_the_retry_reuses_the_key(
    repo: Repository, flow: ReturnWorkflow, payments: CountingPayments
) -> None:
    ret = delivered(repo, flow)
    payments.unavailable = 2
    for _ in range(2):
        with pytest.raises(PaymentProviderUnavailable):
            flow.resolve(ret.rma)
        # The provider may have paid: the attempt stays claimed (its lease given back), only it resumes.
        stored = repo.get_return(ret.rma)[0]
        assert stored.status is ret.status and stored.refund is None
        assert stored.payment_claim is not None and stored.payment_claim.key == refund_key(ret.rma, 1)
        assert stored.payment_claim.until <= flow.clock()
    assert flow.resolve(ret.rma)["status"] == "refund_pending"
    assert list(payments.requests) == [refund_key(ret.rma, 1)]
    assert flow.resolve(ret.rma)["status"] == "refund_pending" and payments.calls == 3


# --- finance's route --------------------------------------------------------------------------------


def failed_with(repo: Repository, flow: ReturnWorkflow, reason: str) -> Return:
    ret = pending(repo, flow)
    return flow.settlement(ret.rma, False, "payments:test", reason, ret.refund.reference)


def test_finance_pays_store_credit_at_once(
    repo: Repository, flow: ReturnWorkflow, staff_api: StaffApi, admin: ModuleType
) -> None:
    ret = failed_with(repo, flow, "lost_or_stolen_card")
    status, body = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/refund", {"method": "card"}, groups="finance"
    )
    assert status == 422 and body["error"]["code"] == "method_not_possible"
    status, body = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/refund", {"method": "store_credit"}, groups="support"
    )
    assert status == 403
    status, body = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/refund", {"method": "store_credit"}, groups="finance"
    )
    assert status == 200 and body["status"] == "credited" and body["refund"]["paid_via"] == "store_credit"
    account = StoreCredit(repo).account(ret.shop, ret.customer_ref, "USD")
    assert account.balance == Money(amount=2000, currency="USD")
    assert [e.rma for e in account.entries] == [ret.rma]
    assert "store_credit.issued" in event_types(repo, ret.rma)
    status, body = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/refund", {"method": "store_credit"}, groups="finance"
    )
    assert status == 409 and body["error"]["code"] == "refund_not_failed"


def test_finance_retries_the_card_with_a_new_attempt(
    repo: Repository, flow: ReturnWorkflow, payments: CountingPayments, staff_api: StaffApi, admin: ModuleType
) -> None:
    admin.workflow.payments = payments
    ret = failed_with(repo, flow, "declined")
    status, body = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/refund", {"method": "card"}, groups="finance"
    )
    assert status == 200 and body["status"] == "refund_pending"
    assert body["refund"]["attempt"] == 2 and body["refund"]["reference"] == sandbox_reference(
        refund_key(ret.rma, 2)
    )
    assert list(payments.requests) == [refund_key(ret.rma, 1), refund_key(ret.rma, 2)]


def test_finance_records_a_bank_transfer(repo: Repository, flow: ReturnWorkflow, staff_api: StaffApi) -> None:
    ret = failed_with(repo, flow, "expired_or_canceled_card")
    status, body = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/refund", {"method": "bank_transfer"}, groups="finance"
    )
    assert status == 422 and body["error"]["details"][0]["field"] == "reference"
    status, body = staff_api.call(
        "POST",
        f"/admin/v1/returns/{ret.rma}/refund",
        {"method": "bank_transfer", "reference": "SEPA-0042"},
        groups="finance",
    )
    assert status == 200 and body["status"] == "refunded" and body["refund"]["paid_via"] == "bank_transfer"
    assert "5-7 business days" in body["timeline"][-1]["message"]


# --- store credit ---------------------------------------------------------------------------------


def test_store_credit_with_a_bonus_issued_and_spent(repo: Repository, payments: CountingPayments) -> None:
    policy = default_policy().model_copy(update={"refunds": RefundTerms(store_credit_bonus_percent=10)})
    flow = flow_with(repo, payments, policy)
    ret = delivered(repo, flow, resolution=Resolution.STORE_CREDIT)
    assert flow.resolve(ret.rma)["status"] == "credited"
    assert flow.resolve(ret.rma)["status"] == "credited"  # a retried step issues nothing more
    credit = StoreCredit(repo)
    account = credit.account(ret.shop, ret.customer_ref, "USD")
    assert account.balance == Money(amount=2200, currency="USD")
    assert sorted(e.ref for e in account.entries) == ["bonus", "credit"]
    assert payments.calls == 0
    spent = credit.spend(
        ret.shop, ret.customer_ref, Money(amount=1500, currency="USD"), "order-2001", datetime.now(UTC)
    )
    assert spent.balance == Money(amount=700, currency="USD")
    assert [e.rma for e in spent.entries if e.kind == "spend"] == [ret.rma]
    with pytest.raises(Conflict):
        credit.spend(
            ret.shop, ret.customer_ref, Money(amount=100, currency="USD"), "order-2001", datetime.now(UTC)
        )
    with pytest.raises(Unprocessable):
        credit.spend(
            ret.shop, ret.customer_ref, Money(amount=701, currency="USD"), "order-2002", datetime.now(UTC)
        )
    assert credit.account(ret.shop, ret.customer_ref, "USD").balance == Money(amount=700, currency="USD")


# --- keys from Secrets Manager --------------------------------------------------------------------


def test_a_configuration_error_in_resolve_changes_nothing(repo: Repository, flow: ReturnWorkflow) -> None:
    from boomerang.payments.port import PaymentConfigurationError

    class Misconfigured(SandboxPayments):
        def refund(self, *args: Any, **kwargs: Any) -> Any:
            raise PaymentConfigurationError("Stripe: AuthenticationError")

    ret = delivered(repo, flow)
    flow.payments = Misconfigured()
    with pytest.raises(PaymentConfigurationError):
        flow.resolve(ret.rma)  # the state machine records it on the return and alarms
    stored = repo.get_return(ret.rma)[0]
    # Nothing reached the provider's money: the attempt is given back, any method may pay.
    assert stored.status is S.DELIVERED and stored.refund is None and stored.payment_claim is None


def test_finance_card_retry_during_an_outage_answers_503_and_changes_nothing(
    repo: Repository, flow: ReturnWorkflow, payments: CountingPayments, staff_api: StaffApi, admin: ModuleType
) -> None:
    ret = failed_with(repo, flow, "declined")
    payments.unavailable = 1
    admin.workflow.payments = payments
    path = f"/admin/v1/returns/{ret.rma}/refund"
    status, body = staff_api.call("POST", path, {"method": "card"}, groups="finance")
    assert status == 503 and body["error"]["code"] == "payment_provider_unavailable"
    stored = repo.get_return(ret.rma)[0]
    assert stored.status is S.REFUND_FAILED and stored.refund == ret.refund
    # The card may have been paid: only the card may resume this attempt, with its key.
    status, body = staff_api.call("POST", path, {"method": "store_credit"}, groups="finance")
    assert status == 409 and body["error"]["code"] == "payment_in_progress"
    assert body["error"]["details"][0]["method"] == "card" and body["error"]["details"][0]["resumable"]
    status, body = staff_api.call("POST", path, {"method": "card"}, groups="finance")
    assert status == 200 and body["refund"]["attempt"] == 2  # the same attempt, asked again
    assert list(payments.requests)[-1] == refund_key(ret.rma, 2)


def test_a_claim_whose_caller_stopped_is_resumed_by_its_method_once_its_lease_ends(
    repo: Repository, flow: ReturnWorkflow, payments: CountingPayments
) -> None:
    from boomerang.domain.models import PaymentClaim
    from boomerang.services.workflow.payment import PaymentInProgress

    ret = delivered(repo, flow)
    key = refund_key(ret.rma, 1)
    now = flow.clock()
    claim = PaymentClaim(attempt=1, method="card", key=key, amount=Money(amount=2000, currency="USD"),
                         actor="workflow", at=now, until=now + timedelta(seconds=120))  # fmt: skip
    held = flow.resolving.attempts.note(ret, "claimed by a step that was then stopped", "workflow",
                                        "payment.claimed", payment_claim=claim)  # fmt: skip
    with pytest.raises(PaymentInProgress):
        flow.resolve(ret.rma)  # its lease holds: another invocation asks nobody
    assert payments.calls == 0
    expired = claim.model_copy(update={"until": now - timedelta(seconds=1)})
    flow.resolving.attempts.note(held, "lease over", "workflow", "payment.claimed", payment_claim=expired)
    assert flow.resolve(ret.rma)["status"] == "refund_pending"
    assert list(payments.requests) == [key] and payments.calls == 1  # resumed with the same key
    assert repo.get_return(ret.rma)[0].payment_claim is None
