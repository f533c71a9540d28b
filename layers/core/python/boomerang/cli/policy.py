"""`boomerang policy get|set|diff|simulate|versions`: a shop's return policy, through
services/policy_admin.py (the same code the staff API's policy routes call).

A change is a JSON Merge Patch (RFC 7396) of the document `policy get` prints: only the members to
change, amounts as decimal strings ("5.99"), `null` to remove a member. The common fields have
options of their own (`--window-days 45`); `--set path=value` reaches any other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from boomerang.cli.common import Settings, echo_json, pass_settings, read_file_json
from boomerang.domain.policy_document import Change, changes, etag
from boomerang.domain.policy_simulation import OUTCOMES
from boomerang.services.policy_admin import PolicyAdmin

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def policy() -> None:
    """A shop's return policy: read it, change it, compare and simulate changes."""


def patch_options(command: F) -> F:
    """The ways to say what changes: a merge-patch file and shortcuts, merged in that order."""
    decorators = [
        click.argument("patch_file", required=False, type=click.File("r")),
        click.option("--window-days", type=int, help="Days to return an item, from delivery."),
        click.option("--conditions", help="The conditions text customers read."),
        click.option("--name", "policy_name", help="The policy's name."),
        click.option("--reasons", help="Allowed reasons, comma separated (replaces the list)."),
        click.option(
            "--resolutions", help="Offered resolutions, comma separated: refund,store_credit,exchange."
        ),
        click.option(
            "--restocking-percent", type=int, help="Fee kept from refunds of the customer's choice."
        ),
        click.option("--store-credit-bonus-percent", type=int, help="Added when store credit is chosen."),
        click.option(
            "--return-shipping",
            multiple=True,
            metavar="CUR=AMOUNT",
            help='Return shipping fee by currency, e.g. USD=5.99 (repeatable; "USD=" removes it).',
        ),
        click.option("--evidence-retention-days", type=int, help="Keep evidence this many days (>= 180)."),
        click.option(
            "--set",
            "assignments",
            multiple=True,
            metavar="PATH=VALUE",
            help="Any member by dotted path, the value as JSON or else text: --set timeouts.review=P3D.",
        ),
    ]
    for decorate in reversed(decorators):
        command = decorate(command)
    return command


def build_patch(patch_file: Any, options: dict[str, Any]) -> dict[str, Any]:
    patch: Any = read_file_json(patch_file, patch_file.name) if patch_file else {}
    if not isinstance(patch, dict):
        raise click.ClickException(f"{patch_file.name} is not a JSON object (a merge patch of the policy).")
    shortcuts: dict[str, Any] = {}
    simple = {
        "window_days": options.get("window_days"),
        "conditions": options.get("conditions"),
        "name": options.get("policy_name"),
        "reasons": _listed(options.get("reasons")),
        "resolutions": _listed(options.get("resolutions")),
    }
    shortcuts.update({k: v for k, v in simple.items() if v is not None})
    refunds: dict[str, Any] = {}
    if options.get("restocking_percent") is not None:
        refunds["restocking_percent"] = options["restocking_percent"]
    if options.get("store_credit_bonus_percent") is not None:
        refunds["store_credit_bonus_percent"] = options["store_credit_bonus_percent"]
    for pair in options.get("return_shipping") or ():
        currency, sep, amount = pair.partition("=")
        if not sep or not currency:
            raise click.BadParameter(
                f"{pair!r}: write CUR=AMOUNT, e.g. USD=5.99", param_hint="--return-shipping"
            )
        refunds.setdefault("return_shipping", {})[currency.strip().upper()] = amount.strip() or None
    if refunds:
        shortcuts["refunds"] = refunds
    if options.get("evidence_retention_days") is not None:
        shortcuts["evidence"] = {"retention_days": options["evidence_retention_days"]}
    for assignment in options.get("assignments") or ():
        shortcuts = _merge_keeping_nulls(shortcuts, _assigned(assignment))
    # Shortcuts after the file: the last word wins. A `null` inside the merged patch still removes.
    return _merge_keeping_nulls(patch, shortcuts)


