# ruff: noqa: F401, F811 - the outbound parcels' fixtures (shop, registry, carriers) are shared
"""The customer's tracking page (/{shop}/track) through functions/web's handler, on DynamoDB Local
and moto: found by order number and email (a wrong email answers exactly as an unknown order does),
or opened by the signed link of the shipping emails; another shop's order is never shown; each
parcel's progress, checkpoints in the customer's language, the estimate from the lane's p50 and p90,
and "Start a return" once delivered."""

from __future__ import annotations

import importlib
import os
import re
from datetime import timedelta
from html import unescape
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

from boomerang.store.parcels import ParcelStore
from boomerang.store.records import Repository
from boomerang.web.i18n import Formats
from local.apigw_events import LambdaContext, rest_event
from local.outbound_samples import new_numbers, outbound_sample
from tests.conftest import Api
from tests.integration.test_outbound_parcels import (
    NOW,
    SHOP,
    Replies,
    carriers,
    fulfil,
    new_order,
    push,
    registry,
    shop,
)


@pytest.fixture(scope="module")
def web(storefront: ModuleType, shop: str) -> ModuleType:
    os.environ.update(
        ASSETS_BASE_URL="https://assets.example", ASSETS_VERSION="test", POWERTOOLS_SERVICE_NAME="web"
    )
    return importlib.import_module("functions.web.handler")


