"""`boomerang connect shopify|stripe|paypal|easypost SHOP`: a shop's credentials into Secrets
Manager (services/connections.py names the secrets). Values are asked for on a terminal (hidden)
or read from stdin as a JSON object; never from the command line, where shell history keeps them."""

from __future__ import annotations

from typing import Any

import click

from boomerang.cli.common import Settings, pass_settings, read_secrets
from boomerang.services.connections import PROVIDERS, Connections


@click.group()
def connect() -> None:
    """Connect a shop to Shopify, Stripe, PayPal or EasyPost (credentials into Secrets Manager)."""


def _connect(settings: Settings, shop: str, provider: str, **options: Any) -> None:
    fields = [(f.name, f.label, f.optional) for f in PROVIDERS[provider].fields]
    values = read_secrets(fields)
    target = settings.target()
    written = Connections(settings.repo(), target.client("secretsmanager")).connect(
        shop, provider, values, **options
    )
    click.echo(f"{shop} is connected to {provider}: {', '.join(written)} (values not shown)")


@connect.command("stripe")
@click.argument("shop")
@pass_settings
def connect_stripe(settings: Settings, shop: str) -> None:
    """Stripe: the secret key (restricted: Refunds write) and the webhook endpoint's signing secret.

    stdin: {"api_key": "rk_...", "webhook_secret": "whsec_..."}"""
    _connect(settings, shop, "stripe")


@connect.command("shopify")
@click.argument("shop")
@click.option("--domain", required=True, help="The store's <name>.myshopify.com domain.")
@click.option(
    "--category",
    "categories",
    multiple=True,
    metavar="PRODUCT_TYPE=CATEGORY",
    help="Map a Shopify product type onto a policy category (repeatable).",
)
@pass_settings
def connect_shopify(settings: Settings, shop: str, domain: str, categories: tuple[str, ...]) -> None:
    """Shopify: the app's client secret (verifies its webhooks) and, for refunds through Shopify, the
    Admin API access token. Then subscribe the store's webhooks (boomerang webhooks list).

    stdin: {"app_secret": "...", "access_token": "shpat_..."}, or the app secret alone."""
    mapping: dict[str, str] = {}
    for pair in categories:
        product_type, _, category = pair.partition("=")
        if not product_type or not category:
            raise click.BadParameter(f"{pair!r}: write PRODUCT_TYPE=CATEGORY", param_hint="--category")
        mapping[product_type] = category
    _connect(settings, shop, "shopify", domain=domain, categories=mapping)


@connect.command("paypal")
@click.argument("shop")
@click.option("--environment", type=click.Choice(["live", "sandbox"]), default="live", show_default=True)
@pass_settings
def connect_paypal(settings: Settings, shop: str, environment: str) -> None:
    """PayPal: the REST app's client id and secret (refunds of PayPal captures, payouts).

    stdin: {"client_id": "...", "client_secret": "..."}"""
    _connect(settings, shop, "paypal", environment=environment)


@connect.command("easypost")
@click.argument("shop")
@pass_settings
def connect_easypost(settings: Settings, shop: str) -> None:
    """EasyPost: the API key (labels, trackers) and the webhook secret of its tracker webhook.

    stdin: {"api_key": "EZAK...", "webhook_secret": "..."}"""
    _connect(settings, shop, "easypost")
