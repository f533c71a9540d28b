"""Every error code the code can answer with is in the documented catalogue (and so in the OpenAPI)."""

from __future__ import annotations

import re
from pathlib import Path

from boomerang.api.errors import ERROR_CODES
from boomerang.domain.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("layers/core/python/boomerang/**/*.py"), *ROOT.glob("functions/**/*.py")]
RAISED = re.compile(r'code="([a-z_]+)"')
ANSWERED = re.compile(r'error_response\(\s*\d{3}(?: if [^,]+ else \d{3})?,\s*"([a-z_]+)"', re.S)


def catalogue() -> dict[str, int]:
    return {code: status for status, codes in ERROR_CODES.items() for code in codes}


def test_every_code_in_the_source_is_documented() -> None:
    used: set[str] = set()
    for path in SOURCES:
        text = path.read_text()
        used |= set(RAISED.findall(text)) | set(ANSWERED.findall(text))
    assert used, "the patterns found nothing: the test would pass vacuously"
    assert used - set(catalogue()) == set()


def test_error_classes_with_own_codes_are_documented_under_their_status() -> None:
    known = catalogue()
    stack: list[type[DomainError]] = [DomainError]
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        if "code" in vars(cls) and cls.code in known:
            assert known[cls.code] == cls.http_status, cls
