"""`boomerang shops create|list|providers`, `boomerang keys create|revoke`, `boomerang templates set`."""

from __future__ import annotations

from typing import Any

import click

from boomerang.cli.common import Settings, pass_settings, read_file_json, read_secrets
from boomerang.notify.templates import LANGUAGES, EmailTemplate, catalogue
from boomerang.services.shops import ShopAdmin
from boomerang.store.templates import TemplateOverrides


@click.group()
def shops() -> None:
    """The shops of this Boomerang (one deployment serves several brands or storefronts)."""


@shops.command("create")
@click.argument("shop")
@click.option("--name", required=True, help="The shop's name, as staff and emails show it.")
@pass_settings
def create_shop(settings: Settings, shop: str, name: str) -> None:
    """Create a shop and its first storefront API key (printed once)."""
    key = ShopAdmin(settings.repo()).create(shop, name)
    click.echo(
        f"shop {shop} created; it runs the default policy. Its storefront API key (shown once):", err=True
    )
    click.echo(key)


@shops.command("list")
@pass_settings
def list_shops(settings: Settings) -> None:
    """Every shop, with the policy version it runs."""
    found = ShopAdmin(settings.repo()).list()
    if not found:
        click.echo("no shops yet: boomerang shops create <shop> --name '<name>'")
    for shop in found:
        version = f"policy v{shop.policy_version}" if shop.policy_version else "default policy"
        click.echo(f"{shop.shop:<24} {version:<16} {shop.name}")


@shops.command("providers")
@click.argument("shop")
@click.argument("file", type=click.File("r"), required=False)
@pass_settings
def shop_providers(settings: Settings, shop: str, file: Any) -> None:
    """Show the shop's provider settings, or set them from FILE ('-': stdin): live or test mode, the
    carrier of each hub, customs defaults, the legal name that signs customs papers. For example:

    {"mode": "live", "carriers": {"*": {"provider": "easypost", "carrier_accounts": ["ca_..."]}},
    "customs": {"hs_code": "620520", "origin_country": "CN"}, "legal_name": "Acme Ltd"}

    Credentials are not here: `boomerang connect easypost|stripe|shopify|paypal SHOP`."""
    from pydantic import ValidationError

    from boomerang.domain.providers import ProviderSettings
    from boomerang.store.providers import ProviderSettingsStore

    repo = settings.repo()
    store = ProviderSettingsStore(repo.table, repo.ddb, cache_seconds=0)
    if file is None:
        click.echo(store.get(shop).model_dump_json(indent=2, exclude_none=True))
        return
    try:
        chosen = ProviderSettings.model_validate(read_file_json(file, file.name))
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise click.ClickException(f"{file.name}: {where}") from None
    store.put(shop, chosen)
    hubs = ", ".join(sorted(chosen.carriers)) or "none (no live labels)"
    click.echo(f"{shop}: {chosen.mode.value} mode; carriers for {hubs} (live within a minute)")


@click.group()
def keys() -> None:
    """Storefront API keys (x-api-key): only their SHA-256 is stored."""


@keys.command("create")
@click.argument("shop")
@click.option("--label", default="storefront", show_default=True, help="What the key is for.")
@pass_settings
def create_key(settings: Settings, shop: str, label: str) -> None:
    """Another API key for a shop (to rotate: create, deploy it, then revoke the old one)."""
    key = ShopAdmin(settings.repo()).create_key(shop, label)
    click.echo(f"new API key for {shop} (shown once):", err=True)
    click.echo(key)


@keys.command("revoke")
@click.argument("shop")
@click.option("--hash", "key_hash", help="The key's SHA-256 (hex) instead of the key itself.")
@pass_settings
def revoke_key(settings: Settings, shop: str, key_hash: str | None) -> None:
    """Revoke one of the shop's keys. The key is read from stdin or asked for, never an argument."""
    key = None if key_hash else read_secrets([("key", "The API key to revoke", False)])["key"]
    ShopAdmin(settings.repo()).revoke_key(shop, key=key, key_hash=key_hash)
    click.echo(f"revoked: functions that checked it recently forget it within 5 minutes ({shop})")


@click.group()
def templates() -> None:
    """A shop's own texts for the customer emails."""


@templates.command("set")
@click.argument("shop")
@click.argument("language", type=click.Choice(LANGUAGES))
@click.argument("template")
@click.argument("file", type=click.File("r"))
@pass_settings
def set_template(settings: Settings, shop: str, language: str, template: str, file: Any) -> None:
    """A shop's text for one email in one language: FILE is {"subject": "...", "body": "..."} with
    $placeholders (see boomerang/notify/templates/en.json for the templates and their placeholders)."""
    known = sorted(catalogue("en").templates)
    if template not in known:
        raise click.BadParameter(f"no template {template}; known: {', '.join(known)}", param_hint="TEMPLATE")
    try:
        text = EmailTemplate.model_validate(read_file_json(file, file.name))
    except ValueError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    repo = settings.repo()
    TemplateOverrides(repo.table, repo.ddb).put(shop, language, template, text)
    click.echo(f"{shop} now sends its own {language} {template} (live within 5 minutes)")
