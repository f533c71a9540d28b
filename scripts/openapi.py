"""The committed OpenAPI documents (docs/openapi/<name>.json, boomerang.api.openapi) and their gate.

    python -m scripts.openapi check     # make compare-openapi (in make test): fails on a breaking
                                        # change, or when the committed documents are not current
    python -m scripts.openapi write     # make openapi: regenerate them; refuses a breaking change
    python -m scripts.openapi write --accept-breaking "why"   # writes it, and records the breaks
                                        # and the reason in docs/openapi/BREAKING.md for review

Storefront developers build on these documents: a change that breaks a client
(scripts/openapi_diff.py says which) needs a deliberate, reviewed step, not just a regeneration.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from boomerang.api.openapi import DOCUMENTS, document_json
from scripts.openapi_diff import breaking_changes

DIR = Path(__file__).resolve().parents[1] / "docs" / "openapi"
BREAKING_LOG = DIR / "BREAKING.md"


def committed(name: str) -> str | None:
    path = DIR / f"{name}.json"
    return path.read_text() if path.exists() else None


def compare() -> tuple[dict[str, list[str]], list[str]]:
    """(breaking changes by document, documents that are not current)."""
    breaks: dict[str, list[str]] = {}
    stale: list[str] = []
    for name in DOCUMENTS:
        current, old = document_json(name), committed(name)
        if old == current:
            continue
        stale.append(name)
        if old is not None:
            found = breaking_changes(json.loads(old), json.loads(current))
            if found:
                breaks[name] = found
    return breaks, stale


def _print_breaks(breaks: dict[str, list[str]]) -> None:
    for name, found in breaks.items():
        print(f"docs/openapi/{name}.json: {len(found)} breaking change(s):", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)


def check() -> int:
    breaks, stale = compare()
    if breaks:
        _print_breaks(breaks)
        print(
            "A client built on the committed API would break. Keep the old shape (add, don't change), or "
            'run `make openapi ACCEPT_BREAKING="why"` to record the break for review.',
            file=sys.stderr,
        )
        return 1
    if stale:
        print(f"docs/openapi/ is not current ({', '.join(stale)}): run `make openapi`.", file=sys.stderr)
        return 1
    print(f"OpenAPI documents current, no breaking change ({', '.join(DOCUMENTS)}).")
    return 0


def write(accept_breaking: str | None) -> int:
    breaks, stale = compare()
    if breaks and not accept_breaking:
        _print_breaks(breaks)
        print('Refused: run `make openapi ACCEPT_BREAKING="why"` to write and record it.', file=sys.stderr)
        return 1
    DIR.mkdir(parents=True, exist_ok=True)
    if breaks:
        lines = [f"\n## {datetime.now(UTC).date().isoformat()}: {accept_breaking}\n"]
        lines += [f"- {name}: {line}\n" for name, found in breaks.items() for line in found]
        with BREAKING_LOG.open("a") as log:
            log.writelines(lines)
    for name in stale:
        (DIR / f"{name}.json").write_text(document_json(name))
    print(f"wrote {', '.join(stale) or 'nothing (current)'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check")
    writing = sub.add_parser("write")
    writing.add_argument("--accept-breaking", default=None, help="why this break is accepted")
    args = parser.parse_args(argv)
    return check() if args.command == "check" else write(args.accept_breaking or None)


if __name__ == "__main__":
    raise SystemExit(main())
