"""The payments every function pays through: the PaymentsRouter (boomerang.payments.router) with
each shop's provider settings from the table (boomerang.store.providers) and its credentials from
Secrets Manager (boomerang.credentials). There is no other way: no function builds a sandbox
adapter; a shop in test mode gets one from the router, explicitly.

`endpoints` (PAYMENT_ENDPOINTS, JSON {"stripe" | "shopify" | "paypal": base URL}) sends a
provider's HTTPS requests to another base URL, path and query unchanged, as AWS_ENDPOINT_URL_*
does for AWS: the local stack points the real SDKs at local fakes that answer with the providers'
recorded replies (local/payment_fakes.py). The CDK never sets it; where it is empty, the SDKs
talk to the providers themselves.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from boomerang.credentials import ShopCredentials
from boomerang.domain.payment_sources import Provider
from boomerang.domain.providers import DEFAULT_SECRETS_PREFIX
from boomerang.payments.router import PaymentsRouter
from boomerang.store.providers import ProviderSettingsStore
from boomerang.timeouts import STRIPE

# The header that keeps the host a request was meant for (a Shopify shop's domain), where the
# request goes elsewhere.
ORIGINAL_HOST = "X-Boomerang-Original-Host"


class RedirectAdapter(HTTPAdapter):
    """Sends each HTTPS request to `base` instead, path and query unchanged."""

    def __init__(self, base: str):
        super().__init__(max_retries=0)
        self.base = urlsplit(base)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(request.url))
        request.headers[ORIGINAL_HOST] = parts.netloc
        request.url = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        return super().send(request, *args, **kwargs)


def redirected_session(base: str) -> requests.Session:
    session = requests.Session()
    session.mount("https://", RedirectAdapter(base))
    return session


def parse_endpoints(text: str) -> dict[Provider, str]:
    if not text.strip():
        return {}
    raw = json.loads(text)
    return {Provider(name): str(url) for name, url in raw.items()}


def payments_router(
    table_name: str,
    ddb: Any,
    *,
    stripe_secret_name: str = "",
    shop_secrets_prefix: str = DEFAULT_SECRETS_PREFIX,
    endpoints: str = "",
    settings_cache_seconds: float = 60,
) -> PaymentsRouter:
    settings = ProviderSettingsStore(table_name, ddb, cache_seconds=settings_cache_seconds)
    redirects = parse_endpoints(endpoints)
    sessions = {provider: redirected_session(base) for provider, base in redirects.items()}
    stripe_http_client = None
    if Provider.STRIPE in sessions:
        import stripe  # only where Stripe is redirected (the local stack): a cold start pays for none

        stripe_http_client = stripe.RequestsClient(
            timeout=STRIPE.timeout_seconds, session=sessions[Provider.STRIPE]
        )
    return PaymentsRouter(
        settings.get,
        ShopCredentials(shop_secrets_prefix),
        deployment_stripe_secret=stripe_secret_name,
        sessions=sessions.get,
        stripe_http_client=stripe_http_client,
    )


def payments_from(config: Any, table_name: str, ddb: Any) -> PaymentsRouter:
    """The router from a function's configuration (boomerang.config: stripe_secret_name,
    shop_secrets_prefix, payment_endpoints)."""
    return payments_router(
        table_name,
        ddb,
        stripe_secret_name=getattr(config, "stripe_secret_name", ""),
        shop_secrets_prefix=getattr(config, "shop_secrets_prefix", DEFAULT_SECRETS_PREFIX),
        endpoints=getattr(config, "payment_endpoints", ""),
    )
