# ruff: noqa: RUF001 -- full-width punctuation is what Chinese and Japanese customers type
"""The ticket classifier: language by script and model, category with a confidence, triage below
the threshold; the shipped model file is what the training script builds from the labeled set."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from boomerang.classifier.model import (
    LANGUAGES,
    MODEL_PATH,
    UNKNOWN_LANGUAGE,
    default_classifier,
    normalize,
)
from boomerang.classifier.training import (
    Labeled,
    folds,
    held_out_scores,
    load_labeled,
    temperature_for,
    train_category,
    train_language,
)
from boomerang.domain.tickets import CATEGORIES

DATA = Path(__file__).resolve().parents[1] / "data"
# Floors a few points under the figures measured by `make bench` (docs/TICKETS.md).
CV_FLOOR = 0.85
BLIND_FLOORS = {"tickets_blind3": 0.92, "tickets_holdout": 0.92, "tickets_holdout2": 0.9}


@pytest.fixture(scope="module")
def labeled() -> list:
    return load_labeled(DATA / "tickets")


def test_the_labeled_set_covers_every_language_and_category(labeled: list) -> None:
    assert len(labeled) >= 1200
    cells = {(s.language, s.category) for s in labeled}
    assert cells == {(lang, cat) for lang in LANGUAGES for cat in CATEGORIES}
    assert len({s.text for s in labeled}) == len(labeled), "duplicate tickets"


def test_folds_hold_out_every_ticket_exactly_once(labeled: list) -> None:
    held = sorted(i for fold in folds(labeled, 5) for i in fold)
    assert held == list(range(len(labeled)))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Where is my refund? It has been two weeks.", "en"),
        ("¿Dónde está mi reembolso? Ya pasaron dos semanas.", "es"),
        ("Wo bleibt meine Erstattung? Es sind zwei Wochen vergangen.", "de"),
        ("Où en est mon remboursement ? Cela fait deux semaines.", "fr"),
        ("我的退款什么时候到账？已经两个星期了", "zh"),
        ("返金はいつになりますか？もう2週間です。", "ja"),
        ("Где мой возврат? Прошло две недели.", UNKNOWN_LANGUAGE),
        ("12345 !!! ???", UNKNOWN_LANGUAGE),
    ],
)
def test_language(text: str, language: str) -> None:
    assert default_classifier().classify(text).language == language


def test_refund_questions_in_six_languages_are_refund_status_with_confidence() -> None:
    for text in (
        "Where is my refund? It has been two weeks.",
        "¿Dónde está mi reembolso? Ya pasaron dos semanas.",
        "Wo bleibt meine Erstattung? Es sind zwei Wochen vergangen.",
        "Où en est mon remboursement ? Cela fait deux semaines.",
        "我的退款什么时候到账？已经两个星期了",
        "返金はいつになりますか？もう2週間です。",
    ):
        got = default_classifier().classify(text)
        assert (got.category, got.needs_triage) == ("refund_status", False), (text, got)
        assert 0.6 <= got.confidence <= 1.0


def test_unknown_language_and_empty_text_go_to_triage() -> None:
    for text in ("Где мой возврат?", "", "<script>alert(1)</script>"):
        got = default_classifier().classify(text)
        assert got.needs_triage, (text, got)
        assert 0.0 <= got.confidence < 0.6


def test_normalize_reduces_markup_codes_and_full_width() -> None:
    assert normalize("<b>ＲＭＡ</b>  K7Q-4M2-XAC   order #10482") == "rma 0 order # 0"


@pytest.fixture(scope="module")
def held_out(labeled: list[Labeled]) -> list[list[float]]:
    """5-fold out-of-fold scores of the development set (five trainings, shared by the tests)."""
    return held_out_scores(labeled, 5)


def test_the_shipped_model_is_the_one_the_training_script_builds(
    labeled: list[Labeled], held_out: list[list[float]]
) -> None:
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    temperature = temperature_for(labeled, held_out)
    assert shipped["category"]["temperature"] == temperature
    rebuilt = train_category(labeled, temperature)
    assert shipped["category"] == json.loads(json.dumps(rebuilt.to_json()))
    assert shipped["language"] == json.loads(json.dumps(train_language(labeled).to_json()))
    assert MODEL_PATH.stat().st_size < 2_000_000  # small enough to load in a cold start


def test_classifying_imports_no_numpy() -> None:
    """The Lambda reads the weights with pure Python: numpy is for training only."""
    code = (
        "import sys\n"
        "from boomerang.classifier.model import default_classifier\n"
        "default_classifier().classify('Where is my refund?')\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_held_out_accuracy_does_not_regress(labeled: list[Labeled], held_out: list[list[float]]) -> None:
    """Floors a little under the measured figures (docs/TICKETS.md), so a change that makes the
    classifier worse fails here; the figures themselves are reported by `make bench`."""
    right = sum(
        CATEGORIES[row.index(max(row))] == s.category for s, row in zip(labeled, held_out, strict=True)
    )
    assert right / len(labeled) >= CV_FLOOR
    model = default_classifier()
    for blind_set, floor in BLIND_FLOORS.items():
        blind = load_labeled(DATA / blind_set)
        right = sum(model.classify(s.text).category == s.category for s in blind)
        assert right / len(blind) >= floor, blind_set
        assert all(model.classify(s.text).language == s.language for s in blind)
