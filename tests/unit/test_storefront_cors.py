"""The storefront-facing functions' CORS answer from CORS_ALLOW_ORIGINS (set by the CDK from
`-c cors_origins=...`): any origin by default, else only the listed ones, echoed back."""

from __future__ import annotations

from boomerang.api.resolver import storefront_cors

SHOP = "https://shop.example.com"
WWW = "https://www.example.com"


def test_any_origin_by_default() -> None:
    for unset in (None, "", " , "):
        cors = storefront_cors(unset)
        assert (
            cors.to_dict("https://anyone.example")["Access-Control-Allow-Origin"] == "https://anyone.example"
        )
        assert cors.allowed_origin("https://anyone.example") == "*"


def test_only_the_listed_origins_get_cors_headers() -> None:
    cors = storefront_cors(f"{SHOP}, {WWW}")
    assert cors.to_dict(SHOP)["Access-Control-Allow-Origin"] == SHOP
    assert cors.to_dict(WWW)["Access-Control-Allow-Origin"] == WWW
    assert cors.to_dict("https://evil.example") == {}
    assert cors.to_dict(f"{SHOP}.evil.example") == {}
    assert cors.allowed_origin("https://evil.example") is None


def test_the_headers_browsers_send_are_allowed() -> None:
    allowed = storefront_cors(SHOP).to_dict(SHOP)["Access-Control-Allow-Headers"].split(",")
    assert {"Content-Type", "Authorization", "Idempotency-Key", "x-api-key"} <= set(allowed)
