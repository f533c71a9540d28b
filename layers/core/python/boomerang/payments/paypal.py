"""PayPal: refunds of PayPal captures through PayPal's official `paypal-server-sdk` (Payments v2,
`POST /v2/payments/captures/{id}/refund`), and finance's "pay by PayPal" through PayPal's Payouts
API (`POST /v1/payments/payouts`), which sends money to the customer's PayPal account: it pays,
it does not just record. The server SDK has no Payouts controller, so payouts are plain HTTPS on
the same session, with the SDK's OAuth token.

Credentials per shop: secret `<prefix><shop>/paypal`, {"client_id", "client_secret",
"environment": "live" | "sandbox"} ("sandbox" is PayPal's own sandbox, for a merchant trying
their PayPal app; a Boomerang shop in test mode never reaches PayPal at all).

Idempotency: a refund carries `PayPal-Request-Id` (PayPal stores it 45 days and answers a repeat
with the first refund); a payout carries it too, and its `sender_batch_id` is the attempt's key:
PayPal refuses a second batch with the same id for 30 days, naming the first, which is then read
and answered. Timeouts: boomerang.timeouts.PAYPAL per request; the SDK retries nothing itself.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import requests
from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.models import Refund, Resolution, Return
from boomerang.domain.money import Money
from boomerang.payments.port import PaymentConfigurationError, PaymentProviderUnavailable, RefundRefused
from boomerang.timeouts import PAYPAL, CallBudget

HOSTS = {"live": "https://api-m.paypal.com", "sandbox": "https://api-m.sandbox.paypal.com"}

# PayPal's refund refusals (Payments v2, captures.refund 422 issues) as refund failure reasons;
# the rest of its 422 issues are our request's or the account's fault: staff must look.
REFUSALS = {
    "CAPTURE_FULLY_REFUNDED": "charge_already_refunded",
    "REFUND_AMOUNT_EXCEEDED": "charge_already_refunded",
    "REFUND_TIME_LIMIT_EXCEEDED": "charge_expired_for_refund",
    "REFUND_NOT_ALLOWED": "payment_method_unusable",
    "PAYER_ACCOUNT_LOCKED_OR_CLOSED": "payment_method_unusable",
    "MAX_NUMBER_OF_REFUNDS_EXCEEDED": "payment_method_unusable",
    "PENDING_CAPTURE": "declined",
    "REFUND_FAILED_INSUFFICIENT_FUNDS": "insufficient_funds",
    "REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK": "charge_disputed",
    "TRANSACTION_DISPUTED": "charge_disputed",
}
# A capture's refund: COMPLETED is paid; PENDING settles later (e.g. an eCheck).
SETTLED = {"COMPLETED": "succeeded", "PENDING": "pending"}


class PayPalCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    client_id: str = Field(min_length=8)
    client_secret: str = Field(min_length=8)
    environment: Literal["live", "sandbox"] = "live"


def _issues(exc: Any) -> list[str]:
    return [str(getattr(d, "issue", "") or "") for d in (getattr(exc, "details", None) or [])]


class PayPalPayments:
    provider = "paypal"

    def __init__(
        self,
        credentials: PayPalCredentials,
        session: requests.Session | None = None,
        budget: CallBudget = PAYPAL,
    ):
        from paypalserversdk.configuration import Environment
        from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
        from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

        self.credentials = credentials
        self.session = session or requests.Session()
        self.budget = budget
        self.host = HOSTS[credentials.environment]
        self.client = PaypalServersdkClient(
            http_client_instance=self.session,
            # The session given is used as is: the SDK adds no retrying adapter of its own.
            override_http_client_configuration=False,
            timeout=budget.timeout_seconds,
            max_retries=0,
            environment=Environment.PRODUCTION if credentials.environment == "live" else Environment.SANDBOX,
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=credentials.client_id, o_auth_client_secret=credentials.client_secret
            ),
        )

    # --- refunds of captures ------------------------------------------------------------------

    def refund(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None = None
    ) -> Refund:
        """`payment_reference`: the capture id (boomerang.domain.payment_sources strips `paypal:`)."""
        from paypalserversdk.models.money import Money as PayPalMoney
        from paypalserversdk.models.refund_request import RefundRequest

        if not payment_reference:
            raise RefundRefused("no_payment_reference", "The order carries no PayPal capture.")
        body = RefundRequest(
            amount=PayPalMoney(currency_code=amount.currency, value=amount.decimal_string()),
            # Ids only (they show in PayPal's reports): the RMA, and the attempt's key.
            custom_id=idempotency_key[:127],
            invoice_id=f"{ret.rma}-{idempotency_key.rsplit(':', 1)[-1]}"[:127],
            note_to_payer=f"Refund of return {ret.rma}",
        )
        made = self._call(
            lambda: self.client.payments.refund_captured_payment(
                {
                    "capture_id": payment_reference,
                    "paypal_request_id": idempotency_key,
                    "prefer": "return=representation",
                    "body": body,
                }
            )
        )
        status = str(getattr(made, "status", "") or "")
        if status in ("FAILED", "CANCELLED"):
            raise RefundRefused("declined", f"PayPal refund {made.id} is {status}")
        paid = getattr(made, "amount", None)
        if paid is not None and str(paid.currency_code) != amount.currency:
            raise PaymentConfigurationError(
                f"PayPal refunded in {paid.currency_code}, the return is in {amount.currency}"
            )
        return Refund(
            method=Resolution.REFUND,
            amount=Money.parse(str(paid.value), amount.currency) if paid is not None else amount,
            status=SETTLED.get(status, "pending"),
            reference=str(made.id),
            paid_via="card",
            provider=self.provider,
        )

    def _call(self, request: Any) -> Any:
        from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
        from paypalserversdk.exceptions.api_exception import ApiException
        from paypalserversdk.exceptions.error_exception import ErrorException

        try:
            return request().body
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise PaymentProviderUnavailable(f"PayPal: {type(exc).__name__}") from exc
        except AuthValidationException as exc:
            raise PaymentConfigurationError("PayPal refused the client id and secret") from exc
        except ErrorException as exc:
            code = int(getattr(exc, "response_code", 0) or 0)
            issues = _issues(exc)
            refused = next((REFUSALS[i] for i in issues if i in REFUSALS), None)
            if refused:
                raise RefundRefused(refused, f"PayPal refused: {', '.join(issues)}") from exc
            if code == 409 or code == 429 or code >= 500:
                raise PaymentProviderUnavailable(f"PayPal: HTTP {code}") from exc
            raise PaymentConfigurationError(
                f"PayPal refused the request ({code} {getattr(exc, 'name', '')}: {', '.join(issues)})"
            ) from exc
        except ApiException as exc:
            code = int(getattr(exc, "response_code", 0) or 0)
            if code == 401:
                raise PaymentConfigurationError("PayPal refused the client id and secret") from exc
            if code >= 500 or code == 429:
                raise PaymentProviderUnavailable(f"PayPal: HTTP {code}") from exc
            raise PaymentConfigurationError(f"PayPal: HTTP {code}") from exc

    # --- payouts (finance's "pay by PayPal") --------------------------------------------------

    def payout(
        self, ret: Return, amount: Money, idempotency_key: str, receiver_email: str, shop_name: str
    ) -> Refund:
        """Pay `amount` to the PayPal account of `receiver_email` (the customer's; never logged).
        The batch is PENDING when PayPal accepts it; it reaches the customer within minutes, or
        waits 30 days for them to claim it (then returns to the merchant)."""
        token = self._token()
        payload = {
            "sender_batch_header": {
                "sender_batch_id": idempotency_key[:256],
                "email_subject": f"Your refund from {shop_name}"[:255],
                "email_message": f"Refund of your return {ret.rma}."[:1000],
            },
            "items": [
                {
                    "recipient_type": "EMAIL",
                    "amount": {"value": amount.decimal_string(), "currency": amount.currency},
                    "receiver": receiver_email,
                    "note": f"Refund of return {ret.rma}",
                    "sender_item_id": ret.rma[:63],
                }
            ],
        }
        response = self._http(
            "POST",
            "/v1/payments/payouts",
            token,
            json=payload,
            headers={"PayPal-Request-Id": idempotency_key},
        )
        body = response.json() if response.content else {}
        if response.status_code == 400 and self._duplicate(body):
            # This key's batch exists already (an earlier, interrupted try): answer that one.
            batch_id = self._duplicate(body)
            response = self._http("GET", f"/v1/payments/payouts/{batch_id}", token)
            body = response.json()
        if response.status_code in (200, 201):
            header = body.get("batch_header") or {}
            status = str(header.get("batch_status") or "")
            if status in ("DENIED", "CANCELED"):
                raise RefundRefused("declined", f"PayPal {status.lower()} the payout")
            return Refund(
                method=Resolution.REFUND,
                amount=amount,
                status="succeeded" if status == "SUCCESS" else "pending",
                reference=str(header["payout_batch_id"]),
                paid_via="paypal",
                provider=self.provider,
            )
        name = str(body.get("name") or "")
        if response.status_code == 429 or response.status_code >= 500:
            raise PaymentProviderUnavailable(f"PayPal payouts: HTTP {response.status_code}")
        if name == "INSUFFICIENT_FUNDS":
            raise RefundRefused(
                "insufficient_funds", "PayPal: the merchant's PayPal balance cannot cover the payout"
            )
        raise PaymentConfigurationError(f"PayPal refused the payout ({response.status_code} {name})")

    @staticmethod
    def _duplicate(body: dict[str, Any]) -> str | None:
        for detail in body.get("details") or []:
            if str(detail.get("field")) == "SENDER_BATCH_ID":
                for link in detail.get("link") or detail.get("links") or []:
                    href = str(link.get("href") or "")
                    if "/payouts/" in href:
                        return href.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        return None

    def _token(self) -> str:
        basic = base64.b64encode(
            f"{self.credentials.client_id}:{self.credentials.client_secret}".encode()
        ).decode()
        response = self._http(
            "POST",
            "/v1/oauth2/token",
            None,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        if response.status_code == 401:
            raise PaymentConfigurationError("PayPal refused the client id and secret")
        if response.status_code != 200:
            raise PaymentProviderUnavailable(f"PayPal token: HTTP {response.status_code}")
        return str(response.json()["access_token"])

    def _http(self, method: str, path: str, token: str | None, **kwargs: Any) -> requests.Response:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return self.session.request(
                method,
                self.host + path,
                headers=headers,
                timeout=(min(3.0, self.budget.timeout_seconds), self.budget.timeout_seconds),
                **kwargs,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise PaymentProviderUnavailable(f"PayPal: {type(exc).__name__}") from exc
