"""The single table's key design: every key Boomerang writes is built here and nowhere else.

Table attributes: `pk`, `sk` (primary key); `gsi1pk`/`gsi1sk`, `gsi2pk`/`gsi2sk`, `gsi3pk`/`gsi3sk`
(three global secondary indexes, all projecting ALL); `expires_at` (TTL, epoch seconds).

Records (pk | sk | indexes):
- shop: SHOP#<shop> | SHOP; gsi1 (every shop, for `boomerang shops list`): SHOPS | <shop>
- API key, hashed: APIKEY#<sha256> | APIKEY
- policy version: SHOP#<shop> | POLICY#<version, 6 digits> (the document, who made it and when, the
  merge patch that made it; never changed once written); the current version's pointer:
  SHOP#<shop> | POLICY#CURRENT (`version` and who set it: a tiny item every request reads, so a new
  version applies from the next request; store/policies.py)
- order: SHOP#<shop>#ORDER#<order_id> | ORDER; gsi1: SHOP#<shop>#ORDERNO#<order_number> | ORDER
  gsi2 (the number's alias, e.g. Shopify's order_number beside its name): SHOP#<shop>#ORDERNO#<alias> | ORDER
  gsi3 (a customer's orders, for export and erasure): SHOP#<shop>#CUSTOMER#<customer_ref>#ORDERS | <order_id>
- customer (recent returns): SHOP#<shop>#CUSTOMER#<customer_ref> | CUSTOMER
- a customer's sessions revoked (tokens issued up to `revoked_ms` refused; TTL a day and an hour):
  SHOP#<shop>#CUSTOMER#<customer_ref> | SESSIONS, and the same stamp in each of their returns'
  partitions, RETURN#<rma> | SESSIONS, so reading a return checks it in the same Query
- failed session attempts (TTL): ATTEMPTS#<shop>#EMAIL#<digest> | ATTEMPTS (per email of a shop),
  ATTEMPTS#CLIENT#<digest> | ATTEMPTS (per client address; IPv6 per /64)
- return: RETURN#<rma> | RETURN;
  gsi1 (by order): SHOP#<shop>#ORDER#<order_id> | <created_at>;
  gsi2 (by customer): SHOP#<shop>#CUSTOMER#<customer_ref> | <created_at>;
  gsi3 (by status): SHOP#<shop>#STATUS#<status> | <created_at>#<rma>
- timeline entry: RETURN#<rma> | TIMELINE#<version, 6 digits>#<n>
- outbox event: OUTBOX#<rma> | <version, 6 digits>#<n> (read by the publisher from the stream)
- tracking number -> return: TRACKING#<tracking number, upper case> | TRACKING (written with the
  label, in the same transaction; carrier webhooks find the return by it)
- outbound parcel (boomerang.store.parcels): PARCEL#<shop>#<parcel_id> | PARCEL;
  gsi1 (an order's parcels): SHOP#<shop>#ORDER#<order_id>#PARCELS | <created_at>#<parcel_id>;
  gsi3 (parcels still on their way, by their last news, for the delay watch):
  SHOP#<shop>#PARCELS#OPEN | <last news>#<parcel_id> (removed once delivered or returned)
- parcel tracking number -> parcel: SHIPMENT#<number, upper case> | SHIPMENT (the first leg's and,
  after a hand-over, the last mile's: carrier pushes under either find the parcel)
- parcel outbox event: OUTBOX#PARCEL#<parcel_id> | <version, 6 digits>#<n>
- a line delivered by a tracked parcel: the order item's attribute `delivered#<line_id>` (an ISO
  time), beside its doc, so a storefront's or Shopify's later snapshot never erases it
- a lane's measured transit time: TRANSIT#<shop>#<carrier>#<origin>#<destination> |
  <delivered_at>#<parcel_id>, `hours` (newest first: the lane's p50/p90)
- Shopify connection (shop by myshopify domain): SHOPIFY#<domain> | SHOPIFY
- Shopify order source (last snapshot applied, refunds seen): SHOP#<shop>#ORDER#<order_id> | SHOPIFY
- Shopify product type: SHOP#<shop>#PRODUCT#<product_id> | PRODUCT
- Shopify webhook seen (dedup, TTL 7 days): SHOPIFYHOOK#<domain>#<X-Shopify-Webhook-Id> | WEBHOOK
- notification template override: SHOP#<shop> | TEMPLATE#<language>#<template>
- ticket: TICKET#<ticket_id> | TICKET;
  gsi2 (a customer's tickets): SHOP#<shop>#CUSTOMER#<customer_ref>#TICKETS | <created_at>#<ticket_id>;
  gsi3 (queue): SHOP#<shop>#TQUEUE#<group>#<status> | <created_at>#<ticket_id>
- ticket message: TICKET#<ticket_id> | MSG#<number, 5 digits>
- ticket outbox event: OUTBOX#TICKET#<ticket_id> | <version, 6 digits>#<n>
- system ticket's source event: SHOP#<shop>#TICKETSOURCE#<event id> | TICKETSOURCE (dedupe)
- payment reference (a Stripe charge or payment intent) refunded by a return:
  PAYMENT#<reference> | RETURN#<rma> (a dispute on the charge finds its returns)
- store credit, per customer and currency: CREDIT#<shop>#<customer_ref>#<currency> | BALANCE;
  its ledger entries: same pk | ENTRY#<rma>#<kind>#<ref> (kind issue or spend; every entry names
  the return whose credit it issues or spends, so a repeated write of one entry is refused)

Access patterns: return by RMA with its timeline (Query pk), returns of an order (gsi1), a customer's
returns since a time (gsi2, sk >= time), returns by status, oldest first (gsi3: the review queue).
A carrier webhook finds its return by tracking number (GetItem on TRACKING#, then the return).
Orders are found by id (GetItem) or by number (gsi1, for customer sessions). No request path scans.
"""

