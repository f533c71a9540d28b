"""`boomerang webhooks list`: the URLs to register with Stripe, Shopify and the carriers, from the
stack's `WebhookUrl*` outputs, with what to subscribe at each."""

from __future__ import annotations

import click

from boomerang.cli.common import Settings, echo_json, pass_settings

PREFIX = "WebhookUrl"
# What to register where, by output. The events are the ones the webhook functions act on.
HINTS = {
    "WebhookUrlStripe": (
        "Stripe Dashboard > Developers > Webhooks, per Stripe account: events refund.created, "
        "refund.updated, refund.failed, charge.refund.updated, charge.refunded, charge.dispute.created; "
        "its signing secret goes to `boomerang connect stripe`"
    ),
    "WebhookUrlShopify": (
        "Shopify admin > Settings > Notifications > Webhooks (JSON), per store: orders/create, "
        "orders/updated, orders/fulfilled, orders/cancelled, refunds/create, products/create, "
        "products/update; the app secret goes to `boomerang connect shopify`"
    ),
    "WebhookUrlCarriersEasypost": "EasyPost dashboard > Webhooks: tracker events (HMAC secret set there)",
    "WebhookUrlCarriersAftership": "AfterShip > Notifications > Webhooks: tracking updates (signed)",
    "WebhookUrlCarriers17track": "17TRACK API console > Webhook: tracking updates",
}


@click.group()
def webhooks() -> None:
    """Inbound webhooks: where each provider posts."""


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="As JSON: output name -> URL.")
@pass_settings
def list_webhooks(settings: Settings, as_json: bool) -> None:
    """The webhook URLs of this deployment and what to subscribe at each provider."""
    target = settings.target()
    found = {name: url for name, url in sorted(target.outputs.items()) if name.startswith(PREFIX)}
    if not found:
        raise click.ClickException(f"{target.label} has no {PREFIX}* outputs; deploy the current version.")
    if as_json:
        echo_json(found)
        return
    for name, url in found.items():
        click.echo(f"{name.removeprefix(PREFIX):<24} {url}")
        if name in HINTS:
            click.echo(f"{'':<24} {HINTS[name]}")
