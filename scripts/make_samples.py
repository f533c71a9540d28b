"""Writes events/samples/apigw/*.json: one API Gateway REST proxy event per storefront route, as
API Gateway sends them to the function (headers it adds included). `make samples` regenerates them;
tests/integration/test_samples.py sends each through the handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from boomerang.api.routes import STOREFRONT_ROUTES
from local.apigw_events import match_route, rest_event
from local.demo.data import DEMO_API_KEY

OUT = Path(__file__).resolve().parent.parent / "events" / "samples" / "apigw"
SAMPLE_RMA = "HNH-WWZ-BLY"  # tests replace it with one they create
SAMPLE_TOKEN = "v1.SAMPLE-CUSTOMER-TOKEN.SIGNATURE"  # tests replace it with a session's token

GATEWAY_HEADERS = {
    "Accept": "application/json",
    "CloudFront-Forwarded-Proto": "https",
    "CloudFront-Is-Desktop-Viewer": "true",
    "CloudFront-Viewer-Country": "US",
    "Host": "abc123defg.execute-api.us-east-1.amazonaws.com",
    "User-Agent": "shop-backend/2.3 (+https://shop.example.com)",
    "Via": "2.0 4ee511e558a0400aa4b9c1d34d92af5a.cloudfront.net (CloudFront)",
    "X-Amz-Cf-Id": "x1pYfCvFRZ3HK7N0Su-1JzC4cQ0ec3bFkL6Q3oD0qXX7tIYNv2Ufmg==",
    "X-Amzn-Trace-Id": "Root=1-67c7a1b2-1a2b3c4d5e6f708192a3b4c5",
    "X-Forwarded-For": "203.0.113.10, 130.176.1.71",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}

ORDER = {
    "order_id": "1001",
    "order_number": "#1001",
    "customer": {"email": "ada@example.com", "country": "US"},
    "currency": "USD",
    "ordered_at": "2026-11-17T10:12:00Z",
    "payment_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
    "lines": [
        {
            "line_id": "1001-1",
            "sku": "TEE-BLK-M",
            "title": "Black tee, M",
            "category": "apparel",
            "quantity": 1,
            "unit_price": {"amount": "39.00", "currency": "USD"},
            "delivered_at": "2026-11-21T15:40:00Z",
        }
    ],
}

SAMPLES: dict[str, tuple[str, str, dict[str, str], Any]] = {
    "post_order": ("POST", "/v1/orders", {"x-api-key": DEMO_API_KEY}, ORDER),
    "post_session": (
        "POST",
        "/v1/sessions",
        {},
        {"shop": "demo", "order_number": "#1001", "email": "ada@example.com"},
    ),
    "revoke_sessions": ("POST", "/v1/sessions/revoke", {"Authorization": f"Bearer {SAMPLE_TOKEN}"}, None),
    "get_eligibility": ("GET", "/v1/orders/1001/eligibility", {"x-api-key": DEMO_API_KEY}, None),
    "post_return": (
        "POST",
        "/v1/returns",
        {"x-api-key": DEMO_API_KEY, "Idempotency-Key": "sample-post-return-1"},
        {
            "order_id": "1001",
            "items": [
                {
                    "line_id": "1001-1",
                    "quantity": 1,
                    "reason": "size_too_small",
                    "note": "Too tight on the shoulders",
                }
            ],
            "resolution": "exchange",
            "locale": "en",
        },
    ),
    "get_return": ("GET", f"/v1/returns/{SAMPLE_RMA}", {"x-api-key": DEMO_API_KEY}, None),
    "cancel_return": ("POST", f"/v1/returns/{SAMPLE_RMA}/cancel", {"x-api-key": DEMO_API_KEY}, None),
    "get_label": ("GET", f"/v1/returns/{SAMPLE_RMA}/label", {"x-api-key": DEMO_API_KEY}, None),
    "post_evidence": (
        "POST",
        f"/v1/returns/{SAMPLE_RMA}/evidence",
        {"x-api-key": DEMO_API_KEY},
        {"kind": "video", "content_type": "video/mp4", "size": 24_000_000},
    ),
    "get_store_credit": (
        "GET",
        "/v1/store-credit?currency=USD&customer_email=ada@example.com",
        {"x-api-key": DEMO_API_KEY},
        None,
    ),
    "post_store_credit_spend": (
        "POST",
        "/v1/store-credit/spend",
        {"x-api-key": DEMO_API_KEY, "Idempotency-Key": "sample-spend-credit-1"},
        {
            "customer_email": "ada@example.com",
            "amount": {"amount": "10.00", "currency": "USD"},
            "reference": "checkout-5001",
        },
    ),
    "post_fulfillment": (
        "POST",
        "/v1/orders/1001/fulfillments",
        {"x-api-key": DEMO_API_KEY, "Idempotency-Key": "sample-fulfillment-1"},
        {
            "tracking_number": "YT2433512345678901",
            "carrier": "YunExpress",
            "lines": [{"line_id": "1001-1", "quantity": 1}],
            "origin_country": "CN",
        },
    ),
    "get_tracking": ("GET", "/v1/orders/1001/tracking?lang=es", {"x-api-key": DEMO_API_KEY}, None),
    "post_product": (
        "POST",
        "/v1/products",
        {"x-api-key": DEMO_API_KEY},
        {
            "product_id": "tee-black",
            "title": "Black tee",
            "category": "apparel",
            "variants": [
                {
                    "variant_id": f"tee-black-{size}",
                    "sku": f"TEE-BLK-{size}",
                    "title": size,
                    "options": {"size": size},
                    "price": {"amount": "39.00", "currency": "USD"},
                    "available": units,
                }
                for size, units in (("M", 12), ("L", 4))
            ],
        },
    ),
    "post_exchange_fulfilment": (
        "POST",
        f"/v1/returns/{SAMPLE_RMA}/exchange-fulfilment",
        {"x-api-key": DEMO_API_KEY},
        {
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
            "shipped_at": "2026-11-26T09:30:00Z",
        },
    ),
    "get_policy": ("GET", "/v1/policy", {"x-api-key": DEMO_API_KEY}, None),
    "get_openapi": ("GET", "/v1/openapi.json", {}, None),
}


def build(name: str) -> dict[str, Any]:
    method, target, headers, body = SAMPLES[name]
    path, _, query = target.partition("?")
    found = match_route(STOREFRONT_ROUTES, method, path)
    assert found, path
    resource, params = found
    sent = {**GATEWAY_HEADERS, **headers}
    if body is not None:
        sent["Content-Type"] = "application/json"
    event = rest_event(
        method,
        path,
        resource=resource,
        path_parameters=params,
        headers=sent,
        body=json.dumps(body) if body is not None else None,
        query=parse_qs(query) or None,
        source_ip="203.0.113.10",
    )
    # Stable ids and times, so regenerating changes nothing.
    context = event["requestContext"]
    context.update(
        requestId=f"c6af9ac6-7b61-11e6-9a41-93e8deadbeef-{name}",
        extendedRequestId=f"sample-{name}",
        requestTime="26/Nov/2026:10:00:00 +0000",
        requestTimeEpoch=1795687200000,
        apiId="abc123defg",
        accountId="123456789012",
        resourceId="a1b2c3",
        domainName="abc123defg.execute-api.us-east-1.amazonaws.com",
        domainPrefix="abc123defg",
    )
    context["identity"]["apiKey"] = headers.get("x-api-key")
    return event


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in SAMPLES:
        (OUT / f"{name}.json").write_text(json.dumps(build(name), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT / name}.json")


if __name__ == "__main__":
    main()
