"""Calibrated confidence: how likely a candidate article is the right answer.

Raw scores are not comparable across questions, so each candidate is
described by numbers that are (the evidence, named in ``FEATURES``), and a
logistic regression fitted on labelled questions maps them to a
probability.  There are two models over the same evidence:

* ``fast``: words only (BM25, character n-grams, term coverage, over the
  whole message and over each of its sentences).  It answers alone when it
  is sure (``fast_sure``) or when meaning is off or out of time;
* ``full``: the same and the sentence encoder's similarities, used when
  the fast model is unsure.

Each model has its threshold, the lowest one that still escalates at
least ``MIN_OOD_ESCALATED`` of the off-topic questions it was fitted on and
answers at most ``MAX_ANSWERED_WRONG`` of the others wrongly.  Below it a
question is not answered; if its best candidate still reaches ``suggest``
the candidates are offered as "did you mean", else it is escalated.

No feature counts against length: a long pasted message is scored by its
best sentence as well as as a whole, so its extra words cost nothing.
Everything is stored in ``calibration.json`` beside this module;
``python -m indexer calibrate`` refits it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_PATH = Path(__file__).with_name("calibration.json")
MIN_OOD_ESCALATED = 0.95
MAX_ANSWERED_WRONG = 0.02
FAST_PATH_TOLERANCE = 0.005  # the fast path may cost at most this much of any rate against always asking the encoder

FEATURES = {
    "bm25": "BM25 of the whole message over the most it could score (unknown words at full weight)",
    "ngram": "best character n-gram cosine of the message with a title or alternative question",
    "coverage": "share of the message's distinct terms the article contains",
    "lex_margin": "fused word score minus the best other article's",
    "seg_bm25": "best normalised BM25 of one sentence (or question with its context) of the message",
    "seg_coverage": "best term coverage of one sentence",
    "seg_ngram": "best n-gram cosine of one sentence",
    "sentences": "1 when the message has several sentences (a pasted email), else 0",
    "terms": "the message's distinct terms, up to 10, over 10: one lucky word in a one-word message means little",
    "e5": "best cosine of the message's embedding with a title or alternative question",
    "e5_margin": "that cosine minus the best other article's",
    "e5_z": "that cosine in standard deviations above the mean over all articles",
    "e5_body": "best cosine with a paragraph of the body",
    "e5_body_margin": "that cosine minus the best other article's",
}
FAST_FEATURES = ("bm25", "ngram", "coverage", "lex_margin", "seg_bm25", "seg_coverage", "seg_ngram", "sentences", "terms")
FULL_FEATURES = (*FAST_FEATURES, "e5", "e5_margin", "e5_z", "e5_body", "e5_body_margin")


@dataclass(frozen=True)
class Model:
    """A logistic regression over named, standardised features, and its answer threshold."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    threshold: float

    def confidence(self, rows: np.ndarray) -> np.ndarray:
        """Probability that each candidate (a row of this model's features) is right."""
        if not len(rows):
            return np.zeros(0)
        z = ((rows - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coefficients)
        return 1.0 / (1.0 + np.exp(-(z + self.intercept)))

    @classmethod
    def from_json(cls, data: dict) -> "Model":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _neutral(features: tuple[str, ...]) -> Model:
    """An unfitted model: words and meaning count, nothing is sure (for tests and a missing file)."""
    weights = {"bm25": 4.0, "coverage": 2.0, "lex_margin": 3.0, "e5": 2.0, "e5_margin": 3.0}
    return Model(features, (0.0,) * len(features), (1.0,) * len(features),
                 tuple(weights.get(f, 0.0) for f in features), -4.0, 0.5)


@dataclass(frozen=True)
class Calibration:
    fast: Model = field(default_factory=lambda: _neutral(FAST_FEATURES))
    full: Model = field(default_factory=lambda: _neutral(FULL_FEATURES))
    alpha: float = 0.7  # share of BM25 in the fused word score, the rest n-grams
    semantic_weight: float = 3.0  # how much the embedding's cosine moves the candidates' order
    fast_sure: float = 0.95  # a fast confidence above this answers without the sentence encoder
    suggest: float = 0.1  # below the threshold, a best candidate above this is offered as "did you mean"
    fitted_on: str = "defaults"

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> "Calibration":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        return cls.from_json(data)

    @classmethod
    def from_json(cls, data: dict) -> "Calibration":
        if "fast" not in data:  # an index built before there were two models
            return cls()
        models = {name: Model.from_json(data[name]) for name in ("fast", "full")}
        return cls(**{**{k: data[k] for k in cls.__dataclass_fields__ if k in data}, **models})

    def to_json(self) -> dict:
        return asdict(self)

    def save(self, path: str | Path = DEFAULT_PATH) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    def fuse(self, bm25: np.ndarray, ngram: np.ndarray) -> np.ndarray:
        """The word ranking score: a convex mix of the two 0..1 similarities."""
        return self.alpha * bm25 + (1.0 - self.alpha) * ngram


def margin(values: np.ndarray) -> np.ndarray:
    """Each value minus the best other one: positive only for the leader."""
    if values.size < 2:
        return values.copy()
    second, top = np.partition(values, -2)[-2:]
    return np.where(values >= top, values - second, values - top)


def standard_scores(values: np.ndarray) -> np.ndarray:
    """How many standard deviations each value lies above the mean of all of them."""
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def fit_model(rows: np.ndarray, labels: np.ndarray, features: tuple[str, ...]) -> Model:
    """Standardise the features and fit a logistic regression; the threshold is set afterwards."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    model = LogisticRegression(C=1.0, max_iter=5000).fit((rows - mean) / scale, labels)
    return Model(features, tuple(map(float, mean)), tuple(map(float, scale)),
                 tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]), 0.5)


def choose_threshold(
    top_confidences: np.ndarray,
    top_correct: np.ndarray,
    in_domain: np.ndarray,
    min_ood_escalated: float = MIN_OOD_ESCALATED,
    max_answered_wrong: float = MAX_ANSWERED_WRONG,
) -> float:
    """The lowest threshold (most questions answered) that still escalates enough off-topic
    questions and answers few enough wrongly, as rates so the set's mix does not matter.

    If no threshold meets both, the one with the fewest constraint misses wins.
    """
    n_in, n_ood = max(int(in_domain.sum()), 1), max(int((~in_domain).sum()), 1)
    best: tuple[float, float] | None = None
    for t in np.round(np.arange(0.05, 0.991, 0.01), 2):
        answered = top_confidences >= t
        ood_escalated = np.sum(~answered & ~in_domain) / n_ood
        wrong = np.sum(answered & in_domain & ~top_correct) / n_in
        shortfall = max(0.0, min_ood_escalated - ood_escalated) + max(0.0, wrong - max_answered_wrong)
        if shortfall == 0.0:
            return float(t)
        if best is None or shortfall < best[0]:
            best = (shortfall, float(t))
    return best[1]