from __future__ import annotations

from boomerang.domain.models import order_number_key

PK = "pk"
SK = "sk"
GSI1 = "gsi1"
GSI2 = "gsi2"
GSI3 = "gsi3"
INDEXES = (GSI1, GSI2, GSI3)
TTL_ATTRIBUTE = "expires_at"

RETURN_SK = "RETURN"
ORDER_SK = "ORDER"
CUSTOMER_SK = "CUSTOMER"
SHOP_SK = "SHOP"
APIKEY_SK = "APIKEY"
TIMELINE_PREFIX = "TIMELINE#"


def shop(shop_id: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}", SK: SHOP_SK}


def api_key(key_hash: str) -> dict[str, str]:
    return {PK: f"APIKEY#{key_hash}", SK: APIKEY_SK}


def policy_version(shop_id: str, version: int) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}", SK: f"POLICY#{version:06d}"}


def current_policy(shop_id: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}", SK: "POLICY#CURRENT"}


# The versions of a shop's policy lie between these sort keys ("POLICY#CURRENT" sorts after them).
POLICY_VERSIONS_FROM = "POLICY#000000"
POLICY_VERSIONS_TO = "POLICY#999999"
SHOPS_PK = "SHOPS"


def order_pk(shop_id: str, order_id: str) -> str:
    return f"SHOP#{shop_id}#ORDER#{order_id}"


def order(shop_id: str, order_id: str) -> dict[str, str]:
    return {PK: order_pk(shop_id, order_id), SK: ORDER_SK}


def order_number_pk(shop_id: str, order_number: str) -> str:
    """Orders by number as customers type it (domain.models.order_number_key: `1001` finds `#1001`);
    gsi1 holds the order's number, gsi2 its alias (Shopify's order_number where it differs)."""
    return f"SHOP#{shop_id}#ORDERNO#{order_number_key(order_number)}"


def customer_pk(shop_id: str, customer_ref: str) -> str:
    return f"SHOP#{shop_id}#CUSTOMER#{customer_ref}"


def customer(shop_id: str, customer_ref: str) -> dict[str, str]:
    return {PK: customer_pk(shop_id, customer_ref), SK: CUSTOMER_SK}


