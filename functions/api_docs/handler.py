"""The API reference for people: GET /docs (Swagger UI over the storefront and staff OpenAPI
documents) and GET /docs/{file} (its assets), on the same REST API, no sign-in.

The files: Swagger UI's from the npm package swagger-ui-dist (pinned in package-lock.json), the page
from docs/api-site/, the documents as committed in docs/openapi/ (the APIs serve the same ones,
tests/unit/test_openapi_documents.py). Locally (make local) they are read where they live, so the
page shows the documents as they are now; deployed, from the copy beside this module (site/, made
at synth by infra/cdk/constructs/api_docs.py, not committed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# name under /docs/ -> (where it lives in the repository, its content type)
FILES: dict[str, tuple[str, str]] = {
    "index.html": ("docs/api-site/index.html", "text/html; charset=utf-8"),
    "docs.js": ("docs/api-site/docs.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("node_modules/swagger-ui-dist/swagger-ui.css", "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": (
        "node_modules/swagger-ui-dist/swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
    ),
    "swagger-ui-standalone-preset.js": (
        "node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "text/javascript; charset=utf-8",
    ),
    "storefront.json": ("docs/openapi/storefront.json", "application/json"),
    "staff.json": ("docs/openapi/staff.json", "application/json"),
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}
_cache: dict[str, str] = {}


def source(name: str) -> Path:
    """Where the file `name` is read from: the repository where there is one, else the deployed copy."""
    in_repo = REPO / FILES[name][0]
    return in_repo if in_repo.exists() else HERE / "site" / name


def _read(name: str) -> str:
    if name not in _cache:
        _cache[name] = source(name).read_text(encoding="utf-8")
    return _cache[name]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    name = ((event.get("pathParameters") or {}).get("file")) or "index.html"
    if name not in FILES:
        request_id = (event.get("requestContext") or {}).get("requestId")
        body = {
            "error": {
                "code": "route_not_found",
                "message": "No such file.",
                "details": [],
                "request_id": request_id,
            }
        }
        return {"statusCode": 404, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": FILES[name][1],
            "Cache-Control": "public, max-age=300",
            **SECURITY_HEADERS,
        },
        "body": _read(name),
    }
