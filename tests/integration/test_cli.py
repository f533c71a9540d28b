"""The `boomerang` CLI against the local AWS (DynamoDB Local and moto), found as `make local` is
found: through a discovery file, with no table name or port on the command line. Run with click's
test runner; each refusal is a message and exit status 1, never a traceback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from boomerang.auth.api_keys import hash_api_key
from boomerang.cli.main import cli
from boomerang.store.records import Repository
from boomerang.store.shopify import ShopifyStore
from boomerang.store.templates import TemplateOverrides
from local import discovery
from local.cognito import PASSWORD, LocalStaff

API_URL = "http://127.0.0.1:3999/"


@pytest.fixture(scope="module")
def staff(local_aws: Any) -> LocalStaff:
    return LocalStaff().start()


@pytest.fixture(scope="module")
def found_at(local_aws: Any, staff: LocalStaff, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A discovery file as `make local` writes it, naming the test session's local AWS."""
    path = tmp_path_factory.mktemp("boomerang") / "local.json"
    outputs = {
        "TableName": local_aws.table,
        "UserPoolId": staff.pool_id,
        "UserPoolClientId": staff.client_id,
        "ApiUrl": API_URL,
        "WebhookUrlStripe": f"{API_URL}webhooks/stripe",
        "WebhookUrlShopify": f"{API_URL}webhooks/shopify",
        "WebhookUrlCarriersEasypost": f"{API_URL}webhooks/carriers/easypost",
    }
    discovery.write(
        path, outputs, {"dynamodb": local_aws.ddb.endpoint, "*": local_aws.moto_endpoint}, PASSWORD
    )
    yield path
    discovery.remove(path)


