"""Every journey `make demo` walks, in the order it reports them: (title, walk). A new capability
adds its journeys in a module of its own here (local/demo/<capability>.py) and lists them below."""

from __future__ import annotations

from collections.abc import Callable

from local.demo import carriers as demo_carriers
from local.demo import events as demo_events
from local.demo import markets as demo_markets
from local.demo import outbound as demo_outbound
from local.demo.exchanges import EXCHANGE_JOURNEYS
from local.demo.harness import Journey
from local.demo.labels import LABEL_JOURNEYS
from local.demo.payments import PAYMENT_JOURNEYS
from local.demo.returns import (
    auto_approved_and_refunded,
    cancelled,
    evidence,
    expiry,
    refund_failed,
    reviewed,
    scrap,
)
from local.demo.shopify import shopify_orders_and_emails
from local.demo.stripe import STRIPE_JOURNEYS
from local.demo.tickets import refund_question_in_german

JOURNEYS: list[tuple[str, Callable[[Journey], None]]] = [
    ("auto-approved and refunded on delivery", auto_approved_and_refunded),
    ("reviewed: approved and rejected by support", reviewed),
    ("evidence first ($180 order)", evidence),
    ("inspection with a scrap grade", scrap),
    ("expiry: a label never used", expiry),
    ("cancelled by the customer", cancelled),
    ("refund failed", refund_failed),
    ("labels and carrier webhooks: EasyPost, US -> New Jersey", demo_carriers.easypost_us),
    ("labels and carrier webhooks: AfterShip, Germany -> Poland", demo_carriers.aftership_eu),
    ("labels and carrier webhooks: 17TRACK exception, GB -> origin", demo_carriers.seventeen_track_exception),
    ("events out: an ERP's webhook receives every event", demo_events.erp_webhook),
    ("Shopify order in, emails out (German customer)", shopify_orders_and_emails),
    ("ticket: where is my refund? (German)", refund_question_in_german),
    (
        "markets: a German customer under the EU's 14 days, told in German",
        demo_markets.german_customer_under_eu_terms,
    ),
    ("currencies: a CNY 299 dress at the recorded ECB rate", demo_markets.cny_return_at_the_recorded_rate),
    (
        "decisions: a reviewed return reads as reviewed, then as staff decided",
        demo_markets.reviewed_return_reads_as_reviewed,
    ),
    *STRIPE_JOURNEYS,
    *PAYMENT_JOURNEYS,
    *LABEL_JOURNEYS,
    *EXCHANGE_JOURNEYS,
    (
        "outbound: a Shopify order by YunExpress, handed over to USPS, delivered; the window from delivery",
        demo_outbound.shopify_yunexpress_to_usps,
    ),
    ("outbound: a delayed parcel, its customer told once", demo_outbound.delayed_parcel_told_once),
    ("outbound: a customs exception opens a support ticket", demo_outbound.customs_exception_opens_a_ticket),
    (
        "ticket: where is my order? (Spanish, answered with the parcel's status)",
        demo_outbound.where_is_my_order_in_spanish,
    ),
]
SLOW = {"expiry"}  # run alongside the others: most of its time is the label's validity
