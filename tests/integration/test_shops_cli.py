"""The operator commands against DynamoDB Local: a created key opens the API, a revoked one does not."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from boomerang.auth.api_keys import hash_api_key
from boomerang.domain.policy import default_policy
from boomerang.store.shopify import ShopifyStore
from boomerang.store.templates import TemplateOverrides
from scripts import shops


def test_create_shop_add_and_revoke_key_and_put_policy(
    local_aws: Any, repo: Any, capsys: Any, tmp_path: Path
) -> None:
    shop = f"acme{uuid.uuid4().hex[:6]}"
    assert shops.main(["--table", local_aws.table, "create-shop", shop, "--name", "Acme"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith(f"bk_{shop}_")
    assert repo.shop_for_api_key(hash_api_key(key)) == shop

    assert shops.main(["--table", local_aws.table, "revoke-key", key]) == 0
    assert repo.shop_for_api_key(hash_api_key(key)) is None

    document = default_policy().model_dump(mode="json")
    document.update(version=2, window_days=60)
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    assert shops.main(["--table", local_aws.table, "put-policy", shop, str(path)]) == 0
    current = repo.current_policy(shop)
    assert current is not None and current.version == 2 and current.window_days == 60


def test_connect_shopify_stores_the_secret_and_routes_the_domain(
    local_aws: Any, repo: Any, capsys: Any, monkeypatch: Any
) -> None:
    shop = f"brand{uuid.uuid4().hex[:6]}"
    domain = f"{shop}.myshopify.com"
    args = ["--table", local_aws.table, "connect-shopify", shop, "--domain", domain.upper()]
    monkeypatch.setattr("sys.stdin", io.StringIO("shpss_first\n"))
    assert shops.main([*args, "--category", "Headphones=electronics"]) == 0
    connection = ShopifyStore(repo).connection(domain)
    assert connection is not None
    assert (connection.shop, connection.categories) == (shop, {"Headphones": "electronics"})
    manager = boto3.client("secretsmanager")
    assert manager.get_secret_value(SecretId=connection.secret_name)["SecretString"] == "shpss_first"
    assert connection.secret_name == f"boomerang/shopify/{shop}"
    # Run again: the secret is rotated in place.
    monkeypatch.setattr("sys.stdin", io.StringIO("shpss_rotated"))
    assert shops.main(args) == 0
    assert manager.get_secret_value(SecretId=connection.secret_name)["SecretString"] == "shpss_rotated"


def test_put_template_checks_the_text_and_stores_it_for_the_shop(
    local_aws: Any, repo: Any, tmp_path: Path, capsys: Any
) -> None:
    shop = f"brand{uuid.uuid4().hex[:6]}"
    path = tmp_path / "refunded.json"
    path.write_text(json.dumps({"subject": "Geld zurück: $rma", "body": "$amount sind unterwegs."}))
    args = ["--table", local_aws.table, "put-template", shop, "de", "return.refunded", str(path)]
    assert shops.main(args) == 0
    stored = TemplateOverrides(local_aws.table, repo.ddb, 0).get(shop, "de", "return.refunded")
    assert stored is not None and stored.subject == "Geld zurück: $rma"
    path.write_text(json.dumps({"subject": "Hi $first_name", "body": "b"}))
    with pytest.raises(ValidationError):
        shops.main(args)
    with pytest.raises(SystemExit):
        shops.main(["--table", local_aws.table, "put-template", shop, "de", "return.unknown", str(path)])
