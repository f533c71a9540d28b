"""Ticket classification on arrival: the language, and the category with a confidence.

Pure Python, no network: two multinomial naive Bayes models over character n-grams (and words,
for space-separated scripts), their weights in `classifier_model.json` next to this file,
trained by `scripts/train_ticket_classifier.py` from tests/data/tickets/. Japanese and Chinese
are told apart by script (kana is only Japanese); the Latin-script languages by the language
model. Text in any other script is an unknown language (`und`) and goes to triage.

The model file is read on the first classification, not at import, so a handler that never
classifies pays nothing for it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from boomerang.tickets.lexicon import NGRAM_WEIGHT, concepts_in, fold

MODEL_PATH = Path(__file__).with_name("classifier_model.json")

LANGUAGES: tuple[str, ...] = ("en", "zh", "es", "de", "fr", "ja")
LATIN_LANGUAGES: tuple[str, ...] = ("en", "es", "de", "fr")
UNKNOWN_LANGUAGE = "und"  # BCP 47's "undetermined"
CATEGORIES: tuple[str, ...] = (
    "return_request",
    "refund_status",
    "exchange_request",
    "damaged_item",
    "wrong_item",
    "missing_item",
    "size_issue",
    "tracking",
    "cancel_order",
    "other",
)
# Below this confidence a ticket waits in the triage queue for a person to categorize it.
DEFAULT_THRESHOLD = 0.6

_TAG = re.compile(r"<[^>]{0,200}>")
_DIGITS = re.compile(r"[0-9]+")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Order numbers and RMAs in any spelling collapse to one token: they say "an order was named".
_ORDER_CODE = re.compile(r"\b[A-Za-z]{0,4}[-#]?\d[\dA-Za-z-]{2,}\b")


def _is_kana(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f"


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def _is_latin(ch: str) -> bool:
    return (ch.isascii() and ch.isalpha()) or ("\u00c0" <= ch <= "\u024f" and ch.isalpha())


@dataclass(frozen=True)
class Script:
    kana: int
    han: int
    latin: int
    other: int  # letters of any other script (Cyrillic, Arabic, Hangul, ...)

    @property
    def letters(self) -> int:
        return self.kana + self.han + self.latin + self.other


def script_of(text: str) -> Script:
    kana = han = latin = other = 0
    for ch in text:
        if _is_kana(ch):
            kana += 1
        elif _is_han(ch):
            han += 1
        elif _is_latin(ch):
            latin += 1
        elif ch.isalpha():
            other += 1
    return Script(kana, han, latin, other)


def normalize(text: str) -> str:
    """What the models read: NFKC (full-width to ASCII), lower case, markup and codes reduced."""
    text = unicodedata.normalize("NFKC", text)
    text = _TAG.sub(" ", text)
    text = _ORDER_CODE.sub(" 0 ", text)
    text = _DIGITS.sub("0", text)
    return " ".join(fold(text.lower()).split())


def category_features(text: str) -> dict[str, float]:
    """The lexicon's concepts found (weight 1 each), and, weighted far lower (they are many, each
    weak), words and in-word character 3-5-grams for spaced scripts, 1-3-grams for CJK."""
    norm = normalize(text)
    grams: Counter[str] = Counter()
    for word in _WORD.findall(norm):
        cjk = [ch for ch in word if _is_han(ch) or _is_kana(ch)]
        if cjk:
            run = "".join(cjk)
            for n in (1, 2, 3):
                grams.update("c:" + run[i : i + n] for i in range(len(run) - n + 1))
            continue
        grams["w:" + word] += 1
        padded = f" {word} "
        for n in (3, 4, 5):
            grams.update("g:" + padded[i : i + n] for i in range(len(padded) - n + 1))
    features = {f: n * NGRAM_WEIGHT for f, n in grams.items()}
    features.update({"k:" + concept: 1.0 for concept in concepts_in(norm)})
    return features


def language_features(text: str) -> Counter[str]:
    """Character 1-3-grams of the Latin-script words, with word boundaries."""
    features: Counter[str] = Counter()
    for word in _WORD.findall(normalize(text)):
        if not all(_is_latin(ch) for ch in word):
            continue
        padded = f" {word} "
        for n in (1, 2, 3):
            features.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return features


@dataclass(frozen=True)
class NaiveBayes:
    """Multinomial naive Bayes: log priors, log P(feature | class), and the unseen feature's."""

    classes: tuple[str, ...]
    log_prior: tuple[float, ...]
    log_likelihood: dict[str, tuple[float, ...]]
    log_unseen: tuple[float, ...]
    # Posteriors of naive Bayes are overconfident (features are not independent): the scores are
    # divided by this before the softmax; chosen on held-out folds by the training script.
    temperature: float = 1.0

    def scores(self, features: Mapping[str, float]) -> list[float]:
        totals = list(self.log_prior)
        for feature, count in features.items():
            row = self.log_likelihood.get(feature)
            if row is None:
                continue  # a feature never seen in training says nothing about any class
            for i, value in enumerate(row):
                totals[i] += count * value
        return totals

    def predict(self, features: Mapping[str, float]) -> tuple[str, float, dict[str, float]]:
        scores = self.scores(features)
        top = max(scores)
        weights = [math.exp((s - top) / self.temperature) for s in scores]
        total = sum(weights)
        probabilities = {c: w / total for c, w in zip(self.classes, weights, strict=True)}
        best = max(probabilities, key=lambda c: probabilities[c])
        return best, probabilities[best], probabilities

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "log_prior": [round(v, 4) for v in self.log_prior],
            "log_unseen": [round(v, 4) for v in self.log_unseen],
            "temperature": self.temperature,
            "log_likelihood": {f: [round(v, 3) for v in row] for f, row in self.log_likelihood.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NaiveBayes:
        return cls(
            classes=tuple(data["classes"]),
            log_prior=tuple(data["log_prior"]),
            log_likelihood={f: tuple(row) for f, row in data["log_likelihood"].items()},
            log_unseen=tuple(data["log_unseen"]),
            temperature=float(data.get("temperature", 1.0)),
        )


@dataclass(frozen=True)
class Classification:
    language: str  # one of LANGUAGES, or "und"
    language_confidence: float
    category: str
    confidence: float
    needs_triage: bool


class TicketClassifier:
    def __init__(self, language: NaiveBayes, category: NaiveBayes, threshold: float = DEFAULT_THRESHOLD):
        self.language_model = language
        self.category_model = category
        self.threshold = threshold

    def language(self, text: str) -> tuple[str, float]:
        script = script_of(text)
        if script.letters == 0:
            return UNKNOWN_LANGUAGE, 0.0
        cjk = script.kana + script.han
        if script.other > max(cjk, script.latin):
            return UNKNOWN_LANGUAGE, script.other / script.letters
        if cjk >= script.latin:
            # Kana is written only in Japanese; Japanese text without any kana is rare in tickets.
            return ("ja" if script.kana else "zh"), cjk / script.letters
        code, confidence, _ = self.language_model.predict(language_features(text))
        return code, confidence

    def classify(self, text: str) -> Classification:
        language, language_confidence = self.language(text)
        category, confidence, _ = self.category_model.predict(category_features(text))
        if language == UNKNOWN_LANGUAGE:
            # The category model knows only the supported languages: whatever it says is a guess.
            confidence = 0.0
        return Classification(
            language=language,
            language_confidence=round(language_confidence, 4),
            category=category,
            confidence=round(confidence, 4),
            needs_triage=confidence < self.threshold,
        )


@cache
def default_classifier() -> TicketClassifier:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return TicketClassifier(
        NaiveBayes.from_json(data["language"]),
        NaiveBayes.from_json(data["category"]),
        float(data.get("threshold", DEFAULT_THRESHOLD)),
    )
