"""Issue 13, item 6: the README's error table is the API's error catalogue (api/errors.py
ERROR_CODES, which tests/unit/test_error_codes.py keeps complete against the code): every code under
its status, nothing else. `make openapi` rewrites the table."""

from __future__ import annotations

import re
from pathlib import Path

from boomerang.api.errors import ERROR_CODES
from scripts.openapi import TABLE_END, TABLE_START, readme_with_table

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (\d{3}) \| `([a-z_]+)` \| (.+) \|$")


def _table(text: str) -> list[tuple[int, str, str]]:
    section = text[text.index(TABLE_START) : text.index(TABLE_END)]
    rows = [ROW.match(line) for line in section.splitlines()[3:]]
    assert all(rows), "a row of the error table is not `| status | `code` | meaning |`"
    return [(int(m.group(1)), m.group(2), m.group(3)) for m in rows if m]


def test_the_readme_lists_every_code_under_its_status_and_nothing_else() -> None:
    rows = _table(README.read_text())
    documented = {(status, code) for status, code, _ in rows}
    assert documented == {(status, code) for status, codes in ERROR_CODES.items() for code in codes}
    assert len(rows) == len(documented), "a code is listed twice"
    for status, code, meaning in rows:
        assert meaning == ERROR_CODES[status][code].replace("|", "/")


def test_a_code_missing_from_the_readme_is_found() -> None:
    text = README.read_text()
    broken = re.sub(r"^\| 409 \| `stale_version` \|.*\n", "", text, flags=re.M)
    assert broken != text
    assert ("409", "stale_version") not in {(str(s), c) for s, c, _ in _table(broken)}
    assert readme_with_table(broken) == text  # `make openapi` puts it back
