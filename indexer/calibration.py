"""Calibrated confidence: how likely a candidate article is the right answer.

Raw BM25 scores are not comparable across questions, so each candidate is
described by five numbers that are:

1. ``bm25``: its BM25 score divided by the most any article could score for
   this question (every term saturated; words the knowledge base has never
   seen count at full weight, which is what sinks off-topic questions);
2. ``ngram``: its best character n-gram cosine with a title or alternative
   question;
3. ``margin``: its fused score minus the best other candidate's;
4. ``coverage``: the share of the question's terms the article contains at
   all, so one lucky word ("Hallo, wie geht's?") is not enough;
5. ``length``: how many terms the question has (up to 10, scaled to 0..1):
   the same coverage means more in a long question than in a two-word one.

A logistic regression fitted on labelled questions (``eval/calibration.yaml``,
written for this project) maps them to a probability.  The threshold is the
lowest one that, on the same questions, still escalates at least 92% of the
off-topic ones and answers at most 2.5% of the others wrongly
(``choose_threshold``).  Both are stored in ``calibration.json`` beside this
module; ``python -m indexer calibrate`` refits them.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

DEFAULT_PATH = Path(__file__).with_name("calibration.json")
FEATURES = ("bm25", "ngram", "margin", "coverage", "length")
LENGTH_CAP = 10  # terms; longer questions count as long
MIN_OOD_ESCALATED = 0.92
MAX_ANSWERED_WRONG = 0.025


@dataclass(frozen=True)
class Calibration:
    alpha: float = 0.7  # share of BM25 in the fused ranking score, the rest n-grams
    coefficients: tuple[float, ...] = (-2.0, 4.0, 16.0, 5.0, 0.0)
    intercept: float = -4.0
    threshold: float = 0.5
    fitted_on: str = "defaults"

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> "Calibration":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        data["coefficients"] = tuple(data["coefficients"])
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def save(self, path: str | Path = DEFAULT_PATH) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    def fuse(self, bm25: np.ndarray, ngram: np.ndarray) -> np.ndarray:
        """The ranking score: a convex mix of the two 0..1 similarities."""
        return self.alpha * bm25 + (1.0 - self.alpha) * ngram

    def confidence(self, rows: np.ndarray) -> np.ndarray:
        """Probability that each candidate (a row of ``features``) is right."""
        if not len(rows):
            return np.zeros(0)
        z = rows @ np.asarray(self.coefficients) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def features(
    bm25: np.ndarray, ngram: np.ndarray, fused: np.ndarray, order: np.ndarray, coverage: np.ndarray, terms: int
) -> np.ndarray:
    """One row (bm25, ngram, margin, coverage, length) per candidate in ``order``."""
    if not order.size:
        return np.zeros((0, len(FEATURES)))
    top = fused[order]
    best_other = np.where(np.arange(order.size) == 0, top[1] if order.size > 1 else 0.0, top[0])
    length = np.full(order.size, min(terms, LENGTH_CAP) / LENGTH_CAP)
    return np.column_stack((bm25[order], ngram[order], top - best_other, coverage, length))


def fit(rows: np.ndarray, labels: np.ndarray) -> tuple[tuple[float, ...], float]:
    """Logistic regression coefficients and intercept for candidate rows."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=10.0, max_iter=1000)
    model.fit(rows, labels)
    return tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0])


def choose_threshold(
    top_confidences: np.ndarray,
    top_correct: np.ndarray,
    in_domain: np.ndarray,
    min_ood_escalated: float = MIN_OOD_ESCALATED,
    max_answered_wrong: float = MAX_ANSWERED_WRONG,
) -> float:
    """The lowest threshold (most questions answered) that still escalates enough off-topic
    questions and answers few enough wrongly, as rates so the set's mix does not matter.

    The bounds sit a little inside the product goals (>= 0.90 escalated,
    <= 0.03 wrong) to leave room for questions unlike the calibration set.
    If no threshold meets both, the one with the fewest constraint misses wins.
    """
    n_in, n_ood = max(int(in_domain.sum()), 1), max(int((~in_domain).sum()), 1)
    best: tuple[float, float] | None = None
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        answered = top_confidences >= t
        ood_escalated = np.sum(~answered & ~in_domain) / n_ood
        wrong = np.sum(answered & in_domain & ~top_correct) / n_in
        shortfall = max(0.0, min_ood_escalated - ood_escalated) + max(0.0, wrong - max_answered_wrong)
        if shortfall == 0.0:
            return float(t)
        if best is None or shortfall < best[0]:
            best = (shortfall, float(t))
    return best[1]