# No more email to this customer (an SES bounce or complaint): beside the customer record.
def email_suppression(shop_id: str, customer_ref: str) -> dict[str, str]:
    return {PK: customer_pk(shop_id, customer_ref), SK: "EMAIL_SUPPRESSED"}


def customer_orders_pk(shop_id: str, customer_ref: str) -> str:
    return f"{customer_pk(shop_id, customer_ref)}#ORDERS"


SESSIONS_SK = "SESSIONS"
ATTEMPTS_SK = "ATTEMPTS"


def customer_sessions(shop_id: str, customer_ref: str) -> dict[str, str]:
    return {PK: customer_pk(shop_id, customer_ref), SK: SESSIONS_SK}


def return_sessions(rma: str) -> dict[str, str]:
    return {PK: return_pk(rma), SK: SESSIONS_SK}


def attempts(scope: str) -> dict[str, str]:
    return {PK: f"ATTEMPTS#{scope}", SK: ATTEMPTS_SK}


def return_pk(rma: str) -> str:
    return f"RETURN#{rma}"


def return_(rma: str) -> dict[str, str]:
    return {PK: return_pk(rma), SK: RETURN_SK}


def status_pk(shop_id: str, status: str) -> str:
    return f"SHOP#{shop_id}#STATUS#{status}"


def timeline(rma: str, version: int) -> dict[str, str]:
    return {PK: return_pk(rma), SK: f"{TIMELINE_PREFIX}{version:06d}"}


def outbox(rma: str, version: int, n: int) -> dict[str, str]:
    return {PK: f"OUTBOX#{rma}", SK: f"{version:06d}#{n}"}


TRACKING_SK = "TRACKING"


def tracking(tracking_number: str) -> dict[str, str]:
    return {PK: f"TRACKING#{tracking_number.strip().upper()}", SK: TRACKING_SK}


# Outbound webhooks (boomerang.outbound): a shop's subscriptions, and deliveries given up on.
# - subscription: SHOP#<shop> | WEBHOOK#<subscription_id>
# - dead letter: SHOP#<shop>#WEBHOOKDLQ | <delivery_id> (a shop's parked deliveries)
# - outbox events not about one return (e.g. webhook.dead_lettered): OUTBOX#<subject> | <sk>
WEBHOOK_PREFIX = "WEBHOOK#"


def webhook_subscription(shop_id: str, subscription_id: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}", SK: f"{WEBHOOK_PREFIX}{subscription_id}"}


def webhook_dead_letters_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}#WEBHOOKDLQ"


def webhook_dead_letter(shop_id: str, delivery_id: str) -> dict[str, str]:
    return {PK: webhook_dead_letters_pk(shop_id), SK: delivery_id}


def outbox_of(subject: str, sk: str) -> dict[str, str]:
    return {PK: f"OUTBOX#{subject}", SK: sk}


# A shop's settings for an integration (Klaviyo: on or off, its secret's name):
# SHOP#<shop> | INTEGRATION#<name>
def integration(shop_id: str, name: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}", SK: f"INTEGRATION#{name}"}


SHOPIFY_SK = "SHOPIFY"
PRODUCT_SK = "PRODUCT"
WEBHOOK_SK = "WEBHOOK"
TEMPLATE_PREFIX = "TEMPLATE#"


def shopify_connection(domain: str) -> dict[str, str]:
    return {PK: f"SHOPIFY#{domain}", SK: SHOPIFY_SK}


def shopify_order_source(shop_id: str, order_id: str) -> dict[str, str]:
    return {PK: order_pk(shop_id, order_id), SK: SHOPIFY_SK}


def shopify_product(shop_id: str, product_id: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}#PRODUCT#{product_id}", SK: PRODUCT_SK}


# A SKU's customs data from Shopify's inventory items: SHOP#<shop>#SKU#<sku> | CUSTOMS
def shopify_sku_customs(shop_id: str, sku: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}#SKU#{sku}", SK: "CUSTOMS"}


def shopify_webhook(domain: str, webhook_id: str) -> dict[str, str]:
    return {PK: f"SHOPIFYHOOK#{domain}#{webhook_id}", SK: WEBHOOK_SK}


