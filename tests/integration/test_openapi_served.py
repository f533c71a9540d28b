"""Issue 13, item 4: each audience's OpenAPI document is served by its API: /v1/openapi.json (public)
and /admin/v1/openapi.json (any signed-in staff member), as committed under docs/openapi/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_storefront_document_is_served_to_anyone(api: Any) -> None:
    status, doc = api.call("GET", "/v1/openapi.json", api_key=None)
    assert status == 200
    assert doc == json.loads((ROOT / "docs/openapi/storefront.json").read_text())
    assert "/v1/tickets" in doc["paths"]  # the ticket function's storefront side too


@pytest.mark.parametrize("group", ["support", "warehouse", "finance", "admin"])
def test_the_staff_document_is_served_to_every_staff_group(staff_api: Any, group: str) -> None:
    status, doc = staff_api.call("GET", "/admin/v1/openapi.json", groups=group)
    assert status == 200
    assert doc == json.loads((ROOT / "docs/openapi/staff.json").read_text())
    assert "/admin/v1/tickets" in doc["paths"]


def test_the_staff_document_needs_a_sign_in(staff_api: Any) -> None:
    status, out = staff_api.call("GET", "/admin/v1/openapi.json", anonymous=True)
    assert (status, out["error"]["code"]) == (401, "unauthenticated")
