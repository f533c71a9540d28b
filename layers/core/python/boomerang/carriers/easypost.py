"""EasyPost, through its official SDK: the return label bought for real.

One label per return, bought at most once (boomerang.services.workflow.labels: the attempt is
claimed on the return, its shipment id recorded as soon as EasyPost creates it, before it is bought;
a step retried after a timeout retrieves that shipment and buys it only if it has no postage yet).
A return shipment (`is_return`: EasyPost keeps the outbound roles, `from`
is the hub and `to` the customer, and swaps them on the label, so the parcel travels from the
customer to the hub), referenced by the RMA; the lowest rate within the hub's carriers and service
levels (policy data) and the shop's carrier accounts; the label bought; the carrier's QR code for
printer-free drop-off asked for (form `label_qr_code`, where the carrier offers one); a tracker
created so EasyPost's `tracker.updated` webhooks move the return. A label never used (the return
expired or was cancelled) is refunded through EasyPost's refund endpoint (`POST /v2/refunds`).

A parcel that crosses a customs border (boomerang.domain.customs) carries EasyPost customs info:
contents type `returned_goods`, the original order number as the invoice number (also in the
shipment's `invoice_number` option), one customs item per returned line (description, quantity,
value in the order's currency, weight, HS tariff number, origin). Where the carrier answers no
commercial invoice among the shipment's forms, Boomerang renders one (CN23 data) beside the label.

The SDK is imported by whoever builds the client (`easypost_client`), never at cold start of a
function that buys no labels; its timeout is boomerang.timeouts.EASYPOST per request. Errors:
a timeout, 429 or 5xx -> CarrierUnavailable (the step is retried); anything else the carrier
refuses -> LabelRefused with its error code, never its message (which may echo the address).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from boomerang.carriers.customs_invoice import render_invoice
from boomerang.carriers.labels import LabelStore
from boomerang.carriers.port import CarrierUnavailable, LabelRefused, NoRate
from boomerang.domain.customs import CustomsDeclaration
from boomerang.domain.labels import DEFAULT_PARCEL, OUNCE_GRAMS, LabelRequest
from boomerang.domain.models import Address, Hub, Label, Return
from boomerang.domain.money import Money
from boomerang.timeouts import EASYPOST

QR_FORM = "label_qr_code"
INVOICE_FORM = "commercial_invoice"


def easypost_client(api_key: str, api_base: str = "") -> Any:
    from easypost.easypost_client import EasyPostClient

    if api_base:  # `make local`'s fake EasyPost (local/easypost.py); EasyPost's own API otherwise
        return EasyPostClient(api_key, api_base=api_base, timeout=int(EASYPOST.timeout_seconds))
    return EasyPostClient(api_key, timeout=int(EASYPOST.timeout_seconds))


def _address(address: Address) -> dict[str, str]:
    fields = {
        "name": address.name,
        "company": address.company,
        "street1": address.line1,
        "street2": address.line2,
        "city": address.city,
        "state": address.region,
        "zip": address.postal_code,
        "country": address.country,
        "phone": address.phone,
    }
    return {k: v for k, v in fields.items() if v}


def to_minor_units(amount: str, currency: str) -> Money:
    """EasyPost's decimal rate string ("6.07") as integer minor units, never through a float."""
    return Money.parse(format(Decimal(amount).quantize(Decimal("0.01")), "f"), currency)


def customs_info(customs: CustomsDeclaration, signer: str) -> dict[str, Any]:
    """EasyPost's customs info for a returned parcel."""
    return {
        "contents_type": "returned_goods",
        "contents_explanation": customs.explanation,
        "customs_certify": True,
        "customs_signer": signer,
        "non_delivery_option": "return",
        "restriction_type": "none",
        # No US export filing for goods coming back (needed by EasyPost whenever a leg touches the US).
        "eel_pfc": "NOEEI 30.37(a)",
        "customs_items": [
            {
                "description": item.description,
                "quantity": item.quantity,
                "value": item.value.decimal_string(),
                "currency": item.value.currency,
                "weight": round(item.weight_grams / OUNCE_GRAMS, 1),
                "hs_tariff_number": item.hs_code,
                "origin_country": item.origin_country,
                "code": item.line_id,
            }
            for item in customs.items
        ],
    }


def _form_url(shipment: Any, form_type: str) -> str | None:
    for form in getattr(shipment, "forms", None) or []:
        if getattr(form, "form_type", None) == form_type and getattr(form, "form_url", None):
            return str(form.form_url)
    return None


