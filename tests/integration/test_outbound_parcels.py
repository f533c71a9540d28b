"""Outbound parcels end to end through the functions' handlers, on DynamoDB Local and moto:
fulfilments in (the storefront API with an API key, Shopify's fulfillment webhooks) registered
with the shop's tracking provider (17TRACK answering with constructed replies), carrier pushes
(17TRACK, AfterShip) moving one status per parcel, the hand-over to the last mile, delivery
setting the lines' delivered_at so the return window counts from it, and the tracking view."""

from __future__ import annotations

import importlib
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.auth.api_keys import hash_api_key
from boomerang.auth.principal import Principal
from boomerang.domain.providers import ProviderSettings, TrackingSettings
from boomerang.domain.tickets import Channel
from boomerang.events.catalogue import CATALOGUE
from boomerang.services.shipments.service import Fulfilment
from boomerang.services.shipments.watch import watch
from boomerang.services.tickets import NewTicket
from boomerang.shopify.signature import sign
from boomerang.store.parcels import ParcelStore
from boomerang.store.providers import ProviderSettingsStore
from boomerang.store.records import Repository
from boomerang.store.shopify import ShopifyConnection, ShopifyStore
from local.apigw_events import LambdaContext, rest_event
from local.carrier_signing import WEBHOOK_SECRETS, signed_headers
from local.outbound_samples import new_numbers, outbound_sample, shopify_fulfillment, shopify_us_order
from tests.conftest import Api, answer

SHOP = "trk"
KEY = "bk_trk_local_only_key_000000000000000"
NOW = datetime.now(UTC)


