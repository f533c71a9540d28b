"""Connecting a shop to its providers: their credentials into Secrets Manager, one secret per shop
and provider, created or rotated in place.

Secret names (what the adapters read; IAM grants each function its prefix):
- `boomerang/<shop>/stripe`: {"api_key": "sk_... | rk_...", "webhook_secret": "whsec_..."}
  (api_key "sandbox" selects the sandbox adapter, for a shop in test mode only)
- `boomerang/<shop>/shopify-admin`: {"access_token": "shpat_...", "shop_domain": "x.myshopify.com"}
- `boomerang/<shop>/paypal`: {"client_id", "client_secret", "environment": "live" | "sandbox"}
- `boomerang/<shop>/easypost`: {"api_key": "EZAK... | EZTK...", "webhook_secret": "..."}
- `boomerang/shopify/<shop>`: the Shopify app's client secret alone (plain text), which signs the
  shop's webhooks; the Shopify webhook function reads that prefix only (shopify/__init__.py).

Values are never logged, printed or put in an error message; only field names are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boomerang.domain.errors import Unprocessable
from boomerang.shopify import APP_SECRET_PREFIX
from boomerang.store.records import Repository
from boomerang.store.shopify import ShopifyConnection, ShopifyStore


@dataclass(frozen=True)
class SecretField:
    name: str
    label: str  # what a prompt asks for
    prefixes: tuple[str, ...] = ()  # a value must start with one of these (empty: anything)
    optional: bool = False


@dataclass(frozen=True)
class Provider:
    name: str
    secret_suffix: str
    fields: tuple[SecretField, ...]


PROVIDERS: dict[str, Provider] = {
    "stripe": Provider(
        "stripe",
        "stripe",
        (
            SecretField("api_key", "Stripe secret key (sk_... or rk_...)", ("sk_", "rk_", "sandbox")),
            SecretField("webhook_secret", "Stripe webhook signing secret (whsec_...)", ("whsec_",)),
        ),
    ),
    "shopify": Provider(
        "shopify",
        "shopify-admin",
        (
            SecretField("app_secret", "Shopify app client secret (signs its webhooks)"),
            SecretField(
                "access_token",
                "Shopify Admin API access token (shpat_...; empty: webhooks only, no refunds)",
                ("shpat_", "shpca_", "shppa_"),
                optional=True,
            ),
        ),
    ),
    "paypal": Provider(
        "paypal",
        "paypal",
        (
            SecretField("client_id", "PayPal REST app client id"),
            SecretField("client_secret", "PayPal client secret"),
        ),
    ),
    "easypost": Provider(
        "easypost",
        "easypost",
        (
            SecretField("api_key", "EasyPost API key (EZAK... production, EZTK... test)", ("EZAK", "EZTK")),
            SecretField("webhook_secret", "EasyPost webhook secret (empty: none)", optional=True),
        ),
    ),
}


def secret_name(shop: str, provider: str) -> str:
    """Where a shop's credentials for a provider live in Secrets Manager."""
    return f"boomerang/{shop}/{PROVIDERS[provider].secret_suffix}"


def shopify_app_secret_name(shop: str) -> str:
    return f"{APP_SECRET_PREFIX}{shop}"


def check_values(provider: str, values: Mapping[str, Any]) -> dict[str, str]:
    """The provider's fields from `values`, each present unless optional and of the right form;
    Unprocessable names each bad field (never its value)."""
    spec = PROVIDERS[provider]
    problems: list[dict[str, str]] = []
    known = {f.name for f in spec.fields}
    for name in values:
        if name not in known:
            problems.append(
                {"field": name, "code": "unknown_field", "message": f"{provider} takes {', '.join(known)}."}
            )
    checked: dict[str, str] = {}
    for field in spec.fields:
        raw = values.get(field.name)
        value = raw.strip() if isinstance(raw, str) else ""
        if raw is not None and not isinstance(raw, str):
            problems.append(
                {"field": field.name, "code": "string_expected", "message": "A string is expected."}
            )
        elif not value and not field.optional:
            problems.append(
                {"field": field.name, "code": "missing", "message": f"{field.label} is required."}
            )
        elif value and field.prefixes and not value.startswith(field.prefixes):
            problems.append(
                {
                    "field": field.name,
                    "code": "unexpected_form",
                    "message": f"{field.label}: expected to start with {' or '.join(field.prefixes)}.",
                }
            )
        if value:
            checked[field.name] = value
    if problems:
        names = ", ".join(p["field"] for p in problems)
        raise Unprocessable(
            f"Check the {provider} credentials: {names}.", code="validation_failed", details=problems
        )
    return checked


class Connections:
    def __init__(self, repo: Repository, secrets: Any):
        self.repo = repo
        self.secrets = secrets  # a boto3 Secrets Manager client

    def connect(self, shop: str, provider: str, values: Mapping[str, Any], **options: Any) -> list[str]:
        """Store the shop's credentials for `provider`; the names of the secrets written."""
        checked = check_values(provider, values)
        if provider == "shopify":
            return self._shopify(shop, checked, str(options["domain"]), dict(options.get("categories") or {}))
        document: dict[str, str] = dict(checked)
        if provider == "paypal":
            document["environment"] = str(options.get("environment") or "live")
        name = secret_name(shop, provider)
        self._put(name, json.dumps(document), f"{provider} credentials of shop {shop}", shop)
        return [name]

    def _shopify(
        self, shop: str, values: dict[str, str], domain: str, categories: dict[str, str]
    ) -> list[str]:
        domain = domain.strip().lower()
        if not domain.endswith(".myshopify.com"):
            raise Unprocessable(
                f"'{domain}' is not a myshopify.com domain.",
                code="validation_failed",
                details=[{"field": "domain", "code": "unexpected_form", "message": "<store>.myshopify.com"}],
            )
        written = [shopify_app_secret_name(shop)]
        self._put(written[0], values["app_secret"], f"Shopify app secret of shop {shop}", shop)
        if "access_token" in values:
            admin = secret_name(shop, "shopify")
            document = {"access_token": values["access_token"], "shop_domain": domain}
            self._put(admin, json.dumps(document), f"Shopify Admin API token of shop {shop}", shop)
            written.append(admin)
        ShopifyStore(self.repo).put_connection(ShopifyConnection(domain, shop, written[0], categories))
        return written

    def _put(self, name: str, value: str, description: str, shop: str) -> None:
        try:
            self.secrets.create_secret(
                Name=name,
                SecretString=value,
                Description=description,
                Tags=[{"Key": "boomerang:shop", "Value": shop}],
            )
        except self.secrets.exceptions.ResourceExistsException:
            self.secrets.put_secret_value(SecretId=name, SecretString=value)
