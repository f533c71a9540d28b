"""Issue 13, item 4: the API reference for people, GET /docs (functions/api_docs): Swagger UI's page
and assets from the pinned npm package, over the committed documents, locally as deployed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from functions.api_docs.handler import FILES, handler
from local.apigw_events import LambdaContext, rest_event

ROOT = Path(__file__).resolve().parents[2]


def _get(path: str, file: str | None = None) -> dict[str, object]:
    event = rest_event("GET", path, resource="/docs/{file}" if file else "/docs",
                       path_parameters={"file": file} if file else None)  # fmt: skip
    return handler(event, LambdaContext(function_name="api_docs"))


def test_the_page_loads_swagger_ui_and_both_documents_from_beside_it() -> None:
    page = _get("/docs")
    assert page["statusCode"] == 200 and str(page["headers"]["Content-Type"]).startswith("text/html")  # type: ignore[index]
    body = str(page["body"])
    linked = set(re.findall(r'(?:src|href)="docs/([^"]+)"', body))
    assert {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "docs.js"} <= linked
    assert linked <= set(FILES)
    script = str(_get("/docs/docs.js", "docs.js")["body"])
    assert "docs/storefront.json" in script and "docs/staff.json" in script


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_is_served_with_its_type_and_security_headers(name: str) -> None:
    answer = _get(f"/docs/{name}", name)
    headers = answer["headers"]
    assert answer["statusCode"] == 200 and headers["Content-Type"] == FILES[name][1]  # type: ignore[index]
    assert "script-src 'self'" in headers["Content-Security-Policy"]  # type: ignore[index]
    assert answer["body"]


def test_the_documents_are_the_committed_ones_and_swagger_ui_is_the_pinned_package() -> None:
    for name in ("storefront", "staff"):
        served = json.loads(str(_get(f"/docs/{name}.json", f"{name}.json")["body"]))
        assert served == json.loads((ROOT / f"docs/openapi/{name}.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/swagger-ui-dist"]["version"] == "5.35.0"


def test_anything_else_is_404_in_the_error_body() -> None:
    answer = _get("/docs/..%2Fhandler.py", "../handler.py")
    assert answer["statusCode"] == 404
    assert json.loads(str(answer["body"]))["error"]["code"] == "route_not_found"