class Replies:
    """17TRACK as its API answers a registration (constructed from its documented shape)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str], Any]] = []

    def __call__(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> tuple[int, bytes]:
        sent = json.loads(body)
        self.sent.append((url, headers, sent))
        accepted = [{"origin": 1, "number": entry["number"], "carrier": 190008} for entry in sent]
        return 200, json.dumps({"code": 0, "data": {"accepted": accepted, "rejected": []}}).encode()


def _secret(name: str, value: str) -> None:
    manager = boto3.client("secretsmanager")
    try:
        manager.create_secret(Name=name, SecretString=value)
    except manager.exceptions.ResourceExistsException:
        manager.put_secret_value(SecretId=name, SecretString=value)


@pytest.fixture(scope="module")
def shop(storefront: ModuleType, repo: Repository) -> str:
    repo.put_shop(SHOP, "Tracked Store")
    repo.put_api_key(hash_api_key(KEY), SHOP, "tracking tests")
    ProviderSettingsStore(repo.table, repo.ddb).put(
        SHOP, ProviderSettings(tracking=TrackingSettings(provider="17track", origin_country="CN"))
    )
    _secret(f"boomerang/{SHOP}/17track", json.dumps({"api_key": "17track-test-key-0001"}))
    return SHOP


@pytest.fixture(scope="module")
def registry(storefront: ModuleType, shop: str) -> Replies:
    replies = Replies()
    storefront.shipments().registrar_for.transport = replies
    return replies


@pytest.fixture(scope="module")
def carriers(local_aws: Any) -> ModuleType:
    for variable, value in WEBHOOK_SECRETS.values():
        # Names of its own: test_carrier_webhooks creates boomerang/test/... (same values).
        name = f"boomerang/test-outbound/{variable.lower()}"
        _secret(name, value)
        os.environ[variable] = name
    return importlib.import_module("functions.webhooks_carriers.handler")


def push(module: ModuleType, provider: str, body: bytes) -> tuple[int, Any]:
    secret = WEBHOOK_SECRETS[provider][1]
    event = rest_event(
        "POST",
        f"/webhooks/carriers/{provider}",
        resource="/webhooks/carriers/{provider}",
        path_parameters={"provider": provider},
        headers={"Content-Type": "application/json", **signed_headers(provider, body, secret)},
        body=body.decode(),
    )
    return answer(module.handler(event, LambdaContext()))


def new_order(api: Api, ordered_days_ago: float = 60) -> dict[str, Any]:
    oid = uuid.uuid4().hex[:12]
    at = (NOW - timedelta(days=ordered_days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": "US", "locale": "es-MX"},
        "currency": "USD",
        "ordered_at": at,
        "payment_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "lines": [
            {
                "line_id": f"{oid}-1",
                "sku": "TEE-1",
                "category": "apparel",
                "quantity": 2,
                "unit_price": {"amount": "25.00", "currency": "USD"},
            }
        ],
    }
    status, out = api.call("POST", "/v1/orders", body, api_key=KEY)
    assert status == 201, out
    return body


def fulfil(
    api: Api, order: dict[str, Any], number: str, key: str | None = None, **extra: Any
) -> tuple[int, Any]:
    body = {
        "tracking_number": number,
        "carrier": "YunExpress",
        "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 2}],
        **extra,
    }
    return api.call(
        "POST",
        f"/v1/orders/{order['order_id']}/fulfillments",
        body,
        api_key=KEY,
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


def test_a_fulfilment_makes_a_parcel_registered_with_17track(api: Api, registry: Replies) -> None:
    order = new_order(api)
    first, _ = new_numbers()
    key = uuid.uuid4().hex
    status, parcel = fulfil(api, order, first, key)
    assert status == 201, parcel
    assert (parcel["status"], parcel["registered"], parcel["provider"]) == ("pre_transit", True, "17track")
    assert parcel["tracking_link"].startswith(f"/{SHOP}/track?link=t1.")  # the tracking page
    url, headers, sent = registry.sent[-1]
    assert url == "https://api.17track.net/track/v2.2/register"
    assert headers["17token"] == "17track-test-key-0001"
    assert sent == [
        {"number": first, "tag": parcel["parcel_id"], "order_no": order["order_id"], "carrier": 190008}
    ]
    calls = len(registry.sent)
    # The same request again (same key): the same answer, nothing registered twice.
    status, replayed = fulfil(api, order, first, key)
    # (its link is signed anew, with a later expiry)
    assert (status, {**replayed, "tracking_link": ""}) == (201, {**parcel, "tracking_link": ""})
    # Another key, same number: the same parcel.
    status, again = fulfil(api, order, first)
    assert (status, again["parcel_id"]) == (201, parcel["parcel_id"])
    assert len(registry.sent) == calls


def test_fulfilments_are_checked(api: Api, registry: Replies, storefront: ModuleType) -> None:
    order = new_order(api)
    first, _ = new_numbers()
    status, out = fulfil(api, order, first, lines=[{"line_id": "nope", "quantity": 1}])
    assert (status, out["error"]["code"]) == (422, "validation_failed")
    assert out["error"]["details"][0]["field"] == "lines.0.line_id"
    status, out = fulfil(api, order, first, lines=[{"line_id": order["lines"][0]["line_id"], "quantity": 3}])
    assert (status, out["error"]["details"][0]["code"]) == (422, "too_many")
    status, out = fulfil(api, order, "x")
    assert status == 422
    # Another shop's key does not reach the order; another order may not take the number.
    status, out = api.call(
        "POST",
        f"/v1/orders/{order['order_id']}/fulfillments",
        {"tracking_number": first, "carrier": "YunExpress", "lines": [{"line_id": "a", "quantity": 1}]},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert (status, out["error"]["code"]) == (404, "order_not_found")
    assert fulfil(api, order, first)[0] == 201
    status, out = fulfil(api, new_order(api), first)
    assert (status, out["error"]["code"]) == (409, "tracking_number_taken")


def test_yunexpress_to_usps_delivered_and_the_window_counts_from_delivery(
    api: Api, registry: Replies, carriers: ModuleType, repo: Repository
) -> None:
    order = new_order(api, ordered_days_ago=60)
    line_id = order["lines"][0]["line_id"]
    # Ordered 60 days ago and never delivered: the 30-day window counted from the order is closed.
    status, out = api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", api_key=KEY)
    assert out["lines"][0]["ineligible"]["code"] == "return_window_closed"
    first, last = new_numbers()
    status, parcel = fulfil(api, order, first)
    assert status == 201
    start = NOW - timedelta(days=9)  # the samples deliver 7 days 17 hours after the first scan
    for name in ("17track_outbound_in_transit", "17track_outbound_handover"):
        status, out = push(carriers, "17track", outbound_sample(name, first, last, start))
        assert (status, out["result"]) == (200, "moved"), out
    parcels = ParcelStore(repo.table, repo.ddb)
    moving = parcels.get(SHOP, parcel["parcel_id"])
    assert (moving.last_mile_carrier, moving.last_mile_tracking_number) == ("USPS", last)
    # USPS's own pushes (under the last mile's number) find the parcel too.
    status, out = push(carriers, "17track", outbound_sample("17track_outbound_delivered", first, last, start))
    assert (status, out["result"], out["status"]) == (200, "moved", "delivered")
    done = parcels.get(SHOP, parcel["parcel_id"])
    assert done.delivered_at is not None and abs(
        done.delivered_at - (NOW - timedelta(days=1, hours=7))
    ) < timedelta(days=1)
    assert repo.get_order(SHOP, order["order_id"]).lines[0].delivered_at == done.delivered_at
    # The window now counts from the delivery: open, with its deadline 30 days after it.
    status, out = api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", api_key=KEY)
    line = out["lines"][0]
    assert line["eligible"] is True and line["line_id"] == line_id
    assert line["deadline"][:10] == (done.delivered_at + timedelta(days=30)).strftime("%Y-%m-%d")
    # A late, repeated or older push after delivery changes nothing.
    for name in (
        "17track_outbound_in_transit",
        "17track_outbound_customs_hold",
        "17track_outbound_delivered",
    ):
        status, out = push(
            carriers, "17track", outbound_sample(name, first, last, start + timedelta(hours=1))
        )
        assert out["result"] == "ignored", (name, out)
    assert parcels.get(SHOP, parcel["parcel_id"]).status.value == "delivered"
    events = [e["type"] for e in parcels.outbox_events(parcel["parcel_id"])]
    assert events == ["shipment.created", "shipment.handed_over", "shipment.delivered"]


def test_aftership_last_mile_and_failed_attempt(
    api: Api, registry: Replies, carriers: ModuleType, repo: Repository
) -> None:
    order = new_order(api)
    first, last = new_numbers()
    status, parcel = fulfil(api, order, first)
    start = NOW - timedelta(days=8)
    status, out = push(
        carriers, "aftership", outbound_sample("aftership_outbound_last_mile", first, last, start)
    )
    assert (status, out["result"], out["status"]) == (200, "moved", "in_transit")
    status, out = push(
        carriers, "aftership", outbound_sample("aftership_outbound_failed_attempt", first, last, start)
    )
    assert (status, out["status"]) == (200, "failure")
    found = ParcelStore(repo.table, repo.ddb).get(SHOP, parcel["parcel_id"])
    assert found.exception is not None and found.exception.value == "failed_delivery"
    assert found.last_mile_tracking_number == last


def test_tracking_view_in_the_customers_language_by_session_and_by_link(
    api: Api, registry: Replies, carriers: ModuleType, repo: Repository
) -> None:
    order = new_order(api)
    first, last = new_numbers()
    _, parcel = fulfil(api, order, first)
    push(
        carriers,
        "17track",
        outbound_sample("17track_outbound_handover", first, last, NOW - timedelta(days=6)),
    )
    status, session = api.call(
        "POST",
        "/v1/sessions",
        {"shop": SHOP, "order_number": order["order_number"], "email": order["customer"]["email"]},
        api_key=None,
    )
    assert status == 201, session
    status, view = api.call("GET", f"/v1/orders/{order['order_id']}/tracking", token=session["token"])
    assert status == 200, view
    assert view["language"] == "es" and view["returns_path"] is None
    (shown,) = view["parcels"]
    assert (shown["status"], shown["status_label"]) == ("in_transit", "En camino")
    assert shown["last_mile"] == {"carrier": "USPS", "tracking_number": last}
    assert shown["checkpoints"][0]["message"] == "Accepted at USPS Regional Facility"
    assert shown["estimated_delivery"]["basis"] in ("lane", "unknown")
    # The signed link shows the same, in the language asked for; a forged one is refused.
    link = parcel["tracking_link"].split("?link=", 1)[1]
    path = f"/v1/orders/{order['order_id']}/tracking"
    status, by_link = api.call("GET", path, api_key=None, query={"lang": ["de"], "link": [link]})
    assert status == 200 and by_link["parcels"][0]["status_label"] == "Unterwegs"
    status, out = api.call("GET", path, api_key=None, query={"link": [link[:-2] + "xx"]})
    assert (status, out["error"]["code"]) == (401, "invalid_tracking_link")
    # A link shows its own order only.
    other = new_order(api)
    status, out = api.call(
        "GET", f"/v1/orders/{other['order_id']}/tracking", api_key=None, query={"link": [link]}
    )
    assert (status, out["error"]["code"]) == (404, "order_not_found")


def test_shopify_fulfillment_webhook_makes_the_parcel(
    storefront: ModuleType, registry: Replies, repo: Repository, shop: str
) -> None:
    shopify = importlib.import_module("functions.webhooks_shopify.handler")
    shopify.shipments().registrar_for.transport = registry
    domain, secret = f"{SHOP}-{uuid.uuid4().hex[:6]}.myshopify.com", uuid.uuid4().hex
    name = f"boomerang/shopify/{domain}"
    _secret(name, secret)
    ShopifyStore(repo).put_connection(ShopifyConnection(domain, SHOP, name, {}))
    order_id = str(6129740600000 + uuid.uuid4().int % 99999)
    order = shopify_us_order(order_id, 1050, f"{order_id}@example.com")
    first, _ = new_numbers()

    def post(topic: str, body: dict[str, Any]) -> tuple[int, Any]:
        raw = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(raw, secret),
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        }
        event = rest_event("POST", "/webhooks/shopify", headers=headers, body=raw.decode())
        result = shopify.handler(event, LambdaContext(function_name="webhooks_shopify"))
        return int(result["statusCode"]), json.loads(result["body"])

    fulfillment = shopify_fulfillment(order, first, NOW - timedelta(days=3))
    # Before its order: 404, so Shopify delivers it again later.
    assert post("fulfillments/create", fulfillment)[0] == 404
    assert post("orders/create", order)[0] == 200
    status, out = post("fulfillments/create", fulfillment)
    assert (status, out["outcome"]) == (200, "applied"), out
    (parcel,) = ParcelStore(repo.table, repo.ddb).of_order(SHOP, order_id)
    assert (parcel.tracking_number, parcel.carrier, parcel.source) == (first, "YunExpress", "shopify")
    assert (parcel.origin_country, parcel.destination_country, parcel.registered) == ("CN", "US", True)
    assert {line.line_id for line in parcel.lines} == {str(item["id"]) for item in order["line_items"]}
    # fulfillments/update for the same shipment: still one parcel.
    assert post("fulfillments/update", fulfillment)[1]["outcome"] == "applied"
    assert len(ParcelStore(repo.table, repo.ddb).of_order(SHOP, order_id)) == 1


# --- the customer's messages, the delay watch, tickets ---------------------------------------------


def _envelopes(repo: Repository, parcel_id: str) -> list[dict[str, Any]]:
    found = ParcelStore(repo.table, repo.ddb).outbox_events(parcel_id)
    for envelope in found:  # every event is its documented schema (docs/events)
        CATALOGUE[envelope["type"]][envelope["version"]].model_validate(envelope["data"])
    return found


def test_delivered_and_exception_told_once_in_the_customers_language(
    api: Api, registry: Replies, carriers: ModuleType, repo: Repository
) -> None:
    sent = carriers.shipments.notifier.sent
    order = new_order(api)
    first, last = new_numbers()
    _, parcel = fulfil(api, order, first)
    start = NOW - timedelta(days=9)
    for _ in range(2):  # the carrier says it twice: one message
        push(carriers, "17track", outbound_sample("17track_outbound_customs_hold", first, last, start))
    told = [m for oid, m in sent if oid == order["order_id"]]
    assert [m.template for m in told] == ["shipment.exception"]
    assert told[0].language == "es" and "retenido en aduana" in told[0].body
    assert told[0].subject.startswith(f"Un problema con la entrega del pedido {order['order_number']}")
    assert f"/{SHOP}/track?link=t1." in told[0].body  # the signed link to the tracking page
    # Released, handed over, delivered: one delivered message, the exception not told again.
    for name in ("17track_outbound_handover", "17track_outbound_delivered", "17track_outbound_delivered"):
        push(carriers, "17track", outbound_sample(name, first, last, start + timedelta(hours=12)))
    told = [m.template for oid, m in sent if oid == order["order_id"]]
    assert told == ["shipment.exception", "shipment.delivered"]
    types = [e["type"] for e in _envelopes(repo, parcel["parcel_id"])]
    assert types.count("shipment.exception") == 1 and types.count("shipment.delivered") == 1


def test_a_late_parcel_is_told_once(api: Api, registry: Replies, repo: Repository, shop: str) -> None:
    watcher = importlib.import_module("functions.shipment_watch.handler")
    order = new_order(api)
    first, _ = new_numbers()
    status, parcel = fulfil(
        api, order, first, shipped_at=(NOW - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert status == 201
    report = watch(watcher.service, [SHOP], NOW)
    assert report.told >= 1 and report.by_reason.get("no_news", 0) >= 1
    again = watch(watcher.service, [SHOP], NOW + timedelta(hours=1))
    assert again.late_already_told >= 1
    told = [m for oid, m in watcher.notifier.sent if oid == order["order_id"]]
    assert [m.template for m in told] == ["shipment.delayed"] and told[0].language == "es"
    (delayed,) = [e for e in _envelopes(repo, parcel["parcel_id"]) if e["type"] == "shipment.delayed"]
    assert delayed["data"]["reason"] == "no_news"
    # The scheduled entry point runs the same watch over every shop.
    out = watcher.handler({"source": "aws.events"}, LambdaContext(function_name="shipment_watch"))
    assert out["looked_at"] >= 1


def test_past_the_lanes_p90_is_late(
    api: Api, registry: Replies, carriers: ModuleType, repo: Repository
) -> None:
    watcher = importlib.import_module("functions.shipment_watch.handler")
    parcels = ParcelStore(repo.table, repo.ddb)
    lane = ("slowpost", "CN", "US")
    for n, days in enumerate((6, 7, 7, 8, 8, 9, 9, 10, 11, 12)):
        parcels.put_transit_sample(SHOP, lane, NOW - timedelta(days=30 + n), f"seed{n}", days * 24.0)
    order = new_order(api)
    first, last = new_numbers()
    assert (
        fulfil(
            api,
            order,
            first,
            carrier="SlowPost",
            shipped_at=(NOW - timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )[0]
        == 201
    )
    # News a day ago: not quiet, but past the lane's p90 (11 days).
    push(
        carriers,
        "17track",
        outbound_sample("17track_outbound_in_transit", first, last, NOW - timedelta(days=3)),
    )
    assert watch(watcher.service, [SHOP], NOW).by_reason.get("past_p90") == 1
    _, view = api.call("GET", f"/v1/orders/{order['order_id']}/tracking", api_key=KEY)
    shown = view["parcels"][0]
    assert shown["delayed"] is True and shown["estimated_delivery"]["basis"] == "lane"
    assert shown["estimated_delivery"]["latest_at"][:10] == (NOW - timedelta(days=3)).strftime("%Y-%m-%d")


def test_a_customs_exception_opens_a_support_ticket(
    api: Api, registry: Replies, carriers: ModuleType, repo: Repository
) -> None:
    system = importlib.import_module("functions.system_tickets.handler")
    order = new_order(api)
    first, last = new_numbers()
    _, parcel = fulfil(api, order, first)
    push(
        carriers,
        "17track",
        outbound_sample("17track_outbound_customs_hold", first, last, NOW - timedelta(days=5)),
    )
    (envelope,) = [e for e in _envelopes(repo, parcel["parcel_id"]) if e["type"] == "shipment.exception"]
    assert envelope["data"]["exception"] == "customs_hold"
    event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": envelope["type"],
             "source": "boomerang", "account": "123456789012", "time": envelope["occurred_at"],
             "region": "us-east-1", "resources": [], "detail": envelope}  # fmt: skip
    out = system.handler(event, LambdaContext(function_name="system_tickets"))
    ticket, _ = system.service.tickets.get(out["ticket_id"])
    assert (ticket.category, ticket.group.value, ticket.order_id) == (
        "tracking",
        "support",
        order["order_id"],
    )
    assert ticket.customer_ref is not None and "customs_hold" in ticket.subject


def _answers_shop(repo: Repository, auto: bool) -> str:
    shop = f"trk{'a' if auto else 'm'}"
    repo.put_shop(shop, "Tracked Store")
    ProviderSettingsStore(repo.table, repo.ddb).put(
        shop,
        ProviderSettings(
            tracking=TrackingSettings(provider="17track", origin_country="CN", auto_answer=auto)
        ),
    )
    _secret(f"boomerang/{shop}/17track", json.dumps({"api_key": "17track-test-key-0002"}))
    parcels = ParcelStore(repo.table, repo.ddb)
    for n, days in enumerate((7, 8, 8, 9, 9, 10, 10, 11, 12, 14)):
        parcels.put_transit_sample(
            shop, ("yunexpress", "CN", "US"), NOW - timedelta(days=20 + n), f"s{n}", days * 24.0
        )
    return shop


def _order_in(storefront: ModuleType, repo: Repository, shop: str) -> tuple[str, str]:
    from boomerang.domain.models import Order, OrderLine
    from boomerang.domain.money import Money

    oid = uuid.uuid4().hex[:12]
    repo.upsert_order(
        Order(shop=shop, order_id=oid, order_number=f"#{oid}", customer_email=f"{oid}@example.com",
              customer_country="US", currency="USD", ordered_at=NOW - timedelta(days=5), locale="es-MX",
              lines=[OrderLine(line_id=f"{oid}-1", sku="TEE", quantity=1,
                               unit_price=Money.parse("25.00", "USD"))])
    )  # fmt: skip
    first, _ = new_numbers()
    storefront.shipments().fulfil(
        shop, oid, Fulfilment(first, "YunExpress", [(f"{oid}-1", 1)], shipped_at=NOW - timedelta(days=4))
    )
    return oid, first


WISMO_ES = "¿Dónde está mi pedido? Lo pedí hace una semana y quiero saber cuándo llega."


def test_where_is_my_order_in_spanish_answered_automatically_when_on_time(
    storefront: ModuleType, registry: Replies, carriers: ModuleType, repo: Repository
) -> None:
    tickets = importlib.import_module("functions.tickets_api.handler")
    shop = _answers_shop(repo, auto=True)
    oid, first = _order_in(storefront, repo, shop)
    push(
        carriers,
        "17track",
        outbound_sample("17track_outbound_handover", first, "9400" + first[2:], NOW - timedelta(days=6)),
    )
    ticket = tickets.service.open(
        Principal(shop=shop, key_id="test"), NewTicket(body=WISMO_ES, channel=Channel.API, order_id=oid)
    )
    assert (ticket.category, ticket.language, ticket.status.value) == ("tracking", "es", "pending_customer")
    assert "auto_answered" in ticket.tags and len(ticket.parcels) == 1
    _, messages = tickets.service.tickets.get(ticket.ticket_id)
    reply = messages[-1]
    assert (reply.author_kind.value, reply.internal) == ("system", False)
    assert ("En camino" in reply.body and first in reply.body) or "9400" in reply.body
    assert "Llegará hacia el " in reply.body  # the estimate from the shop's measured lane


def test_where_is_my_order_goes_to_a_person_when_in_exception(
    storefront: ModuleType, registry: Replies, carriers: ModuleType, repo: Repository
) -> None:
    tickets = importlib.import_module("functions.tickets_api.handler")
    shop = _answers_shop(repo, auto=True)
    oid, first = _order_in(storefront, repo, shop)
    push(
        carriers,
        "17track",
        outbound_sample("17track_outbound_customs_hold", first, "9400" + first[2:], NOW - timedelta(days=6)),
    )
    ticket = tickets.service.open(
        Principal(shop=shop, key_id="test"), NewTicket(body=WISMO_ES, channel=Channel.API, order_id=oid)
    )
    assert (ticket.status.value, ticket.priority.value) == ("open", "high")
    assert "exception" in ticket.tags and len(ticket.parcels) == 1
    view = tickets.service.staff_view(ticket.ticket_id)
    assert view.suggested_reply is not None
    language, text = view.suggested_reply
    assert language == "es" and "retenido en aduana" in text and first in text
