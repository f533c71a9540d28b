"""Refunds through Stripe, on the official `stripe` SDK (imported here only: the storefront never
loads it).

One refund per return and attempt: the idempotency key (`boomerang:<rma>:refund:<attempt>`) makes
a retried step, a retried Lambda or the SDK's own network retry ask Stripe once. The refund carries
the RMA in its metadata, so the webhook finds the return. Stripe refunds in the charge's currency;
the adapter refuses an answer in another currency than the return's.

Errors become the port's three kinds: rate limit, 5xx and connection errors ->
PaymentProviderUnavailable (retried with backoff by the state machine); authentication and
permission errors, an idempotency key reused with other parameters -> PaymentConfigurationError
(staff); a refusal of the payment (e.g. `payment_method_unusable`, `charge_disputed`) -> RefundRefused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe

from boomerang.domain.models import DifferencePayment, Refund, Resolution, Return
from boomerang.domain.money import Money
from boomerang.domain.payment_sources import Provider, SourceKind, payment_source
from boomerang.payments.port import (
    INSTANT,
    PURPOSE,
    PaymentConfigurationError,
    PaymentProviderUnavailable,
    PaymentRequest,
    RefundRefused,
)
from boomerang.timeouts import STRIPE

# Stripe's answer to a refund request that the payment cannot take; anything else is our error.
REFUSALS = frozenset(
    {
        "payment_method_unusable",
        "charge_disputed",
        "charge_already_refunded",
        "charge_expired_for_refund",
        "refund_disputed_payment",
        "insufficient_funds",
        "balance_insufficient",
    }
)
T = TypeVar("T")
_REASON_OF_CODE = {"refund_disputed_payment": "charge_disputed", "balance_insufficient": "insufficient_funds"}


class StripePayments:
    def __init__(self, client: stripe.StripeClient):
        self.client = client

    @classmethod
    def with_key(
        cls,
        api_key: str,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = STRIPE.attempts - 1,
    ) -> StripePayments:
        # The SDK's default waits 80 s per attempt: bounded here by boomerang.timeouts.STRIPE.
        client = http_client or stripe.RequestsClient(timeout=STRIPE.timeout_seconds)
        return cls(stripe.StripeClient(api_key, http_client=client, max_network_retries=max_network_retries))

    def refund(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None = None
    ) -> Refund:
        source = payment_source(payment_reference)
        if source is None or source.provider is not Provider.STRIPE:
            # A Shopify order id or a PayPal capture must never reach Stripe (it would refuse it as
            # invalid, and finance would chase a configuration error that is not one).
            raise RefundRefused("no_payment_reference", "The order has no Stripe charge or payment intent.")
        target = "payment_intent" if source.kind is SourceKind.PAYMENT_INTENT else "charge"
        params: dict[str, Any] = {
            target: source.id,
            "amount": amount.amount,
            "reason": "requested_by_customer",
            # Ids only: the webhook finds the return by its RMA.
            "metadata": {
                "rma": ret.rma,
                "shop": ret.shop,
                "order_id": ret.order_id,
                "currency": amount.currency,
                "idempotency_key": idempotency_key,
            },
        }
        made = _asking(
            lambda: self.client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        )
        if str(made.currency).upper() != amount.currency:
            raise PaymentConfigurationError(
                f"Stripe refunded in {str(made.currency).upper()}, the return is in {amount.currency}"
            )
        if made.status in ("failed", "canceled"):
            raise RefundRefused(str(getattr(made, "failure_reason", None) or "unknown"))
        return Refund(
            method=Resolution.REFUND,
            amount=Money(amount=int(made.amount), currency=amount.currency),
            status="pending",  # settled by the webhook (refund.created / refund.updated)
            reference=str(made.id),
            paid_via="card",
            provider="stripe",
        )

    # --- a dearer replacement's difference: a Checkout Session the customer pays -------------------

    def request_payment(self, ret: Return, request: PaymentRequest) -> DifferencePayment:
        """A Checkout Session (mode=payment) for the difference, once per key: a retried step gets
        the same session. It carries the RMA (metadata, client_reference_id, and on the payment
        intent), so `checkout.session.completed` finds the return. Stripe's default lifetime (24 h)
        is the longest the policy may wait; the workflow expires it earlier where the policy says."""
        amount = request.amount
        ids = {"rma": ret.rma, "shop": ret.shop, "order_id": ret.order_id, "purpose": PURPOSE}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": amount.currency.lower(),
                        "unit_amount": amount.amount,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "success_url": request.return_url,
            "cancel_url": request.return_url,
            "client_reference_id": ret.rma,
            "metadata": ids,
            "payment_intent_data": {"metadata": ids},
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        made = _asking(
            lambda: self.client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key},
            )
        )
        if str(made.currency or "").upper() != amount.currency or made.amount_total != amount.amount:
            raise PaymentConfigurationError(
                f"Stripe made a session of {made.amount_total} {made.currency}, asked {amount}"
            )
        return DifferencePayment(
            provider="stripe",
            reference=str(made.id),
            url=str(made.url),
            amount=amount,
            status=_state(made),
            requested_at=datetime.fromtimestamp(int(made.created), UTC),
        )

    def payment_state(self, reference: str) -> str:
        """open | paid | expired, as Stripe has the session now."""
        return _state(_asking(lambda: self.client.v1.checkout.sessions.retrieve(reference)))

    def close_payment(self, reference: str) -> str:
        """Expire an unpaid session, so a late payment cannot happen; "paid" where it was paid."""
        state = self.payment_state(reference)
        if state != "open":
            return state
        try:
            return _state(_asking(lambda: self.client.v1.checkout.sessions.expire(reference)))
        except PaymentConfigurationError:
            # Completed between the read and the expiry: Stripe refuses to expire it.
            return self.payment_state(reference)

    # --- an instant exchange: the replacement's value held on the customer's saved card -----------

    def hold_card(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str, charge: bool
    ) -> tuple[str, str]:
        """A PaymentIntent for `amount` off-session on the saved payment method of the order's
        payment intent: authorized only (capture_method=manual), or charged at once (`charge`,
        where an authorization would expire before the deadline). (its id, authorized | charged);
        a card that cannot be used (declined, needs the customer) is refused."""
        source = payment_source(payment_reference)
        if source is None or source.kind is not SourceKind.PAYMENT_INTENT:
            raise RefundRefused("no_saved_payment_method", "The order was not paid by a payment intent.")
        paid = _asking(lambda: self.client.v1.payment_intents.retrieve(source.id))
        method, customer = _id_of(paid.payment_method), _id_of(paid.customer)
        if not method or not customer:
            raise RefundRefused("no_saved_payment_method", "The order's card was not saved for later use.")
        params: dict[str, Any] = {
            "amount": amount.amount,
            "currency": amount.currency.lower(),
            "customer": customer,
            "payment_method": method,
            "off_session": True,
            "confirm": True,
            "capture_method": "automatic" if charge else "manual",
            "description": f"Instant exchange {ret.rma}: the replacement, until the return arrives",
            "metadata": {"rma": ret.rma, "shop": ret.shop, "order_id": ret.order_id, "purpose": INSTANT},
        }

        def create() -> Any:
            try:
                return self.client.v1.payment_intents.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            except stripe.CardError as exc:  # declined, or the bank wants the customer present
                raise RefundRefused(str(exc.code or "card_declined"), f"Stripe: {exc.code}") from exc

        made = _asking(create)
        states = {"requires_capture": "authorized", "succeeded": "charged"}
        if made.status not in states:
            raise RefundRefused(str(made.status), f"Stripe left the payment intent {made.status}")
        return str(made.id), states[str(made.status)]

    def capture_hold(self, reference: str, idempotency_key: str) -> str:
        _asking(
            lambda: self.client.v1.payment_intents.capture(
                reference, options={"idempotency_key": idempotency_key}
            )
        )
        return "captured"

    def release_hold(self, reference: str) -> str:
        _asking(lambda: self.client.v1.payment_intents.cancel(reference))
        return "released"


def _state(session: Any) -> str:
    if session.status == "complete" and session.payment_status in ("paid", "no_payment_required"):
        return "paid"
    return "expired" if session.status == "expired" else "open"


def _asking(call: Callable[[], T]) -> T:
    """`call` to Stripe, its errors mapped onto the port's three kinds."""
    try:
        return call()
    except (stripe.RateLimitError, stripe.APIConnectionError) as exc:
        raise PaymentProviderUnavailable(f"Stripe: {type(exc).__name__}") from exc
    except (stripe.AuthenticationError, stripe.PermissionError, stripe.IdempotencyError) as exc:
        detail = exc.user_message or exc.code
        raise PaymentConfigurationError(f"Stripe: {type(exc).__name__}: {detail}") from exc
    except stripe.InvalidRequestError as exc:
        code = str(exc.code or "")
        if code in REFUSALS:
            raise RefundRefused(_REASON_OF_CODE.get(code, code), f"Stripe refused: {code}") from exc
        raise PaymentConfigurationError(
            f"Stripe refused the request as invalid ({code or exc.http_status})"
        ) from exc
    except stripe.APIError as exc:
        # 5xx: Stripe's own failure; the same key may be asked again.
        raise PaymentProviderUnavailable(f"Stripe: {type(exc).__name__} {exc.http_status}") from exc
    except stripe.StripeError as exc:
        if exc.http_status is not None and exc.http_status >= 500:
            raise PaymentProviderUnavailable(f"Stripe: {exc.http_status}") from exc
        raise PaymentConfigurationError(f"Stripe: {type(exc).__name__}") from exc


def _id_of(value: Any) -> str | None:
    """An expandable field: its id, whether Stripe gave the id or the object."""
    if value is None:
        return None
    return str(value if isinstance(value, str) else value.id)
