"""The pages' static assets: where each comes from in the repository, and their version.

Served under /<version>/<name> from the assets origin (an S3 bucket behind CloudFront, made by
infra/cdk/constructs/web_pages.py; `make local`'s own port, local/assets.py), so each can be cached
for a year: a change of any file changes the version, and so every URL. Build-time only: the
function gets the version as ASSETS_VERSION, never the files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# name -> path in the repository (htmx from npm, pinned in package-lock.json; the rest ours)
SOURCES: dict[str, str] = {
    "portal.css": "layers/core/python/boomerang/web/static/portal.css",
    "portal.js": "layers/core/python/boomerang/web/static/portal.js",
    "htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
    # The staff console's (boomerang/web/console).
    "console.css": "layers/core/python/boomerang/web/static/console.css",
    "console.js": "layers/core/python/boomerang/web/static/console.js",
}
CONTENT_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def asset_files(repo: Path) -> dict[str, Path]:
    files = {name: repo / where for name, where in SOURCES.items()}
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} missing: run `make setup` (npm ci) first")
    return files


def assets_version(repo: Path) -> str:
    digest = hashlib.sha256()
    for name, path in sorted(asset_files(repo).items()):
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