def _listed(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text is not None else None


def _assigned(assignment: str) -> dict[str, Any]:
    path, sep, raw = assignment.partition("=")
    if not sep or not path.strip():
        raise click.BadParameter(f"{assignment!r}: write PATH=VALUE", param_hint="--set")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    patch: dict[str, Any] = {}
    node = patch
    parts = path.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return patch


def _merge_keeping_nulls(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Combine two merge patches into one (unlike applying one, a null stays: it is an instruction)."""
    merged = dict(base)
    for name, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _merge_keeping_nulls(merged[name], value)
        else:
            merged[name] = value
    return merged


def _admin(settings: Settings) -> PolicyAdmin:
    return PolicyAdmin(settings.repo())


def print_changes(found: list[Change]) -> None:
    if not found:
        click.echo("  (no change)")
    for change in found:
        if change.kind == "added":
            click.echo(f"  + {change.path}: {_short(change.after)}")
        elif change.kind == "removed":
            click.echo(f"  - {change.path}: {_short(change.before)}")
        else:
            click.echo(f"  ~ {change.path}: {_short(change.before)} -> {_short(change.after)}")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 100 else text[:97] + "..."


@policy.command("get")
@click.argument("shop")
@click.option("--version", "version", type=int, help="An earlier version (default: the current one).")
@pass_settings
def get_policy(settings: Settings, shop: str, version: int | None) -> None:
    """Print the shop's policy document (JSON; amounts as decimal strings) to stdout.

    Save it, edit it and give it to `policy set`: its `version` then guards the change (if someone
    saved another version meanwhile, the set is refused)."""
    admin = _admin(settings)
    view = admin.version(shop, version) if version else admin.current(shop)
    made = f"{view.created_by or 'unknown'}" + (f" at {view.created_at}" if view.created_at else "")
    click.echo(f"{shop}: policy version {view.version} (ETag {view.etag}), made by {made}", err=True)
    echo_json(view.document)


@policy.command("set")
@click.argument("shop")
@patch_options
@click.option(
    "--if-version",
    type=int,
    help="Refuse unless this is still the current version (default: the file's `version`, else the current).",
)
@pass_settings
def set_policy(
    settings: Settings, /, shop: str, patch_file: Any, if_version: int | None, **options: Any
) -> None:
    """Change the shop's policy: a merge-patch file and/or shortcuts. Prints the new version, which
    applies from the next request.

    \b
        boomerang policy set acme --window-days 45
        boomerang policy set acme changes.json
    """
    patch = build_patch(patch_file, options)
    if not patch:
        raise click.UsageError("Say what to change: a merge-patch file, or options such as --window-days 45.")
    admin = _admin(settings)
    before = admin.current(shop)
    base = if_version if if_version is not None else patch.get("version")
    if not isinstance(base, int) or isinstance(base, bool):
        base = before.version
    saved = admin.update(shop, patch, etag(base), settings.target().actor(), datetime.now(UTC))
    if saved.version == before.version:
        click.echo(f"{shop}: nothing to change; policy version {saved.version} stays current.")
        return
    click.echo(
        f"{shop}: policy version {saved.version} is current (was {before.version}); "
        "it applies from the next request."
    )
    print_changes(changes(before.document, saved.document))


@policy.command("diff")
@click.argument("shop")
@patch_options
@click.option("--from", "from_version", type=int, help="Compare two stored versions instead: this one ...")
@click.option("--to", "to_version", type=int, help="... with this one (default: the current).")
@pass_settings
def diff_policy(
    settings: Settings,
    /,
    shop: str,
    patch_file: Any,
    from_version: int | None,
    to_version: int | None,
    **options: Any,
) -> None:
    """What a change would do to the current policy (nothing is saved), or what changed between two
    versions (--from, --to)."""
    admin = _admin(settings)
    if from_version is not None:
        before = admin.version(shop, from_version)
        after = admin.version(shop, to_version) if to_version else admin.current(shop)
        click.echo(f"{shop}: version {before.version} -> {after.version}")
        print_changes(changes(before.document, after.document))
        return
    draft = admin.draft(shop, build_patch(patch_file, options))
    click.echo(
        f"{shop}: version {draft.current.version} -> draft (valid; would become {draft.policy.version})"
    )
    print_changes(draft.changes)


@policy.command("versions")
@click.argument("shop")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--cursor", help="From an earlier page's next cursor.")
@pass_settings
def list_versions(settings: Settings, shop: str, limit: int, cursor: str | None) -> None:
    """Every stored version, newest first, with who made it and when."""
    page = _admin(settings).versions(shop, limit, cursor)
    if not page.items:
        click.echo(f"{shop}: no stored versions; it runs the built-in default policy (version 1).")
    for v in page.items:
        changed = ", ".join(sorted(v.patch)) if isinstance(v.patch, dict) else "whole document"
        click.echo(f"v{v.version}  {v.created_at or '-'}  {v.created_by or '-'}  {changed}")
    if page.next_cursor:
        click.echo(f"more: --cursor {page.next_cursor}")


@policy.command("simulate")
@click.argument("shop")
@patch_options
@click.option(
    "--days", type=click.IntRange(1, 365), default=30, show_default=True, help="Returns of the last N days."
)
@click.option("--json", "as_json", is_flag=True, help="The result as JSON.")
@pass_settings
def simulate_policy(
    settings: Settings, /, shop: str, patch_file: Any, days: int, as_json: bool, **options: Any
) -> None:
    """Replay a draft on the shop's recent returns: the decisions by outcome under the current
    policy and the draft, and the returns whose decision would change."""
    report = _admin(settings).simulate(shop, build_patch(patch_file, options), days, datetime.now(UTC))
    if as_json:
        echo_json(report.document())
        return
    result = report.result
    click.echo(
        f"{shop}: {result.considered} returns of the last {days} days replayed under version "
        f"{report.current_version} and the draft"
        + (" (too many: the first ones read)" if report.truncated else "")
    )
    click.echo(f"  {'outcome':<20}{'current':>8}{'draft':>8}")
    for outcome in OUTCOMES:
        click.echo(f"  {outcome:<20}{result.before[outcome]:>8}{result.after[outcome]:>8}")
    click.echo(f"{len(result.flips)} would change:" if result.flips else "No decision would change.")
    for flip in result.flips:
        click.echo(
            f"  {flip.rma}  order {flip.order_id}  {flip.created_at:%Y-%m-%d}  "
            f"{flip.before.outcome} -> {flip.after.outcome}  ({', '.join(flip.after.rules) or 'no rule'})"
        )
    for rma, why in result.skipped:
        click.echo(f"  skipped {rma}: {why}")
