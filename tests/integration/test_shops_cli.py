"""The operator commands against DynamoDB Local: a created key opens the API, a revoked one does not."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from boomerang.auth.api_keys import hash_api_key
from boomerang.domain.policy import default_policy
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
