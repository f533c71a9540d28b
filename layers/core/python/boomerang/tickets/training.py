"""Training and held-out evaluation of the ticket classifier (pure Python; not used at run time).

Used by scripts/train_ticket_classifier.py (which writes the model file), by `make bench` and by
the tests. Evaluation is stratified k-fold cross-validation: every ticket is scored by a model
trained on the other folds only, never on itself.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from boomerang.tickets.classifier import (
    CATEGORIES,
    LATIN_LANGUAGES,
    NaiveBayes,
    TicketClassifier,
    category_features,
    language_features,
)

# Smoothing of the category model (in units of one matched concept).
CATEGORY_ALPHA = 0.01
MIN_DOCUMENTS = 2


@dataclass(frozen=True)
class Labeled:
    language: str
    category: str
    text: str


def load_labeled(directory: Path) -> list[Labeled]:
    """The labeled tickets: one `<language>.tsv` per language, lines `category<TAB>text`."""
    samples = []
    for path in sorted(directory.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            category, text = line.split("\t", 1)
            if category not in CATEGORIES:
                raise ValueError(f"{path.name}: unknown category {category!r}")
            samples.append(Labeled(path.stem, category, text))
    return samples


def train_naive_bayes(
    rows: Iterable[tuple[str, Mapping[str, float]]],
    classes: Sequence[str],
    alpha: float = 1.0,
    min_documents: int = 1,
) -> NaiveBayes:
    """Multinomial naive Bayes with additive (Lidstone) smoothing `alpha`, keeping the features
    seen in at least `min_documents` training documents (rarer ones rarely recur; they would
    only grow the model file)."""
    counts: dict[str, dict[str, float]] = {c: defaultdict(float) for c in classes}
    docs: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for label, features in rows:
        for feature, value in features.items():
            counts[label][feature] += value
        seen.update(features.keys())
        docs[label] += 1
    vocabulary = sorted(f for f, n in seen.items() if n >= min_documents)
    size = len(vocabulary)
    n_docs = sum(docs.values())
    log_prior = tuple(math.log((docs[c] + 1) / (n_docs + len(classes))) for c in classes)
    denominators = [sum(counts[c].get(f, 0.0) for f in vocabulary) + alpha * size for c in classes]
    log_likelihood = {
        f: tuple(
            math.log((counts[c].get(f, 0.0) + alpha) / d) for c, d in zip(classes, denominators, strict=True)
        )
        for f in vocabulary
    }
    log_unseen = tuple(math.log(alpha / d) for d in denominators)
    return NaiveBayes(tuple(classes), log_prior, log_likelihood, log_unseen)


def train(samples: Sequence[Labeled], threshold: float, temperature: float = 1.0) -> TicketClassifier:
    latin = [s for s in samples if s.language in LATIN_LANGUAGES]
    language = train_naive_bayes(
        ((s.language, language_features(s.text)) for s in latin), LATIN_LANGUAGES, alpha=0.5
    )
    category = train_naive_bayes(
        ((s.category, category_features(s.text)) for s in samples),
        CATEGORIES,
        alpha=CATEGORY_ALPHA,
        min_documents=MIN_DOCUMENTS,
    )
    category = NaiveBayes(
        category.classes, category.log_prior, category.log_likelihood, category.log_unseen, temperature
    )
    return TicketClassifier(language, category, threshold)


def folds(samples: Sequence[Labeled], k: int, seed: int = 9) -> list[list[int]]:
    """Stratified by (language, category): each fold holds a share of every cell."""
    cells: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        cells[(s.language, s.category)].append(i)
    rng = random.Random(seed)  # noqa: S311 -- a reproducible shuffle, not a secret
    out: list[list[int]] = [[] for _ in range(k)]
    n = 0
    for cell in sorted(cells):
        members = cells[cell]
        rng.shuffle(members)
        for i in members:
            out[n % k].append(i)
            n += 1
    return out


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


@dataclass
class Evaluation:
    k: int
    threshold: float
    overall: Tally = field(default_factory=Tally)
    language_detection: Tally = field(default_factory=Tally)
    by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Tickets the classifier was sure of (>= threshold) and how many of those were right.
    confident: Tally = field(default_factory=Tally)
    triaged: int = 0


def cross_validate(
    samples: Sequence[Labeled], k: int = 5, threshold: float = 0.6, temperature: float = 1.0
) -> Evaluation:
    result = Evaluation(k=k, threshold=threshold)
    for held_out in folds(samples, k):
        held = set(held_out)
        model = train([s for i, s in enumerate(samples) if i not in held], threshold, temperature)
        for i in held_out:
            s = samples[i]
            got = model.classify(s.text)
            right = got.category == s.category
            for tally in (result.overall, result.by_language[s.language], result.by_category[s.category]):
                tally.total += 1
                tally.right += right
            result.language_detection.total += 1
            result.language_detection.right += got.language == s.language
            if not right:
                result.confusions[(s.category, got.category)] += 1
            if got.needs_triage:
                result.triaged += 1
            else:
                result.confident.total += 1
                result.confident.right += right
    return result
