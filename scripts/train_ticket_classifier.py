"""Train the ticket classifier on tests/data/tickets/ and write its model file into the library.

    .venv/bin/python -m scripts.train_ticket_classifier

Deterministic: the same labeled tickets give the same file. The blind sets (tests/data/tickets_holdout,
tickets_holdout2, tickets_blind3) are never read here: `make bench` reports them separately.
"""

from __future__ import annotations

import json
from pathlib import Path

from boomerang.classifier.model import DEFAULT_THRESHOLD, MODEL_PATH
from boomerang.classifier.training import load_labeled, train

ROOT = Path(__file__).resolve().parent.parent
LABELED = ROOT / "tests" / "data" / "tickets"


def main() -> None:
    samples = load_labeled(LABELED)
    model = train(samples, DEFAULT_THRESHOLD)
    document = {
        "trained_on": f"tests/data/tickets ({len(samples)} tickets)",
        "category_model": "multinomial logistic regression (boomerang/classifier/training.py)",
        "threshold": DEFAULT_THRESHOLD,
        "language": model.language_model.to_json(),
        "category": model.category_model.to_json(),
    }
    MODEL_PATH.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    size = MODEL_PATH.stat().st_size // 1024
    print(f"{MODEL_PATH.relative_to(ROOT)}: {size} KiB from {len(samples)} tickets")


if __name__ == "__main__":
    main()
