"""Ticket classification on arrival: the language, and the category with a confidence.

Pure Python at run time (no numpy), no network: the weights are in `classifier_model.json` next
to this file, trained by `scripts/train_ticket_classifier.py` from tests/data/tickets/.
Language: Japanese and Chinese are told apart by script (kana is only Japanese), the Latin-script
languages by a naive Bayes model over character n-grams; text in any other script is an unknown
language (`und`) and goes to triage. Category: multinomial logistic regression over words, word
bigrams and character n-grams (accents folded, lower case).

The model file is read on the first classification, not at import, so a handler that never
classifies pays nothing for it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MODEL_PATH = Path(__file__).with_name("classifier_model.json")

LANGUAGES: tuple[str, ...] = ("en", "zh", "es", "de", "fr", "ja")
LATIN_LANGUAGES: tuple[str, ...] = ("en", "es", "de", "fr")
UNKNOWN_LANGUAGE = "und"  # BCP 47's "undetermined"
# Below this confidence a ticket waits in the triage queue for a person to categorize it.
DEFAULT_THRESHOLD = 0.6
# How much each group of category features weighs (each group is scaled to this length).
WORD_WEIGHT = 1.0
GRAM_WEIGHT = 1.5

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


def fold(text: str) -> str:
    """Latin letters without their accents ("é" -> "e", "ü" -> "u"; "ß" stays): customers type
    both. Other scripts are left alone (a Japanese dakuten is a combining mark too)."""
    out = []
    for ch in text:
        if "\u00c0" <= ch <= "\u024f" and ch != "ß":
            base = unicodedata.normalize("NFKD", ch)[0]
            out.append(base if base.isascii() else ch)
        else:
            out.append(ch)
    return "".join(out)


def _runs(word: str) -> list[tuple[bool, str]]:
    """A token split into runs of CJK (Han, kana) and other letters: "iphone用のケース" is one
    Latin run and one CJK run."""
    runs: list[tuple[bool, str]] = []
    for ch in word:
        cjk = _is_han(ch) or _is_kana(ch)
        if runs and runs[-1][0] == cjk:
            runs[-1] = (cjk, runs[-1][1] + ch)
        else:
            runs.append((cjk, ch))
    return runs


def category_features(text: str) -> dict[str, float]:
    """What the category model reads: two groups of binary features, each scaled to unit length (a
    long ticket does not outweigh a short one): words and word bigrams (`w:`, `b:`) of
    space-separated scripts, and character n-grams (`g:` 3-5-grams inside a word, `c:` 1-3-grams
    of a CJK run, which has no spaces)."""
    norm = normalize(text)
    words: set[str] = set()
    grams: set[str] = set()
    previous = ""
    for token in _WORD.findall(norm):
        for cjk, run in _runs(token):
            if cjk:
                for n in (1, 2, 3):
                    grams.update("c:" + run[i : i + n] for i in range(len(run) - n + 1))
                previous = ""
                continue
            words.add("w:" + run)
            if previous:
                words.add(f"b:{previous} {run}")
            previous = run
            padded = f" {run} "
            for n in (3, 4, 5):
                grams.update("g:" + padded[i : i + n] for i in range(len(padded) - n + 1))
    features: dict[str, float] = {}
    for group, weight in ((words, WORD_WEIGHT), (grams, GRAM_WEIGHT)):
        if group:
            value = weight / math.sqrt(len(group))
            features.update(dict.fromkeys(sorted(group), value))
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
class LinearModel:
    """Multinomial logistic regression: a score per class, bias plus the sum of the features'
    weights times their values; the probabilities are the softmax of the scores divided by a
    temperature (fitted on held-out folds by the training script, so that a confidence of 0.8
    is right about 80% of the time). Weights are integers in units of 1/`scale` (a smaller file);
    features not in `weights` were pruned or never seen and say nothing."""

    classes: tuple[str, ...]
    bias: tuple[int, ...]
    weights: Mapping[str, Sequence[int]]
    scale: int
    temperature: float = 1.0

    def scores(self, features: Mapping[str, float]) -> list[float]:
        totals = [float(b) for b in self.bias]
        for feature, value in features.items():
            row = self.weights.get(feature)
            if row is None:
                continue
            for i, weight in enumerate(row):
                totals[i] += value * weight
        return [t / self.scale for t in totals]

    def predict(self, features: Mapping[str, float]) -> tuple[str, float, dict[str, float]]:
        scores = self.scores(features)
        top = max(scores)
        exps = [math.exp((s - top) / self.temperature) for s in scores]
        total = sum(exps)
        probabilities = {c: e / total for c, e in zip(self.classes, exps, strict=True)}
        best = max(probabilities, key=lambda c: probabilities[c])
        return best, probabilities[best], probabilities

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "scale": self.scale,
            "temperature": self.temperature,
            "bias": list(self.bias),
            "weights": {f: list(row) for f, row in self.weights.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearModel:
        # The rows stay the lists JSON gave: converting 10^4 of them would only slow the first load.
        return cls(
            classes=tuple(data["classes"]),
            bias=tuple(data["bias"]),
            weights=data["weights"],
            scale=int(data["scale"]),
            temperature=float(data["temperature"]),
        )


@dataclass(frozen=True)
class Classification:
    language: str  # one of LANGUAGES, or "und"
    language_confidence: float
    category: str
    confidence: float
    needs_triage: bool


class TicketClassifier:
    def __init__(self, language: NaiveBayes, category: LinearModel, threshold: float = DEFAULT_THRESHOLD):
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
        LinearModel.from_json(data["category"]),
        float(data.get("threshold", DEFAULT_THRESHOLD)),
    )
