"""The single table's key design: every key Boomerang writes is built here and nowhere else.

Table attributes: `pk`, `sk` (primary key); `gsi1pk`/`gsi1sk`, `gsi2pk`/`gsi2sk`, `gsi3pk`/`gsi3sk`
(three global secondary indexes, all projecting ALL); `expires_at` (TTL, epoch seconds).

Records (pk | sk | indexes):
- shop: SHOP#<shop> | SHOP
- API key, hashed: APIKEY#<sha256> | APIKEY
- policy version: SHOP#<shop> | POLICY#<version, 6 digits>; current policy: SHOP#<shop> | POLICY#CURRENT
- order: SHOP#<shop>#ORDER#<order_id> | ORDER; gsi1: SHOP#<shop>#ORDERNO#<order_number> | ORDER
- customer (recent returns): SHOP#<shop>#CUSTOMER#<customer_ref> | CUSTOMER
- return: RETURN#<rma> | RETURN;
  gsi1 (by order): SHOP#<shop>#ORDER#<order_id> | <created_at>;
  gsi2 (by customer): SHOP#<shop>#CUSTOMER#<customer_ref> | <created_at>;
  gsi3 (by status): SHOP#<shop>#STATUS#<status> | <created_at>#<rma>
- timeline entry: RETURN#<rma> | TIMELINE#<version, 6 digits>#<n>
- outbox event: OUTBOX#<rma> | <version, 6 digits>#<n> (read by the publisher from the stream)
- payment reference (a Stripe charge or payment intent) refunded by a return:
  PAYMENT#<reference> | RETURN#<rma> (a dispute on the charge finds its returns)
- store credit, per customer and currency: CREDIT#<shop>#<customer_ref>#<currency> | BALANCE;
  its ledger entries: same pk | ENTRY#<rma>#<kind>#<ref> (kind issue or spend; every entry names
  the return whose credit it issues or spends, so a repeated write of one entry is refused)

Access patterns: return by RMA with its timeline (Query pk), returns of an order (gsi1), a customer's
returns since a time (gsi2, sk >= time), returns by status, oldest first (gsi3: the review queue).
Orders are found by id (GetItem) or by number (gsi1, for customer sessions). No request path scans.
"""

from __future__ import annotations

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


def order_pk(shop_id: str, order_id: str) -> str:
    return f"SHOP#{shop_id}#ORDER#{order_id}"


def order(shop_id: str, order_id: str) -> dict[str, str]:
    return {PK: order_pk(shop_id, order_id), SK: ORDER_SK}


def order_number_pk(shop_id: str, order_number: str) -> str:
    return f"SHOP#{shop_id}#ORDERNO#{order_number}"


def customer_pk(shop_id: str, customer_ref: str) -> str:
    return f"SHOP#{shop_id}#CUSTOMER#{customer_ref}"


def customer(shop_id: str, customer_ref: str) -> dict[str, str]:
    return {PK: customer_pk(shop_id, customer_ref), SK: CUSTOMER_SK}


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
