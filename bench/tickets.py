"""Ticket classification accuracy on held-out data, and the ticket handler's cold start.

    .venv/bin/python -m bench.tickets      (also run by `make bench`; writes docs/TICKETS.md's figures)

Accuracy is measured on tickets the model was never trained on:
- 5-fold stratified cross-validation over the development set (tests/data/tickets): each ticket is
  classified by a model trained on the other four folds (optimistic: the lexicon was written
  against this set);
- two blind sets classified by the shipped model (trained on the whole development set):
  tests/data/tickets_holdout (written after the first model; its misses were later looked at) and
  tests/data/tickets_holdout2 (written after the final model was frozen; never looked at to tune).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.cold_start import ENV, _run
from boomerang.tickets.classifier import CATEGORIES, DEFAULT_THRESHOLD, LANGUAGES, MODEL_PATH
from boomerang.tickets.training import Evaluation, Labeled, Tally, cross_validate, load_labeled, train

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DOC = ROOT / "docs" / "TICKETS.md"
MARK = "<!-- bench:tickets -->"

_TICKETS_HANDLER = """
import time
t = time.perf_counter()
import functions.tickets_api.handler
print((time.perf_counter() - t) * 1000)
"""
# The first ticket of a container also reads the model file: timed on its own.
_FIRST_CLASSIFICATION = """
import time
import functions.tickets_api.handler
from boomerang.tickets.classifier import default_classifier
t = time.perf_counter()
default_classifier().classify("Where is my refund? RMA K7Q-4M2-XAC")
print((time.perf_counter() - t) * 1000)
"""


@dataclass
class Blind:
    overall: Tally
    by_language: dict[str, Tally]
    by_category: dict[str, Tally]
    language_detection: Tally
    confident: Tally
    triaged: int


def blind(train_on: list[Labeled], test_on: list[Labeled]) -> Blind:
    model = train(train_on, DEFAULT_THRESHOLD)
    result = Blind(Tally(), {}, {}, Tally(), Tally(), 0)
    for s in test_on:
        got = model.classify(s.text)
        right = got.category == s.category
        for tally in (
            result.overall,
            result.by_language.setdefault(s.language, Tally()),
            result.by_category.setdefault(s.category, Tally()),
        ):
            tally.total += 1
            tally.right += right
        result.language_detection.total += 1
        result.language_detection.right += got.language == s.language
        if got.needs_triage:
            result.triaged += 1
        else:
            result.confident.total += 1
            result.confident.right += right
    return result


def _pct(t: Tally) -> str:
    return f"{100 * t.accuracy:.1f}% ({t.right}/{t.total})"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


@dataclass
class ColdStart:
    floor_ms: float
    storefront_ms: float
    tickets_ms: float
    first_classification_ms: float


def cold_start(runs: int) -> ColdStart:
    """Medians over fresh processes, alternating, so a busy machine slows all alike. The storefront
    handler is measured in the same runs: its ratio is the foundation's reference."""
    from bench.cold_start import _FLOOR, _HANDLER

    os.environ.update(ENV)
    _run(_TICKETS_HANDLER)
    floor, storefront, handler, first = [], [], [], []
    for _ in range(runs):
        floor.append(_run(_FLOOR))
        storefront.append(_run(_HANDLER))
        handler.append(_run(_TICKETS_HANDLER))
        first.append(_run(_FIRST_CLASSIFICATION))
    return ColdStart(*(statistics.median(x) for x in (floor, storefront, handler, first)))


def report(runs: int) -> str:
    development = load_labeled(DATA / "tickets")
    held_out = load_labeled(DATA / "tickets_holdout")
    held_out2 = load_labeled(DATA / "tickets_holdout2")
    cv: Evaluation = cross_validate(development, k=5, threshold=DEFAULT_THRESHOLD)
    bl = blind(development, held_out)
    b2 = blind(development, held_out2)
    model = train(development, DEFAULT_THRESHOLD)
    started = time.perf_counter()
    for s in development:
        model.classify(s.text)
    per_ticket_ms = (time.perf_counter() - started) * 1000 / len(development)
    cold = cold_start(runs)

    counts = Counter(s.language for s in development)
    lang_rows = [
        [lang, str(counts[lang]), *(_pct(e.by_language[lang]) for e in (cv, bl, b2))] for lang in LANGUAGES
    ]
    cat_rows = [[cat, *(_pct(e.by_category[cat]) for e in (cv, bl, b2))] for cat in CATEGORIES]
    confusions = ", ".join(f"{a} -> {b} ({n})" for (a, b), n in cv.confusions.most_common(6))
    size_kib = MODEL_PATH.stat().st_size / 1024
    return "\n\n".join(
        [
            f"Measured by `make bench` (bench/tickets.py) on {time.strftime('%Y-%m-%d')}, Python "
            f"{sys.version.split()[0]}. Development set: {len(development)} tickets; blind sets: "
            f"{len(held_out)} and {len(held_out2)} tickets.",
            "### Category accuracy",
            _table(
                ["", "5-fold CV (development set)", "blind set 1", "blind set 2"],
                [
                    ["overall", _pct(cv.overall), _pct(bl.overall), _pct(b2.overall)],
                    [
                        "language detected",
                        _pct(cv.language_detection),
                        _pct(bl.language_detection),
                        _pct(b2.language_detection),
                    ],
                    [
                        f"confident (>= {DEFAULT_THRESHOLD}): accuracy",
                        _pct(cv.confident),
                        _pct(bl.confident),
                        _pct(b2.confident),
                    ],
                    [
                        f"sent to triage (< {DEFAULT_THRESHOLD})",
                        f"{cv.triaged}/{cv.overall.total}",
                        f"{bl.triaged}/{bl.overall.total}",
                        f"{b2.triaged}/{b2.overall.total}",
                    ],
                ],
            ),
            "### Per language",
            _table(["language", "development tickets", "CV", "blind set 1", "blind set 2"], lang_rows),
            "### Per category",
            _table(["category", "CV", "blind set 1", "blind set 2"], cat_rows),
            f"Most frequent confusions in cross-validation (true -> predicted): {confusions}.",
            "### Cost at run time",
            _table(
                ["", "figure"],
                [
                    ["model file (classifier_model.json)", f"{size_kib:.0f} KiB"],
                    ["classify one ticket (warm)", f"{per_ticket_ms:.2f} ms"],
                    [
                        f"floor (median of {runs} fresh processes, bench/cold_start.py)",
                        f"{cold.floor_ms:.0f} ms",
                    ],
                    [
                        "storefront handler: import and init (same runs, for reference)",
                        f"{cold.storefront_ms:.0f} ms ({cold.storefront_ms / cold.floor_ms:.2f}x the floor)",
                    ],
                    [
                        "tickets handler: import and init",
                        f"{cold.tickets_ms:.0f} ms ({cold.tickets_ms / cold.floor_ms:.2f}x the floor; "
                        "target 1.3x)",
                    ],
                    [
                        "first classification of a container (reads the model file)",
                        f"{cold.first_classification_ms:.0f} ms",
                    ],
                ],
            ),
        ]
    )


def write(text: str) -> None:
    """Replace the measured section of docs/TICKETS.md (between the markers)."""
    doc = DOC.read_text(encoding="utf-8")
    head, _, rest = doc.partition(MARK)
    _, _, tail = rest.partition(MARK)
    DOC.write_text(f"{head}{MARK}\n{text}\n{MARK}{tail}", encoding="utf-8")


def main() -> None:
    text = report(runs=int(os.environ.get("BENCH_COLD_RUNS", "15")))
    print(text)
    write(text)
    print(f"\nWritten to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
