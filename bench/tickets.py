"""Ticket classification accuracy on held-out data, and the ticket handler's cold start.

    .venv/bin/python -m bench.tickets      (also run by `make bench`; writes docs/TICKETS.md's figures)

Accuracy is measured on tickets the model was never trained on:
- blind set 3 (tests/data/tickets_blind3, 180 tickets), the headline: written and committed before
  the second round of work on the model, never trained on or tuned against;
- 5-fold stratified cross-validation over the development set (tests/data/tickets): each ticket is
  classified by a model trained on the other four folds;
- blind sets 1 and 2 (tests/data/tickets_holdout, tickets_holdout2, 60 each): the validation sets
  of the second round (its choices were made on them), so no longer blind.
The blind sets are classified by a model trained on the whole development set, as shipped.
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
from boomerang.classifier.model import DEFAULT_THRESHOLD, LANGUAGES, MODEL_PATH
from boomerang.classifier.training import Evaluation, Tally, cross_validate, evaluate, load_labeled, train
from boomerang.domain.tickets import CATEGORIES

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
from boomerang.classifier.model import default_classifier
t = time.perf_counter()
default_classifier().classify("Where is my refund? RMA K7Q-4M2-XAC")
print((time.perf_counter() - t) * 1000)
"""


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


def _calibration(e: Evaluation) -> list[list[str]]:
    bins = (
        (0.9, 1.01, "0.9-1.0"),
        (0.8, 0.9, "0.8-0.9"),
        (0.6, 0.8, "0.6-0.8"),
        (0.0, 0.6, "< 0.6 (triage)"),
    )
    rows = []
    for low, high, name in bins:
        inside = [right for confidence, right in e.confidences if low <= confidence < high]
        rows.append([name, str(len(inside)), _pct(Tally(sum(inside), len(inside)))])
    return rows


def report(runs: int) -> str:
    development = load_labeled(DATA / "tickets")
    blind3 = load_labeled(DATA / "tickets_blind3")
    held_out = load_labeled(DATA / "tickets_holdout")
    held_out2 = load_labeled(DATA / "tickets_holdout2")
    model = train(development, DEFAULT_THRESHOLD)
    b3, bl, b2 = (evaluate(model, blind) for blind in (blind3, held_out, held_out2))
    cv: Evaluation = cross_validate(development, k=5, threshold=DEFAULT_THRESHOLD)
    started = time.perf_counter()
    for s in development:
        model.classify(s.text)
    per_ticket_ms = (time.perf_counter() - started) * 1000 / len(development)
    cold = cold_start(runs)

    sets = (b3, cv, bl, b2)
    names = ["blind set 3", "5-fold CV (development set)", "blind set 1", "blind set 2"]
    counts = Counter(s.language for s in development)
    lang_rows = [[lang, str(counts[lang]), *(_pct(e.by_language[lang]) for e in sets)] for lang in LANGUAGES]
    cat_rows = [[cat, *(_pct(e.by_category[cat]) for e in sets)] for cat in CATEGORIES]
    confusions = ", ".join(f"{a} -> {b} ({n})" for (a, b), n in b3.confusions.most_common(6))
    cv_confusions = ", ".join(f"{a} -> {b} ({n})" for (a, b), n in cv.confusions.most_common(6))
    size_kib = MODEL_PATH.stat().st_size / 1024
    return "\n\n".join(
        [
            f"Measured by `make bench` (bench/tickets.py) on {time.strftime('%Y-%m-%d')}, Python "
            f"{sys.version.split()[0]}. Development set: {len(development)} tickets; blind set 3: "
            f"{len(blind3)} tickets; blind sets 1 and 2: {len(held_out)} and {len(held_out2)}. Category "
            f"model temperature {model.category_model.temperature} (calibrated on held-out folds of the "
            "development set).",
            "### Category accuracy",
            _table(
                ["", *names],
                [
                    ["overall", *(_pct(e.overall) for e in sets)],
                    ["language detected", *(_pct(e.language_detection) for e in sets)],
                    [f"confident (>= {DEFAULT_THRESHOLD}): accuracy", *(_pct(e.confident) for e in sets)],
                    [
                        f"sent to triage (< {DEFAULT_THRESHOLD})",
                        *(f"{e.triaged}/{e.overall.total}" for e in sets),
                    ],
                ],
            ),
            "### Per language",
            _table(["language", "development tickets", *names], lang_rows),
            "### Per category",
            _table(["category", *names], cat_rows),
            f"Most frequent confusions on blind set 3 (true -> predicted): {confusions}. "
            f"In cross-validation: {cv_confusions}.",
            "### Is the confidence honest?",
            _table(
                ["confidence", "blind set 3: tickets", "accuracy", "CV: tickets", "accuracy"],
                [
                    [a[0], a[1], a[2], c[1], c[2]]
                    for a, c in zip(_calibration(b3), _calibration(cv), strict=True)
                ],
            ),
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