def call(
    web: ModuleType,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    shop_id = path.split("/")[1]
    event = rest_event(
        method,
        path,
        resource="/{shop}/track",
        path_parameters={"shop": shop_id},
        headers={"Host": "localhost", "Content-Type": "application/x-www-form-urlencoded"},
        query={k: [v] for k, v in (query or {}).items()},
        body=urlencode(form) if form is not None else None,
    )
    out = web.handler(event, LambdaContext())
    headers = {k.lower(): v for k, v in (out.get("headers") or {}).items()}
    headers.update({k.lower(): ",".join(v) for k, v in (out.get("multiValueHeaders") or {}).items()})
    return int(out["statusCode"]), headers, out.get("body") or ""


def _alert(html: str) -> str:
    found = re.search(r'<div class="alert" role="alert" id="form-error">(.*?)</div>', html, re.S)
    return found.group(1).strip() if found else ""


def _shipped_and_delivered(api: Api, carriers: ModuleType) -> tuple[dict[str, Any], dict[str, Any], str]:
    order = new_order(api)  # a Spanish-speaking customer (es-MX)
    first, last = new_numbers()
    status, parcel = fulfil(api, order, first)
    assert status == 201, parcel
    start = NOW - timedelta(days=9)
    for name in ("17track_outbound_in_transit", "17track_outbound_handover", "17track_outbound_delivered"):
        assert push(carriers, "17track", outbound_sample(name, first, last, start))[1]["result"] == "moved"
    return order, parcel, last


def test_found_by_number_and_email_in_the_customers_language_with_a_return_link(
    web: ModuleType,
    api: Api,
    registry: Replies,
    carriers: ModuleType,
) -> None:
    order, _, last = _shipped_and_delivered(api, carriers)
    status, _, html = call(web, "GET", f"/{SHOP}/track")
    assert status == 200 and '<label for="order_number">' in html and '<label for="email">' in html
    sent = {"order_number": order["order_number"], "email": order["customer"]["email"].upper()}
    status, headers, _ = call(web, "POST", f"/{SHOP}/track", form=sent)
    assert status == 303 and headers["location"].startswith(f"/{SHOP}/track?link=t1.")
    assert "set-cookie" not in headers  # the link opens no session
    link = unquote(headers["location"].split("?link=", 1)[1])
    status, headers, html = call(web, "GET", f"/{SHOP}/track", query={"link": link})
    assert status == 200, html
    assert '<html lang="es">' in html and headers["cache-control"] == "no-store"
    text = unescape(html)
    assert f"Pedido {order['order_number']}" in text
    assert "Entregado" in text and f"USPS, número de seguimiento {last}" in text
    assert "Accepted at USPS Regional Facility" in text  # the carrier's words stay as written
    assert 'aria-current="step"' in html and "Entregado el " in text
    start = re.search(r'<a class="button" id="start-return" href="([^"]+)"', html)
    assert start is not None
    target = urlsplit(unescape(start.group(1)))
    assert target.path == f"/{SHOP}/returns"
    assert parse_qs(target.query) == {"order_number": [order["order_number"]]}


def test_a_wrong_email_answers_as_an_unknown_order_does(
    web: ModuleType,
    api: Api,
    registry: Replies,
) -> None:
    order = new_order(api)
    sent = {"order_number": order["order_number"], "email": "x@example.com"}
    wrong = call(web, "POST", f"/{SHOP}/track", form=sent)
    unknown = call(
        web, "POST", f"/{SHOP}/track", form={"order_number": "#no-such-order", "email": "x@example.com"}
    )
    assert wrong[0] == unknown[0] == 404
    assert _alert(wrong[2]) == _alert(unknown[2]) != ""
    assert order["customer"]["email"] not in wrong[2]
    status, _, html = call(web, "POST", f"/{SHOP}/track", form={"order_number": "", "email": "nope"})
    assert status == 422 and 'aria-invalid="true"' in html


def test_the_shipping_emails_signed_link_opens_its_order_only(
    web: ModuleType,
    api: Api,
    registry: Replies,
    carriers: ModuleType,
) -> None:
    order, parcel, _ = _shipped_and_delivered(api, carriers)
    link = parcel["tracking_link"].split("?link=", 1)[1]
    assert parcel["tracking_link"].startswith(f"/{SHOP}/track?link=")  # the page, not the JSON
    status, _, html = call(web, "GET", f"/{SHOP}/track", query={"link": link, "lang": "de"})
    assert status == 200 and order["order_number"] in unescape(html)
    # A forged link is refused with the form; another shop's page does not show this shop's order.
    status, _, html = call(web, "GET", f"/{SHOP}/track", query={"link": link[:-2] + "xx"})
    assert status == 401 and "<form" in html and order["order_number"] not in unescape(html)
    status, _, html = call(web, "GET", "/other/track", query={"link": link})
    assert status == 404 and order["order_number"] not in unescape(html)
    # Nor does the other shop's form, with the right number and email.
    sent = {"order_number": order["order_number"], "email": order["customer"]["email"]}
    status, _, html = call(web, "POST", "/other/track", form=sent)
    assert status == 404 and _alert(html) != ""
    # An unknown shop has no page.
    assert call(web, "GET", "/no-such-shop/track")[0] == 404


def test_a_parcel_on_its_way_shows_the_lanes_estimate(
    web: ModuleType,
    api: Api,
    registry: Replies,
    repo: Repository,
) -> None:
    parcels = ParcelStore(repo.table, repo.ddb)
    lane = ("pagepost", "CN", "US")
    for n, days in enumerate((6, 7, 7, 8, 8, 9, 9, 10, 11, 12)):
        parcels.put_transit_sample(SHOP, lane, NOW - timedelta(days=30 + n), f"page{n}", days * 24.0)
    order = new_order(api)
    first, _ = new_numbers()
    shipped = NOW - timedelta(days=2)
    status, parcel = fulfil(
        api, order, first, carrier="PagePost", shipped_at=shipped.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert status == 201
    link = parcel["tracking_link"].split("?link=", 1)[1]
    status, _, html = call(web, "GET", f"/{SHOP}/track", query={"link": link})
    assert status == 200
    text = unescape(html)
    shipped_at = shipped.replace(microsecond=0)
    es = Formats("es")
    # p50 of the lane: 8 days; p90: 11 days after shipping.
    expected = es.date(shipped_at + timedelta(days=8))
    latest = es.date(shipped_at + timedelta(days=11))
    assert f"Entrega estimada: {expected} (a más tardar el {latest})" in text
    assert "Todavía no hay escaneos del transportista." in text
    assert 'id="start-return"' not in html  # not delivered: no return yet
    assert 'hx-trigger="every 60s"' in html  # on its way: the parcels refresh themselves
