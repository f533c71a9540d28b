"""Training and held-out evaluation of the ticket classifier (never imported at run time: it needs
numpy, a development dependency; the Lambda reads the weights with pure Python).

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

import numpy as np

from boomerang.classifier.model import (
    LATIN_LANGUAGES,
    Classification,
    LinearModel,
    NaiveBayes,
    TicketClassifier,
    category_features,
    language_features,
)
from boomerang.domain.tickets import CATEGORIES

# Category model: L2 penalty (per ticket, on the mean loss), optimizer steps, the features kept
# (seen in at least MIN_DOCUMENTS training tickets; a feature whose largest weight rounds under
# PRUNE is dropped from the file), the weights' unit (1/SCALE).
L2 = 1e-4
STEPS = 150
LEARNING_RATE = 0.1
MIN_DOCUMENTS = 2
PRUNE = 0.01
SCALE = 1000
# Temperatures tried for the confidence (the one with the least log loss on held-out folds wins).
TEMPERATURES = tuple(round(0.1 + 0.05 * i, 2) for i in range(39))


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


def train_logistic(
    rows: Sequence[tuple[str, Mapping[str, float]]],
    classes: Sequence[str],
    l2: float | None = None,
    steps: int | None = None,
    min_documents: int | None = None,
) -> LinearModel:
    """Multinomial logistic regression, L2-penalized, full-batch Adam from zero (deterministic:
    the same rows give the same weights). Defaults: the module's L2, STEPS, MIN_DOCUMENTS."""
    l2 = L2 if l2 is None else l2
    steps = STEPS if steps is None else steps
    min_documents = MIN_DOCUMENTS if min_documents is None else min_documents
    seen: Counter[str] = Counter()
    for _, features in rows:
        seen.update(features.keys())
    vocabulary = sorted(f for f, n in seen.items() if n >= min_documents)
    index = {f: i for i, f in enumerate(vocabulary)}
    class_index = {c: i for i, c in enumerate(classes)}
    doc, col, val = [], [], []
    for d, (_, features) in enumerate(rows):
        for feature, value in features.items():
            j = index.get(feature)
            if j is not None:
                doc.append(d)
                col.append(j)
                val.append(value)
    n, v, k = len(rows), len(vocabulary), len(classes)
    # The same entries in two orders: by ticket (for the scores) and by feature (for the gradient);
    # np.add.reduceat sums each ticket's (each feature's) run.
    by_doc = np.array(doc, dtype=np.int64), np.array(col, dtype=np.int64), np.array(val)
    order = np.argsort(by_doc[1], kind="stable")
    by_col = by_doc[0][order], by_doc[1][order], by_doc[2][order]
    has_features = np.zeros(n, dtype=bool)
    has_features[by_doc[0]] = True
    doc_starts = np.searchsorted(by_doc[0], np.arange(n))[has_features]
    col_starts = np.searchsorted(by_col[1], np.arange(v))
    target = np.zeros((n, k))
    target[np.arange(n), [class_index[label] for label, _ in rows]] = 1.0
    weights, bias = np.zeros((v, k)), np.zeros(k)
    moments = [np.zeros((v, k)), np.zeros((v, k)), np.zeros(k), np.zeros(k)]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    scores = np.zeros((n, k))
    for step in range(1, steps + 1):
        scores[:] = 0.0
        if len(doc_starts):
            scores[has_features] = np.add.reduceat(by_doc[2][:, None] * weights[by_doc[1]], doc_starts)
        scores += bias
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - target) / n
        grad_w = np.add.reduceat(by_col[2][:, None] * error[by_col[0]], col_starts) + l2 * weights
        grad_b = error.sum(axis=0)
        for param, grad, m, s in (
            (weights, grad_w, moments[0], moments[1]),
            (bias, grad_b, moments[2], moments[3]),
        ):
            m *= beta1
            m += (1 - beta1) * grad
            s *= beta2
            s += (1 - beta2) * grad * grad
            param -= LEARNING_RATE * (m / (1 - beta1**step)) / (np.sqrt(s / (1 - beta2**step)) + eps)
    kept = {}
    for j, feature in enumerate(vocabulary):
        row = [round(float(w) * SCALE) for w in weights[j]]
        if max(abs(w) for w in row) >= PRUNE * SCALE:
            kept[feature] = row
    return LinearModel(tuple(classes), tuple(round(float(b) * SCALE) for b in bias), kept, SCALE)