class EasyPostCarrier:
    """`client` builds an EasyPostClient (its API key from the shop's secret); `labels` stores a
    commercial invoice Boomerang renders; `carrier_accounts` restricts rating to the shop's
    accounts (empty: every account of the key)."""

    def __init__(
        self,
        client: Callable[[], Any],
        sender_of: Callable[[Return], Address] | None = None,
        parcel: dict[str, float] | None = None,
        *,
        labels: LabelStore | None = None,
        carrier_accounts: list[str] | None = None,
    ):
        self._client = client
        self.sender_of = sender_of
        self.parcel = parcel or DEFAULT_PARCEL
        self.labels = labels
        self.carrier_accounts = carrier_accounts or []

    def buy_return_label(self, ret: Return, hub: Hub, valid_until: datetime, now: datetime) -> Label:
        """The older port (no customs): the customer's address from `sender_of`."""
        if self.sender_of is None:
            raise LabelRefused("EasyPost needs the customer's address: build a LabelRequest")
        return self.buy(
            LabelRequest(ret, hub, self.sender_of(ret), ret.order_id, valid_until, now, dict(self.parcel))
        )

    def buy(self, request: LabelRequest) -> Label:
        from easypost.errors.general.easypost_error import EasyPostError

        try:
            return self._buy(request)
        except EasyPostError as exc:
            raise _carrier_error(exc) from None

    def refund(self, label: Label) -> str:
        """Ask the carrier to refund a label never used: EasyPost's refund status ("submitted" while
        the carrier decides, then "refunded" or "rejected"). The workflow records the status on the
        label and asks once per label (boomerang.services.workflow.labels)."""
        from easypost.errors.general.easypost_error import EasyPostError

        try:
            client = self._client()
            refunds = client.refund.create(carrier=label.carrier, tracking_codes=[label.tracking_number])
        except EasyPostError as exc:
            raise _carrier_error(exc) from None
        first = refunds[0] if isinstance(refunds, list) else refunds
        return str(getattr(first, "status", "submitted") or "submitted")

    def _shipment_params(self, request: LabelRequest) -> dict[str, Any]:
        ret, hub = request.ret, request.hub
        options: dict[str, Any] = {"print_custom_1": ret.rma, "label_format": "PDF"}
        shipment_params: dict[str, Any] = {
            "is_return": True,
            "from_address": _address(hub.address),
            "to_address": _address(request.ship_from),
            "parcel": request.parcel or self.parcel,
            # The purchase attempt's reference (the RMA where no attempt names one): a retried
            # step finds its shipment by the id recorded on the attempt, and buys nothing twice.
            "reference": request.reference or ret.rma,
            "options": options,
        }
        if request.customs is not None:
            options["invoice_number"] = request.customs.invoice_number
            shipment_params["customs_info"] = customs_info(request.customs, request.signer or hub.name)
        if self.carrier_accounts:
            shipment_params["carrier_accounts"] = self.carrier_accounts
        return shipment_params

    def _buy(self, request: LabelRequest) -> Label:
        from easypost.errors.general.easypost_error import EasyPostError

        client = self._client()
        ret, hub = request.ret, request.hub
        bought = None
        if request.shipment_id:
            # A retried purchase: the shipment its attempt created, bought already or not yet.
            shipment = client.shipment.retrieve(request.shipment_id)
            if getattr(shipment, "postage_label", None) is not None and shipment.tracking_code:
                bought = shipment
        else:
            shipment = client.shipment.create(**self._shipment_params(request))
            if request.created is not None:
                request.created(str(shipment.id))  # recorded before anything is bought
        if bought is None:
            rate = shipment.lowest_rate(carriers=hub.carriers or None, services=hub.services or None)
            bought = client.shipment.buy(shipment.id, rate=rate)
        try:
            with_qr = client.shipment.generate_form(bought.id, QR_FORM)
            qr_code = _form_url(with_qr, QR_FORM)
        except EasyPostError:
            qr_code = None  # this carrier has no printer-free drop-off: the PDF label it is
        try:
            client.tracker.create(tracking_code=bought.tracking_code, carrier=bought.selected_rate.carrier)
        except EasyPostError as exc:
            # Bought already: never a refusal (which would start a purchase afresh), but retried,
            # and the retry finds the bought shipment and creates its tracker.
            raise CarrierUnavailable(f"EasyPost: tracker not created ({_carrier_error(exc)})") from None
        selected = bought.selected_rate
        postage = bought.postage_label
        label = Label(
            carrier=str(selected.carrier),
            tracking_number=str(bought.tracking_code),
            cost=to_minor_units(str(selected.rate), str(selected.currency)),
            issued_at=request.now,
            valid_until=request.valid_until,
            url=str(getattr(postage, "label_pdf_url", None) or postage.label_url),
            shipment_id=str(bought.id),
            qr_code_url=qr_code,
        )
        if request.customs is None:
            return label
        invoice_url = _form_url(bought, INVOICE_FORM)
        if invoice_url:
            return label.model_copy(update={"customs_invoice_url": invoice_url})
        if self.labels is None:
            return label
        pdf = render_invoice(request, label.carrier, label.tracking_number)
        key = self.labels.put_document(ret.shop, ret.rma, "customs", pdf)
        return label.model_copy(update={"customs_document_key": key})


def _carrier_error(exc: Exception) -> Exception:
    from easypost.errors.api.http_error import HttpError
    from easypost.errors.api.timeout_error import TimeoutError
    from easypost.errors.general.filtering_error import FilteringError

    status = int(getattr(exc, "http_status", 0) or 0)
    code = str(getattr(exc, "code", "") or type(exc).__name__)
    # HttpError: no answer at all (a connection error), as the SDK wraps it.
    if isinstance(exc, TimeoutError | HttpError) or status == 429 or status >= 500:
        return CarrierUnavailable(f"EasyPost: {code} ({status or 'no answer'})")
    if isinstance(exc, FilteringError):
        return NoRate("EasyPost offered no rate within the hub's carriers and service levels")
    return LabelRefused(f"EasyPost refused the shipment: {code} ({status})")