def notification_template(shop_id: str, language: str, template: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}", SK: f"{TEMPLATE_PREFIX}{language}#{template}"}


# --- tickets (boomerang.store.tickets) ------------------------------------------------------------

TICKET_SK = "TICKET"
MESSAGE_PREFIX = "MSG#"


def ticket_pk(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


def ticket(ticket_id: str) -> dict[str, str]:
    return {PK: ticket_pk(ticket_id), SK: TICKET_SK}


def ticket_message(ticket_id: str, number: int) -> dict[str, str]:
    return {PK: ticket_pk(ticket_id), SK: f"{MESSAGE_PREFIX}{number:05d}"}


def ticket_outbox(ticket_id: str, version: int, n: int) -> dict[str, str]:
    return outbox(f"TICKET#{ticket_id}", version, n)


def customer_tickets_pk(shop_id: str, customer_ref: str) -> str:
    # Its own partition, not the customer's returns one: a query for returns never meets a ticket.
    return f"{customer_pk(shop_id, customer_ref)}#TICKETS"


def ticket_queue_pk(shop_id: str, group: str, status: str) -> str:
    return f"SHOP#{shop_id}#TQUEUE#{group}#{status}"


def ticket_source(shop_id: str, event_id: str) -> dict[str, str]:
    return {PK: f"SHOP#{shop_id}#TICKETSOURCE#{event_id}", SK: "TICKETSOURCE"}


def payment(reference: str, rma: str) -> dict[str, str]:
    return {PK: payment_pk(reference), SK: f"RETURN#{rma}"}


def payment_pk(reference: str) -> str:
    return f"PAYMENT#{reference}"


def credit_pk(shop_id: str, customer_ref: str, currency: str) -> str:
    return f"CREDIT#{shop_id}#{customer_ref}#{currency}"


CREDIT_BALANCE_SK = "BALANCE"
CREDIT_ENTRY_PREFIX = "ENTRY#"


def credit_balance(shop_id: str, customer_ref: str, currency: str) -> dict[str, str]:
    return {PK: credit_pk(shop_id, customer_ref, currency), SK: CREDIT_BALANCE_SK}


def credit_entry(
    shop_id: str, customer_ref: str, currency: str, rma: str, kind: str, ref: str
) -> dict[str, str]:
    return {PK: credit_pk(shop_id, customer_ref, currency), SK: f"{CREDIT_ENTRY_PREFIX}{rma}#{kind}#{ref}"}


# Reference exchange rates (boomerang.domain.fx), fetched daily by functions/fx_rates:
# - one day's table: FX#<source> | DAY#<yyyy-mm-dd>; the newest one: FX#<source> | LATEST
def fx_day(source: str, day: str) -> dict[str, str]:
    return {PK: f"FX#{source}", SK: f"DAY#{day}"}


def fx_latest(source: str) -> dict[str, str]:
    return {PK: f"FX#{source}", SK: "LATEST"}


# --- outbound parcels (boomerang.store.parcels) ---------------------------------------------------

PARCEL_SK = "PARCEL"
SHIPMENT_SK = "SHIPMENT"
DELIVERED_PREFIX = "delivered#"


def parcel(shop_id: str, parcel_id: str) -> dict[str, str]:
    return {PK: f"PARCEL#{shop_id}#{parcel_id}", SK: PARCEL_SK}


def order_parcels_pk(shop_id: str, order_id: str) -> str:
    return f"{order_pk(shop_id, order_id)}#PARCELS"


def open_parcels_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}#PARCELS#OPEN"


def shipment(tracking_number: str) -> dict[str, str]:
    return {PK: f"SHIPMENT#{tracking_number.strip().upper()}", SK: SHIPMENT_SK}


def parcel_outbox(parcel_id: str, version: int, n: int) -> dict[str, str]:
    return outbox(f"PARCEL#{parcel_id}", version, n)


def transit_pk(shop_id: str, carrier: str, origin: str, destination: str) -> str:
    return f"TRANSIT#{shop_id}#{carrier}#{origin}#{destination}"
