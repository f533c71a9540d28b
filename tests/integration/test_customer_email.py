"""Customer emails through SES on moto (which checks the sender is verified and keeps every mail it
accepts): one email per event, in the customer's language, from the merchant's text where given."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from boomerang.domain.models import (
    Decision,
    HubChoice,
    Label,
    Order,
    OrderLine,
    Outcome,
    Refund,
    Resolution,
    Return,
    ReturnItem,
)
from boomerang.domain.money import Money
from boomerang.domain.status import ReturnStatus
from boomerang.notify.messages import message_for
from boomerang.notify.port import NotificationRefused
from boomerang.notify.ses import SesNotifier
from boomerang.notify.templates import EmailTemplate, catalogue, with_label_extras
from boomerang.store.records import Repository
from boomerang.store.templates import TemplateOverrides
from local.notifications import sent_mails

# Outside Lambda there is no remaining time to tell Powertools' idempotency about.
pytestmark = pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time left")

SENDER = "returns@shop.example"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EUR = Money(amount=5310, currency="EUR")


@pytest.fixture(scope="module")
def ses(local_aws: Any) -> Any:
    boto3.client("ses", endpoint_url=local_aws.moto_endpoint).verify_email_identity(EmailAddress=SENDER)
    return boto3.client("sesv2", endpoint_url=local_aws.moto_endpoint)


@pytest.fixture
def notifier(local_aws: Any, repo: Repository, ses: Any) -> SesNotifier:
    return SesNotifier(
        repo,
        TemplateOverrides(repo.table, repo.ddb, 0),
        SENDER,
        ses=ses,
        idempotency_table=local_aws.idempotency_table,
    )


def an_order(repo: Repository, locale: str | None, shop: str = "mail-test") -> Order:
    order_id = uuid.uuid4().hex[:12]
    return repo.upsert_order(
        Order(
            shop=shop,
            order_id=order_id,
            order_number=f"#{order_id[:6]}",
            customer_email=f"{order_id}@example.com",
            customer_country="DE",
            currency="EUR",
            ordered_at=NOW - timedelta(days=3),
            lines=[OrderLine(line_id="1", sku="EAR", category="general", quantity=1, unit_price=EUR)],
            locale=locale,
        )
    )


def a_return(order: Order, status: ReturnStatus, locale: str = "en") -> Return:
    return Return(
        rma=f"R{uuid.uuid4().hex[:8].upper()}",
        shop=order.shop,
        order_id=order.order_id,
        customer_ref="ref",
        status=status,
        resolution=Resolution.REFUND,
        locale=locale,
        items=[
            ReturnItem(
                line_id="1", sku="EAR", category="general", quantity=1, reason="defective", unit_price=EUR
            )
        ],
        decision=Decision(outcome=Outcome.APPROVED, rules=[], policy_version=1, decided_at=NOW),
        hub=HubChoice(
            hub_id="eu-pl",
            name="Poland",
            country="PL",
            cost=Money(amount=420, currency="EUR"),
            fallback_hub_id="origin",
            fallback_cost=Money(amount=900, currency="EUR"),
        ),
        created_at=NOW,
        updated_at=NOW,
        label=Label(
            carrier="GLS",
            tracking_number="GLS123",
            cost=EUR,
            issued_at=NOW,
            valid_until=NOW + timedelta(days=14),
            url="https://labels.example/GLS123.pdf",
        ),
        refund=Refund(method=Resolution.REFUND, amount=EUR, status="succeeded"),
    )


def mails_to(order: Order) -> list[dict[str, str]]:
    return sent_mails(order.customer_email)


@pytest.mark.parametrize(
    ("order_locale", "return_locale", "language"),
    [
        ("de", "en", "de"),
        ("zh-CN", "en", "zh"),
        ("es-MX", "en", "es"),
        (None, "fr", "fr"),
        ("ja", "en", "en"),
    ],
)
def test_an_email_per_event_in_the_customers_language(
    notifier: SesNotifier, repo: Repository, order_locale: str | None, return_locale: str, language: str
) -> None:
    order = an_order(repo, order_locale)
    for status in (ReturnStatus.LABEL_ISSUED, ReturnStatus.REJECTED, ReturnStatus.REFUNDED):
        ret = a_return(order, status, return_locale)
        message = message_for(ret, reason="Gebrauchsspuren" if status is ReturnStatus.REJECTED else None)
        assert message is not None
        message_id = notifier.send(ret, message)
        sent = mails_to(order)[-1]
        assert sent["id"] == message_id
        assert (sent["to"], sent["from"]) == (order.customer_email, SENDER)
        expected = catalogue(language).templates[message.template]
        subject, body = expected.render(
            with_label_extras(
                {**catalogue(language).defaults, **message.values, "order_number": order.order_number}
            )
        )
        assert (sent["subject"], sent["body"]) == (subject, body)
        assert ret.rma in sent["subject"]
    assert len(mails_to(order)) == 3
    bodies = "\n".join(m["body"] for m in mails_to(order))
    assert "GLS" in bodies and "https://labels.example/GLS123.pdf" in bodies
    assert "EUR 53.10" in bodies


def test_the_same_event_delivered_twice_sends_one_email(notifier: SesNotifier, repo: Repository) -> None:
    order = an_order(repo, "fr")
    ret = a_return(order, ReturnStatus.REFUNDED)
    message = message_for(ret)
    assert message is not None
    first = notifier.send(ret, message)
    again = notifier.send(ret.model_copy(update={"version": ret.version + 1}), message)
    assert first == again
    assert len(mails_to(order)) == 1
    # Another status of the same return is another email.
    label = message_for(ret.model_copy(update={"status": ReturnStatus.LABEL_ISSUED}))
    assert label is not None
    notifier.send(ret, label)
    assert len(mails_to(order)) == 2


def test_an_unverified_sender_is_refused_by_ses(local_aws: Any, repo: Repository, ses: Any) -> None:
    unverified = SesNotifier(
        repo, TemplateOverrides(repo.table, repo.ddb, 0), "nobody@unverified.example", ses=ses
    )
    order = an_order(repo, "en")
    ret = a_return(order, ReturnStatus.REFUNDED)
    message = message_for(ret)
    assert message is not None
    with pytest.raises(NotificationRefused) as refused:
        unverified.send(ret, message)
    # SES's code only: the notify step writes it on the timeline and the return goes on.
    assert "MessageRejected" in str(refused.value)
    assert mails_to(order) == []


def test_refund_failed_takes_the_options_or_each_languages_default(
    notifier: SesNotifier, repo: Repository
) -> None:
    order = an_order(repo, "de")
    ret = a_return(order, ReturnStatus.REFUND_FAILED)
    default = message_for(ret)
    assert default is not None
    notifier.send(ret, default)
    assert catalogue("de").defaults["options"] in mails_to(order)[-1]["body"]
    other = a_return(order, ReturnStatus.REFUND_FAILED)
    given = message_for(other, options="- Gutschrift per Banküberweisung an die IBAN Ihrer Wahl")
    assert given is not None
    notifier.send(other, given)
    assert "IBAN Ihrer Wahl" in mails_to(order)[-1]["body"]


def test_a_shops_override_replaces_the_text_for_that_shop_and_language(
    notifier: SesNotifier, repo: Repository
) -> None:
    shop = f"brand-{uuid.uuid4().hex[:6]}"
    TemplateOverrides(repo.table, repo.ddb).put(
        shop,
        "de",
        "return.refunded",
        EmailTemplate(subject="Geld zurück: $rma", body="$amount sind unterwegs."),
    )
    ours, theirs, english = an_order(repo, "de", shop), an_order(repo, "de"), an_order(repo, "en", shop)
    for order in (ours, theirs, english):
        ret = a_return(order, ReturnStatus.REFUNDED)
        message = message_for(ret)
        assert message is not None
        notifier.send(ret, message)
    assert mails_to(ours)[-1]["subject"].startswith("Geld zurück: R")
    assert mails_to(ours)[-1]["body"] == "EUR 53.10 sind unterwegs."
    assert mails_to(theirs)[-1]["subject"].startswith("Ihre Erstattung")  # another shop: the library's
    assert mails_to(english)[-1]["subject"].startswith("Your refund")  # another language


@pytest.mark.parametrize(
    ("failure_reason", "steps"),
    [
        ("charge_disputed", "options_dispute"),
        ("insufficient_funds", "options_retry"),
        ("charge_already_refunded", "options_checking"),
        ("expired_or_canceled_card", "options"),
    ],
)
@pytest.mark.parametrize("language", ["de", "zh", "fr"])
def test_a_refund_failure_names_its_next_steps_in_the_customers_language(
    notifier: SesNotifier, repo: Repository, failure_reason: str, steps: str, language: str
) -> None:
    order = an_order(repo, language)
    failed = Refund(method=Resolution.REFUND, amount=EUR, status="failed", failure_reason=failure_reason)
    ret = a_return(order, ReturnStatus.REFUND_FAILED).model_copy(update={"refund": failed})
    message = message_for(ret)
    assert message is not None
    notifier.send(ret, message)
    body = mails_to(order)[-1]["body"]
    texts = catalogue(language).defaults
    assert texts[steps] in body
    # Only that one: a disputed payment never reads "choose another way to be paid".
    assert all(texts[other] not in body for other in texts if other.startswith("options") and other != steps)


@pytest.mark.parametrize(
    ("order_locale", "language"), [("de", "de"), ("zh-CN", "zh"), ("es-MX", "es"), ("fr", "fr"), (None, "en")]
)
def test_a_refused_upload_is_explained_in_the_customers_language(
    notifier: SesNotifier, repo: Repository, order_locale: str | None, language: str
) -> None:
    from boomerang.notify.messages import evidence_refused

    order = an_order(repo, order_locale)
    ret = a_return(order, ReturnStatus.AWAITING_EVIDENCE)
    message = evidence_refused(ret, "too_short", "a" * 32)
    assert message.body.startswith("We could not accept") and "too short" in message.body  # English kept
    notifier.send(ret, message)
    # A second refusal of the same return is another email (each offer's refusal is sent once).
    notifier.send(ret, evidence_refused(ret, "not_a_video", "b" * 32))
    notifier.send(ret, evidence_refused(ret, "not_a_video", "b" * 32))
    first, second = mails_to(order)
    texts = catalogue(language)
    assert ret.rma in first["subject"] and texts.defaults["evidence_too_short"] in first["body"]
    assert texts.defaults["evidence_not_a_video"] in second["body"]
    assert "$" not in first["subject"] + first["body"]