def run(found_at: Path, *args: str, stdin: str | None = None) -> Result:
    runner = CliRunner(env={"BOOMERANG_LOCAL_FILE": str(found_at), "BOOMERANG_STACK": ""})
    return runner.invoke(cli, list(args), input=stdin)


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def refused(result: Result) -> str:
    """A clean refusal: exit status 1, a message, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.stderr


def new_shop(found_at: Path) -> tuple[str, str]:
    shop = f"cli-{uuid.uuid4().hex[:8]}"
    result = run(found_at, "shops", "create", shop, "--name", "CLI Test Store")
    key = ok(result).strip()
    assert "make local (http://127.0.0.1:3999/)" in result.stderr  # the target is named
    return shop, key


# --- shops and keys -----------------------------------------------------------------------------------


def test_shops_create_list_and_keys(found_at: Path, repo: Repository) -> None:
    shop, key = new_shop(found_at)
    assert key.startswith(f"bk_{shop}_")
    assert repo.shop_for_api_key(hash_api_key(key)) == shop
    listed = ok(run(found_at, "shops", "list"))
    assert any(line.split()[:3] == [shop, "default", "policy"] for line in listed.splitlines())

    second = ok(run(found_at, "keys", "create", shop, "--label", "checkout")).strip()
    assert repo.shop_for_api_key(hash_api_key(second)) == shop
    ok(run(found_at, "keys", "revoke", shop, stdin=key + "\n"))  # the key from stdin, never argv
    assert repo.shop_for_api_key(hash_api_key(key)) is None
    ok(run(found_at, "keys", "revoke", shop, "--hash", hash_api_key(second)))
    assert repo.shop_for_api_key(hash_api_key(second)) is None


def test_shop_refusals_are_messages(found_at: Path) -> None:
    shop, key = new_shop(found_at)
    assert "exists already" in refused(run(found_at, "shops", "create", shop, "--name", "Again"))
    assert "invalid_shop_id" in refused(run(found_at, "shops", "create", "Bad_Shop", "--name", "X"))
    other, _ = new_shop(found_at)
    # A key is revoked only through its own shop.
    assert "not an API key of shop" in refused(run(found_at, "keys", "revoke", other, stdin=key))
    assert "shop_not_found" in refused(run(found_at, "keys", "create", "no-such-shop"))


# --- policy -------------------------------------------------------------------------------------------


def _order(order_id: str, price: str, delivered_days_ago: int, category: str = "apparel") -> dict[str, Any]:
    delivered = (datetime.now(UTC) - timedelta(days=delivered_days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "order_id": order_id,
        "order_number": f"#{order_id}",
        "customer": {"email": f"{order_id}@example.com", "country": "US"},
        "currency": "USD",
        "ordered_at": delivered,
        "lines": [
            {
                "line_id": f"{order_id}-1",
                "sku": "SKU",
                "category": category,
                "quantity": 1,
                "unit_price": {"amount": price, "currency": "USD"},
                "delivered_at": delivered,
            }
        ],
    }


def test_policy_set_with_a_45_day_window_is_one_command_and_the_next_answer_shows_it(
    found_at: Path, api: Any
) -> None:
    """Done when: `boomerang policy set` with a 45-day window is one command, and the next
    eligibility answer shows the new deadline."""
    shop, key = new_shop(found_at)
    assert api.call("POST", "/v1/orders", _order("late", "15.00", 40), api_key=key)[0] == 201
    status, before = api.call("GET", "/v1/orders/late/eligibility", api_key=key)
    assert status == 200 and before["policy_version"] == 1
    assert before["lines"][0]["ineligible"]["code"] == "return_window_closed"

    said = ok(run(found_at, "policy", "set", shop, "--window-days", "45"))
    assert f"{shop}: policy version 2 is current (was 1); it applies from the next request." in said
    assert "~ window_days: 30 -> 45" in said
    assert "nothing to change; policy version 2 stays current" in ok(
        run(found_at, "policy", "set", shop, "--window-days", "45")
    )

    status, after = api.call("GET", "/v1/orders/late/eligibility", api_key=key)
    assert status == 200 and after["policy_version"] == 2
    line = after["lines"][0]
    assert line["eligible"] is True
    delivered = datetime.now(UTC) - timedelta(days=40)
    assert line["deadline"].startswith((delivered + timedelta(days=45)).strftime("%Y-%m-%d"))


def test_policy_get_edit_set_round_trip_and_a_stale_file(found_at: Path, tmp_path: Path) -> None:
    shop, _ = new_shop(found_at)
    got = run(found_at, "policy", "get", shop)
    document = json.loads(ok(got))
    assert "policy version 1" in got.stderr
    assert document["version"] == 1
    assert document["hubs"][0]["cost_per_parcel"] == {"amount": "5.99", "currency": "USD"}

    # Edit the whole document read, money in decimals, and set it: its version guards the change.
    document["refunds"]["return_shipping"] = {"USD": "4.95"}
    edited = tmp_path / "policy.json"
    edited.write_text(json.dumps(document))
    said = ok(run(found_at, "policy", "set", shop, str(edited)))
    assert "policy version 2 is current" in said
    assert '+ refunds.return_shipping.USD: "4.95"' in said

    # The same file again: version 1 is no longer current. A message, not a traceback.
    message = refused(run(found_at, "policy", "set", shop, str(edited)))
    assert "at version 2 now" in message and "[precondition_failed]" in message

    # A minimal patch needs no more than what changes.
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps({"conditions": "Unworn, with tags."}))
    assert "policy version 3 is current" in ok(run(found_at, "policy", "set", shop, str(patch)))

    versions = ok(run(found_at, "policy", "versions", shop))
    lines = versions.splitlines()
    assert [line.split()[0] for line in lines] == ["v3", "v2"]
    assert "cli:arn:aws:" in lines[0] and lines[0].endswith("conditions")

    diff = ok(run(found_at, "policy", "diff", shop, "--from", "2", "--to", "3"))
    assert '~ conditions: "Return items unopened' in diff


def test_policy_set_names_each_bad_field_and_money_in_cents_is_refused(
    found_at: Path, tmp_path: Path
) -> None:
    shop, _ = new_shop(found_at)
    patch = tmp_path / "bad.json"
    patch.write_text(
        json.dumps({"window_days": "45", "refunds": {"return_shipping": {"USD": 599}}, "extra": 1})
    )
    message = refused(run(found_at, "policy", "set", shop, str(patch)))
    assert "- window_days: Input should be a valid integer" in message
    assert (
        '- refunds.return_shipping.USD: Write amounts as the API does: a decimal string ("5.99")' in message
    )
    assert "- extra: Extra inputs are not permitted" in message
    assert "policy version 1" in run(found_at, "policy", "get", shop).stderr  # nothing saved
    # Naming a version is the server's job.
    assert "- version: The server numbers versions" in refused(
        run(found_at, "policy", "set", shop, "--set", "version=7", "--if-version", "1")
    )
    assert "Say what to change" in run(found_at, "policy", "set", shop).output


def test_policy_shortcuts_and_diff_preview(found_at: Path) -> None:
    shop, _ = new_shop(found_at)
    preview = ok(
        run(
            found_at,
            "policy",
            "diff",
            shop,
            "--return-shipping",
            "USD=5.99",
            "--restocking-percent",
            "10",
            "--set",
            "timeouts.review=P3D",
            "--set",
            "refund_on_delivery=null",
        )
    )
    assert "version 1 -> draft" in preview
    assert '+ refunds.return_shipping.USD: "5.99"' in preview
    assert "~ refunds.restocking_percent: 0 -> 10" in preview
    assert '~ timeouts.review: "P2D" -> "P3D"' in preview
    assert '~ refund_on_delivery: {"return_amount_below": {"USD": "25.00"' in preview
    assert next(line for line in preview.splitlines() if "refund_on_delivery" in line).endswith("-> null")
    assert "policy version 1" in run(found_at, "policy", "get", shop).stderr  # a diff saves nothing


def test_simulate_lists_the_returns_that_would_flip(found_at: Path, api: Any) -> None:
    """Done when: `simulate` lists the returns that would flip."""
    shop, key = new_shop(found_at)
    rmas = {}
    for order_id, price in (("tee", "45.00"), ("cap", "20.00")):
        body = _order(order_id, price, 3)
        assert api.call("POST", "/v1/orders", body, api_key=key)[0] == 201
        request = {
            "order_id": order_id,
            "items": [{"line_id": f"{order_id}-1", "quantity": 1, "reason": "size_too_small"}],
            "resolution": "refund",
        }
        status, made = api.call(
            "POST", "/v1/returns", request, api_key=key, headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        assert status == 201 and made["status"] == "approved", made
        rmas[order_id] = made["rma"]
    # The draft: size returns approved at once only under $30 (the $45 tee would go to a person).
    rules = json.loads(ok(run(found_at, "policy", "get", shop)))["rules"]
    for rule in rules:
        if rule["rule_id"] == "auto_approve_size_under_50":
            rule["when"]["return_amount_below"] = {"USD": "30.00"}
    said = ok(run(found_at, "policy", "simulate", shop, "--set", f"rules={json.dumps(rules)}", "--days", "7"))
    assert f"{shop}: 2 returns of the last 7 days replayed under version 1 and the draft" in said
    assert "  approved                   2       1" in said
    assert "1 would change:" in said
    flip = next(line for line in said.splitlines() if rmas["tee"] in line)
    assert "order tee" in flip and "approved -> pending_review" in flip
    assert rmas["cap"] not in said

    as_json = json.loads(
        ok(run(found_at, "policy", "simulate", shop, "--set", f"rules={json.dumps(rules)}", "--json"))
    )
    assert [f["rma"] for f in as_json["flips"]] == [rmas["tee"]]
    assert as_json["counts"]["draft"]["pending_review"] == 1


# --- connect -----------------------------------------------------------------------------------------


def secret(name: str) -> str:
    return str(boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])


def test_connect_puts_each_provider_s_secret_under_its_name(found_at: Path) -> None:
    shop, _ = new_shop(found_at)
    stripe = {"api_key": "rk_test_abc", "webhook_secret": "whsec_abc"}
    said = ok(run(found_at, "connect", "stripe", shop, stdin=json.dumps(stripe)))
    assert f"boomerang/{shop}/stripe" in said and "rk_test_abc" not in said
    assert json.loads(secret(f"boomerang/{shop}/stripe")) == stripe
    # Again: rotated in place.
    ok(run(found_at, "connect", "stripe", shop, stdin=json.dumps({**stripe, "api_key": "rk_test_new"})))
    assert json.loads(secret(f"boomerang/{shop}/stripe"))["api_key"] == "rk_test_new"

    ok(
        run(
            found_at,
            "connect",
            "paypal",
            shop,
            "--environment",
            "sandbox",
            stdin='{"client_id": "id", "client_secret": "s"}',
        )
    )
    assert json.loads(secret(f"boomerang/{shop}/paypal")) == {
        "client_id": "id",
        "client_secret": "s",
        "environment": "sandbox",
    }
    ok(run(found_at, "connect", "easypost", shop, stdin='{"api_key": "EZTKabc", "webhook_secret": "hook"}'))
    assert json.loads(secret(f"boomerang/{shop}/easypost")) == {
        "api_key": "EZTKabc",
        "webhook_secret": "hook",
    }


def test_connect_refuses_a_wrong_value_without_showing_it(found_at: Path) -> None:
    shop, _ = new_shop(found_at)
    message = refused(run(found_at, "connect", "stripe", shop, stdin='{"api_key": "pk_live_oops"}'))
    assert "- api_key: Stripe secret key (sk_... or rk_...): expected to start with" in message
    assert "- webhook_secret:" in message
    assert "pk_live_oops" not in message
    assert "Nothing on stdin" in refused(run(found_at, "connect", "easypost", shop, stdin=""))


def test_connect_shopify_routes_the_domain_and_keeps_both_secrets(found_at: Path, repo: Repository) -> None:
    shop, _ = new_shop(found_at)
    domain = f"{shop}.myshopify.com"
    values = {"app_secret": "shpss_first", "access_token": "shpat_token"}
    args = ("connect", "shopify", shop, "--domain", domain.upper(), "--category", "Headphones=electronics")
    ok(run(found_at, *args, stdin=json.dumps(values)))
    connection = ShopifyStore(repo).connection(domain)
    assert connection is not None
    assert (connection.shop, connection.categories) == (shop, {"Headphones": "electronics"})
    # The webhook function's secret (the app secret alone) and the adapters' Admin API token.
    assert connection.secret_name == f"boomerang/shopify/{shop}"
    assert secret(f"boomerang/shopify/{shop}") == "shpss_first"
    assert json.loads(secret(f"boomerang/{shop}/shopify-admin")) == {
        "access_token": "shpat_token",
        "shop_domain": domain,
    }
    # The app secret alone on stdin still works (webhooks only); it is rotated in place.
    ok(run(found_at, "connect", "shopify", shop, "--domain", domain, stdin="shpss_rotated\n"))
    assert secret(f"boomerang/shopify/{shop}") == "shpss_rotated"


# --- staff, webhooks, templates -------------------------------------------------------------------


def test_staff_invite_makes_a_user_with_groups_and_shops(found_at: Path, staff: LocalStaff) -> None:
    shop, _ = new_shop(found_at)
    name = f"sam{uuid.uuid4().hex[:6]}"
    said = ok(
        run(
            found_at,
            "staff",
            "invite",
            name,
            "--email",
            f"{name}@staff.example",
            "--group",
            "support",
            "--shop",
            shop,
        )
    )
    assert f"{name} invited to support for {shop}." in said
    idp = boto3.client("cognito-idp")
    user = idp.admin_get_user(UserPoolId=staff.pool_id, Username=name)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:shops"] == shop
    groups = idp.admin_list_groups_for_user(UserPoolId=staff.pool_id, Username=name)["Groups"]
    assert [g["GroupName"] for g in groups] == ["support"]
    # Locally the user signs in with the local password; the ID token carries groups and shops.
    claims = staff.claims(staff.login(name, PASSWORD))
    assert claims["custom:shops"] == shop
    assert claims["cognito:groups"] == "[support]"

    admin = f"ada{uuid.uuid4().hex[:6]}"
    ok(
        run(
            found_at,
            "staff",
            "invite",
            admin,
            "--email",
            "a@staff.example",
            "--group",
            "admin",
            "--all-shops",
        )
    )
    assert staff.claims(staff.login(admin, PASSWORD))["custom:shops"] == "*"


def test_staff_invite_refusals(found_at: Path) -> None:
    assert (
        "no shop nowhere"
        in run(
            found_at,
            "staff",
            "invite",
            "x1",
            "--email",
            "x@e.example",
            "--group",
            "support",
            "--shop",
            "nowhere",
        ).output
    )
    assert (
        "--all-shops"
        in run(found_at, "staff", "invite", "x2", "--email", "x@e.example", "--group", "admin").output
    )
    assert (
        "not an email"
        in run(
            found_at,
            "staff",
            "invite",
            "x@e.example",
            "--email",
            "x@e.example",
            "--group",
            "admin",
            "--all-shops",
        ).output
    )


def test_webhooks_list_prints_the_urls_to_register(found_at: Path) -> None:
    said = ok(run(found_at, "webhooks", "list"))
    assert f"{'Stripe':<24} {API_URL}webhooks/stripe" in said
    assert "charge.dispute.created" in said
    assert f"{API_URL}webhooks/carriers/easypost" in said
    assert (
        json.loads(ok(run(found_at, "webhooks", "list", "--json")))["WebhookUrlShopify"]
        == f"{API_URL}webhooks/shopify"
    )


def test_templates_set_checks_the_text_and_stores_it_for_the_shop(
    found_at: Path, repo: Repository, tmp_path: Path
) -> None:
    shop, _ = new_shop(found_at)
    path = tmp_path / "refunded.json"
    path.write_text(json.dumps({"subject": "Geld zurück: $rma", "body": "$amount sind unterwegs."}))
    ok(run(found_at, "templates", "set", shop, "de", "return.refunded", str(path)))
    stored = TemplateOverrides(repo.table, repo.ddb, 0).get(shop, "de", "return.refunded")
    assert stored is not None and stored.subject == "Geld zurück: $rma"
    path.write_text(json.dumps({"subject": "Hi $first_name", "body": "b"}))
    assert "unknown placeholders" in refused(
        run(found_at, "templates", "set", shop, "de", "return.refunded", str(path))
    )
    assert (
        "no template return.unknown"
        in run(found_at, "templates", "set", shop, "de", "return.unknown", str(path)).output
    )


def test_shops_providers_sets_the_carriers_and_mode_and_names_each_bad_field(
    found_at: Path, repo: Repository, tmp_path: Path
) -> None:
    from boomerang.store.providers import ProviderSettingsStore

    shop, _ = new_shop(found_at)
    path = tmp_path / "providers.json"
    chosen = {
        "mode": "live",
        "carriers": {"*": {"provider": "easypost", "carrier_accounts": ["ca_1"]}},
        "customs": {"hs_code": "620520", "origin_country": "CN"},
        "legal_name": "CLI Test Ltd",
    }
    path.write_text(json.dumps(chosen))
    assert "live mode; carriers for *" in ok(run(found_at, "shops", "providers", shop, str(path)))
    stored = ProviderSettingsStore(repo.table, repo.ddb, 0).get(shop)
    carrier = stored.carrier_for("us-nj")
    assert not stored.test_mode and carrier and carrier.carrier_accounts == ["ca_1"]
    assert json.loads(ok(run(found_at, "shops", "providers", shop)))["legal_name"] == "CLI Test Ltd"
    path.write_text(json.dumps({"mode": "demo", "carriers": {"*": {"provider": "ups"}}}))
    message = refused(run(found_at, "shops", "providers", shop, str(path)))
    assert "mode:" in message and "carriers.*.provider" in message
    assert ProviderSettingsStore(repo.table, repo.ddb, 0).get(shop) == stored  # nothing written


# --- finding the target -------------------------------------------------------------------------


def test_a_stale_discovery_file_is_a_message(tmp_path: Path) -> None:
    stale = tmp_path / "local.json"
    stale.write_text(
        json.dumps({"kind": "boomerang-local", "pid": 2**22 + 12345, "endpoints": {}, "outputs": {}})
    )
    result = CliRunner(env={"BOOMERANG_LOCAL_FILE": str(stale), "BOOMERANG_STACK": ""}).invoke(
        cli, ["--local", "shops", "list"]
    )
    assert "make local is not running" in refused(result)


def test_a_deployed_stack_is_found_by_its_outputs(local_aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """--stack reads CloudFormation's outputs (moto's CloudFormation here) with the environment's
    profile and region; a missing stack is a message."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", local_aws.moto_endpoint)
    cloudformation = boto3.client("cloudformation")
    name = f"Boomerang{uuid.uuid4().hex[:6]}"
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "TableName": {"Value": local_aws.table},
            "WebhookUrlStripe": {"Value": "https://x/webhooks/stripe"},
        },
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    env = {"BOOMERANG_LOCAL_FILE": "/nonexistent/local.json", "BOOMERANG_STACK": ""}
    result = CliRunner(env=env).invoke(cli, ["--stack", name, "webhooks", "list", "--json"])
    assert json.loads(ok(result)) == {"WebhookUrlStripe": "https://x/webhooks/stripe"}
    assert f"stack {name} (us-east-1)" in result.stderr
    missing = CliRunner(env=env).invoke(cli, ["--stack", "NoSuchStack", "shops", "list"])
    assert "No stack NoSuchStack in us-east-1" in refused(missing)
