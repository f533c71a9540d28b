"""The Payments port for every shop of a deployment: money goes back the way it came.

For each refund the router reads where the order's money was taken
(boomerang.domain.payment_sources) and asks that provider, with the shop's own credentials
(boomerang.credentials, one secret per shop and provider):

| payment reference        | adapter         | shop secret                                              |
|--------------------------|-----------------|----------------------------------------------------------|
| gid://shopify/Order/<id> | ShopifyPayments | <prefix><shop>/shopify-admin                             |
| pi_..., ch_..., py_...   | StripePayments  | <prefix><shop>/stripe, else the deployment's Stripe secret |
| paypal:<capture id>      | PayPalPayments  | <prefix><shop>/paypal                                    |
| none of these            | -               | refused: `no_payment_reference`                          |

A shop in test mode (boomerang.domain.providers) gets the sandbox adapter, explicitly; an order
with no usable reference is refused there too (a sandbox never "refunds" what cannot be refunded).
A live shop never gets the sandbox: a missing or malformed secret is a PaymentConfigurationError
naming the secret to create (staff act; the customer is told nothing).

`payout` is finance's "pay by PayPal": a PayPal payout to the customer's PayPal account with the
shop's PayPal credentials (sandbox in test mode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from boomerang.credentials import CredentialsError, ShopCredentials
from boomerang.domain.models import DifferencePayment, Refund, ReplacementLine, Return
from boomerang.domain.money import Money
from boomerang.domain.payment_sources import Provider, payment_source
from boomerang.domain.providers import ProviderSettings
from boomerang.payments.port import PaymentConfigurationError, PaymentRequest, Payments, RefundRefused
from boomerang.payments.sandbox import SandboxPayments

M = TypeVar("M", bound=BaseModel)
# The names of a shop's secrets, after the prefix and the shop: boomerang/<shop>/<name>.
SECRET_NAMES = {Provider.STRIPE: "stripe", Provider.SHOPIFY: "shopify-admin", Provider.PAYPAL: "paypal"}


class StripeCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    api_key: str = Field(min_length=8, pattern=r"^(sk|rk)_")


class CredentialsSource(Protocol):
    def read(self, shop: str, provider: str, model: type[M]) -> M: ...

    def read_named(self, name: str, model: type[M]) -> M: ...

    def name(self, shop: str, provider: str) -> str: ...


class PaymentsRouter:
    def __init__(
        self,
        settings_of: Callable[[str], ProviderSettings],
        credentials: CredentialsSource | None = None,
        *,
        deployment_stripe_secret: str = "",
        sandbox: SandboxPayments | None = None,
        sessions: Callable[[Provider], Any] | None = None,
        stripe_http_client: Any = None,
    ):
        """`sessions(provider)` gives the HTTP session an adapter sends through (tests replay
        recorded replies there); `stripe_http_client` likewise for the Stripe SDK."""
        self.settings_of = settings_of
        self.credentials: CredentialsSource = credentials or ShopCredentials()
        self.deployment_stripe_secret = deployment_stripe_secret
        self.sandbox = sandbox or SandboxPayments()
        self.sessions = sessions or (lambda _provider: None)
        self.stripe_http_client = stripe_http_client
        # (shop, provider) -> (the credentials it was built with, the adapter): rebuilt on rotation.
        self._adapters: dict[tuple[str, Provider], tuple[BaseModel, Any]] = {}

    def refund(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None = None
    ) -> Refund:
        source = payment_source(payment_reference)
        if source is None:
            raise RefundRefused(
                "no_payment_reference",
                "The order carries no payment reference Boomerang can refund through "
                "(a Shopify order, a Stripe payment intent or charge, a PayPal capture).",
            )
        if self.settings_of(ret.shop).test_mode:
            return self.sandbox.refund(ret, amount, idempotency_key, payment_reference)
        adapter: Payments = self.adapter(ret.shop, source.provider)
        # Stripe takes the whole reference (pi_ or ch_); Shopify its order gid; PayPal the capture id.
        target = source.id if source.provider is Provider.PAYPAL else (payment_reference or "").strip()
        return adapter.refund(ret, amount, idempotency_key, target)

    def payout(
        self, ret: Return, amount: Money, idempotency_key: str, receiver_email: str, shop_name: str
    ) -> Refund:
        """Finance's "pay by PayPal": a PayPal payout to `receiver_email`, once per key."""
        if self.settings_of(ret.shop).test_mode:
            return self.sandbox.payout(ret, amount, idempotency_key, receiver_email, shop_name)
        adapter = self.adapter(ret.shop, Provider.PAYPAL)
        return adapter.payout(ret, amount, idempotency_key, receiver_email, shop_name)  # type: ignore[no-any-return]

    # --- a dearer replacement's difference (services/workflow/difference.py) ---------------------

    def request_payment(self, ret: Return, request: PaymentRequest) -> DifferencePayment:
        """A Shopify order's customer is invoiced by Shopify (a draft order invoice), any other
        customer pays a Stripe Checkout Session with the shop's Stripe key."""
        if self.settings_of(ret.shop).test_mode:
            return self.sandbox.request_payment(ret, request)
        source = payment_source(request.payment_reference)
        provider = Provider.SHOPIFY if source and source.provider is Provider.SHOPIFY else Provider.STRIPE
        return self.adapter(ret.shop, provider).request_payment(ret, request)  # type: ignore[no-any-return]

    def payment_state(self, ret: Return, payment: DifferencePayment) -> str:
        return self._collector(ret, payment).payment_state(payment.reference)  # type: ignore[no-any-return]

    def close_payment(self, ret: Return, payment: DifferencePayment) -> str:
        return self._collector(ret, payment).close_payment(payment.reference)  # type: ignore[no-any-return]

    def order_replacement(
        self, ret: Return, lines: list[ReplacementLine], payment_reference: str | None
    ) -> tuple[str, str] | None:
        """A Shopify order's replacement, made in Shopify (a completed zero-priced draft order):
        (its order gid, its name). None where the merchant is told by the exchange.order_requested
        event instead: any other order, and a shop in test mode."""
        source = payment_source(payment_reference)
        if source is None or source.provider is not Provider.SHOPIFY or self.settings_of(ret.shop).test_mode:
            return None
        adapter = self.adapter(ret.shop, Provider.SHOPIFY)
        return adapter.order_replacement(ret, lines, (payment_reference or "").strip())  # type: ignore[no-any-return]

    # --- an instant exchange's hold on the customer's card (services/workflow/instant.py) ----------

    def hold_card(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None, charge: bool
    ) -> tuple[str, str]:
        """(the hold's reference, authorized | charged); refused where the order was not paid
        through Stripe (instant exchanges hold a Stripe customer's saved card)."""
        if self.settings_of(ret.shop).test_mode:
            return self.sandbox.hold_card(ret, amount, idempotency_key, payment_reference, charge)
        source = payment_source(payment_reference)
        if source is None or source.provider is not Provider.STRIPE:
            raise RefundRefused("no_saved_payment_method", "Instant exchanges hold a Stripe payment's card.")
        stripe = self.adapter(ret.shop, Provider.STRIPE)
        return stripe.hold_card(ret, amount, idempotency_key, (payment_reference or "").strip(), charge)  # type: ignore[no-any-return]

    def capture_hold(self, ret: Return, reference: str, idempotency_key: str) -> str:
        return self._holder(ret, reference).capture_hold(reference, idempotency_key)  # type: ignore[no-any-return]

    def release_hold(self, ret: Return, reference: str) -> str:
        return self._holder(ret, reference).release_hold(reference)  # type: ignore[no-any-return]

    def _holder(self, ret: Return, reference: str) -> Any:
        if reference.startswith("pi_sbx_"):
            return self.sandbox
        return self.adapter(ret.shop, Provider.STRIPE)

    def _collector(self, ret: Return, payment: DifferencePayment) -> Any:
        if payment.provider == "sandbox":
            return self.sandbox
        return self.adapter(ret.shop, Provider(payment.provider))

    def adapter(self, shop: str, provider: Provider) -> Any:
        if provider is Provider.STRIPE:
            creds: BaseModel = self._stripe_credentials(shop)
        elif provider is Provider.SHOPIFY:
            from boomerang.payments.shopify_admin import ShopifyAdminCredentials

            creds = self._read(shop, provider, ShopifyAdminCredentials)
        else:
            from boomerang.payments.paypal import PayPalCredentials

            creds = self._read(shop, provider, PayPalCredentials)
        cached = self._adapters.get((shop, provider))
        if cached and cached[0] == creds:
            return cached[1]
        made = self._build(provider, creds)
        self._adapters[(shop, provider)] = (creds, made)
        return made

    def _build(self, provider: Provider, creds: Any) -> Any:
        # SDKs are imported here, by the first refund through them: a cold start pays for none.
        if provider is Provider.STRIPE:
            from boomerang.payments.stripe_payments import StripePayments

            return StripePayments.with_key(creds.api_key, self.stripe_http_client)
        if provider is Provider.SHOPIFY:
            from boomerang.payments.shopify_admin import ShopifyPayments

            return ShopifyPayments(creds, self.sessions(provider))
        from boomerang.payments.paypal import PayPalPayments

        return PayPalPayments(creds, self.sessions(provider))

    def _read(self, shop: str, provider: Provider, model: type[M]) -> M:
        try:
            return self.credentials.read(shop, SECRET_NAMES[provider], model)
        except CredentialsError as exc:
            raise PaymentConfigurationError(
                f"Shop {shop} has no usable {provider.value} credentials: {exc} "
                f"(create it as docs/PAYMENTS.md describes)"
            ) from None

    def _stripe_credentials(self, shop: str) -> StripeCredentials:
        try:
            return self.credentials.read(shop, SECRET_NAMES[Provider.STRIPE], StripeCredentials)
        except CredentialsError as exc:
            if not exc.missing or not self.deployment_stripe_secret:
                raise PaymentConfigurationError(
                    f"Shop {shop} has no usable Stripe credentials: {exc}"
                ) from None
        # One Stripe account for the whole deployment (the stack's own secret), as before shops
        # had their own: the same secret the Stripe webhook verifies signatures with.
        from boomerang.payments.secrets import StripeSecret

        try:
            secret = self.credentials.read_named(self.deployment_stripe_secret, StripeSecret)
        except CredentialsError as exc:
            raise PaymentConfigurationError(f"No Stripe credentials for shop {shop}: {exc}") from None
        if secret.sandbox:
            raise PaymentConfigurationError(
                f"The deployment's Stripe secret selects the sandbox, but shop {shop} is live: put the shop "
                "in test mode, or a Stripe key in the secret"
            )
        if not secret.api_key.startswith(("sk_", "rk_")):
            raise PaymentConfigurationError(
                f"The Stripe secret {self.deployment_stripe_secret} holds no secret key (sk_... or rk_...)"
            )
        return StripeCredentials(api_key=secret.api_key)