def train_language(samples: Sequence[Labeled]) -> NaiveBayes:
    latin = [s for s in samples if s.language in LATIN_LANGUAGES]
    return train_naive_bayes(
        ((s.language, language_features(s.text)) for s in latin), LATIN_LANGUAGES, alpha=0.5
    )


def train_category(samples: Sequence[Labeled], temperature: float = 1.0) -> LinearModel:
    model = train_logistic([(s.category, category_features(s.text)) for s in samples], CATEGORIES)
    return LinearModel(model.classes, model.bias, model.weights, model.scale, temperature)


def held_out_scores(samples: Sequence[Labeled], k: int = 5) -> list[list[float]]:
    """Each ticket's category scores from a model trained on the other k-1 folds (before any
    temperature): what calibration and cross-validation read."""
    out: list[list[float]] = [[] for _ in samples]
    for held_out in folds(samples, k):
        held = set(held_out)
        model = train_category([s for i, s in enumerate(samples) if i not in held])
        for i in held_out:
            out[i] = model.scores(category_features(samples[i].text))
    return out


def temperature_for(samples: Sequence[Labeled], scores: Sequence[Sequence[float]]) -> float:
    """The temperature (of TEMPERATURES) with the least log loss of the held-out scores: the one
    that makes the confidences honest."""

    def log_loss(temperature: float) -> float:
        total = 0.0
        for s, row in zip(samples, scores, strict=True):
            top = max(row)
            norm = sum(math.exp((x - top) / temperature) for x in row)
            total -= (row[CATEGORIES.index(s.category)] - top) / temperature - math.log(norm)
        return total

    return min(TEMPERATURES, key=log_loss)


def calibrate(samples: Sequence[Labeled], k: int = 5) -> float:
    return temperature_for(samples, held_out_scores(samples, k))


def train(samples: Sequence[Labeled], threshold: float, temperature: float | None = None) -> TicketClassifier:
    """The classifier; without a temperature, one is calibrated on folds of `samples` first."""
    if temperature is None:
        temperature = calibrate(samples)
    return TicketClassifier(train_language(samples), train_category(samples, temperature), threshold)


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
    # (confidence, right) of every ticket: how well the confidence is calibrated.
    confidences: list[tuple[float, bool]] = field(default_factory=list)

    def add(self, sample: Labeled, got: Classification) -> None:
        right = got.category == sample.category
        for tally in (self.overall, self.by_language[sample.language], self.by_category[sample.category]):
            tally.total += 1
            tally.right += right
        self.language_detection.total += 1
        self.language_detection.right += got.language == sample.language
        if not right:
            self.confusions[(sample.category, got.category)] += 1
        if got.needs_triage:
            self.triaged += 1
        else:
            self.confident.total += 1
            self.confident.right += right
        self.confidences.append((got.confidence, right))


def evaluate(model: TicketClassifier, samples: Sequence[Labeled], k: int = 0) -> Evaluation:
    """Accuracy of `model` on labeled tickets it was not trained on (a blind set)."""
    result = Evaluation(k=k, threshold=model.threshold)
    for s in samples:
        result.add(s, model.classify(s.text))
    return result


def cross_validate(
    samples: Sequence[Labeled], k: int = 5, threshold: float = 0.6, temperature: float | None = None
) -> Evaluation:
    """Each ticket classified by a model trained on the other k-1 folds. The temperature, unless
    given, is calibrated on these same held-out scores (one number; it moves the triage figures a
    little, never the accuracy)."""
    scores: list[list[float]] = [[] for _ in samples]
    languages: list[tuple[str, float]] = [("", 0.0) for _ in samples]
    for held_out in folds(samples, k):
        held = set(held_out)
        training = [s for i, s in enumerate(samples) if i not in held]
        model = TicketClassifier(train_language(training), train_category(training), threshold)
        for i in held_out:
            scores[i] = model.category_model.scores(category_features(samples[i].text))
            languages[i] = model.language(samples[i].text)
    if temperature is None:
        temperature = temperature_for(samples, scores)
    result = Evaluation(k=k, threshold=threshold)
    for s, row, (language, language_confidence) in zip(samples, scores, languages, strict=True):
        top = max(row)
        exps = [math.exp((x - top) / temperature) for x in row]
        best = row.index(top)
        confidence = exps[best] / sum(exps)
        got = Classification(
            language, language_confidence, CATEGORIES[best], confidence, confidence < threshold
        )
        result.add(s, got)
    return result
