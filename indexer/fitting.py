"""Fitting the confidence models on labelled questions, and an honest estimate of the result.

Each labelled question goes through the retriever's own code (detection
without a hint, segments, the fast ranking, then the full one), so the
models learn from exactly the evidence they will see.  ``calibrate``
fits both models, their thresholds and ``fast_sure``;
``cross_validate`` fits on k-1 folds and scores the k-th with the same
policy ``Retriever.ask`` follows, per language.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .calibration import FAST_FEATURES, FAST_PATH_TOLERANCE, FULL_FEATURES, Calibration, Model, choose_threshold, fit_model
from .detect import detect
from .evaluation import Item
from .retrieval import Retriever


@dataclass(frozen=True)
class Candidates:
    """One ranking's candidates for one question: feature rows and which are right."""

    rows: np.ndarray
    correct: np.ndarray


@dataclass(frozen=True)
class Labelled:
    lang: str
    fast: Candidates
    full: Candidates | None
    in_domain: bool


def labelled(retriever: Retriever, items: Sequence[Item]) -> list[Labelled]:
    """Every question's fast and full candidates (full only when the retriever has embeddings)."""
    result = []
    for item in items:
        detection = detect(item.question)
        lang = detection.lang if detection.lang in retriever.indexes else next(iter(retriever.indexes))
        evidence, fast = retriever.fast_ranking(item.question, lang)
        full = retriever.full_ranking(item.question, evidence) if retriever.semantic_index is not None else None
        result.append(Labelled(item.lang, _candidates(retriever, evidence, fast, FAST_FEATURES, item),
                               full and _candidates(retriever, evidence, full, FULL_FEATURES, item),
                               bool(item.expect)))
    return result


def _candidates(retriever: Retriever, evidence, ranking, features, item: Item) -> Candidates:
    rows = np.column_stack([evidence.columns[name][ranking.order] for name in features])
    return Candidates(rows, np.array([retriever.article_ids[i] in item.expect for i in ranking.order]))


def calibrate(data: Sequence[Labelled], base: Calibration, source: str) -> Calibration:
    """Both models, their thresholds and the fast path's "sure" level, fitted on ``data``."""
    fast = _fit(data, "fast", FAST_FEATURES)
    if data and data[0].full is None:
        return replace(base, fast=fast, fast_sure=1.0, fitted_on=source)
    full = _fit(data, "full", FULL_FEATURES)
    fitted = replace(base, fast=fast, full=full, fitted_on=source)
    return replace(fitted, fast_sure=choose_fast_sure(fitted, data))


def choose_fast_sure(calibration: Calibration, data: Sequence[Labelled]) -> float:
    """The lowest fast confidence that may answer without the encoder and lose nothing measurable.

    Every rate of the policy (answered right, answered wrongly, off-topic
    escalated) must stay within FAST_PATH_TOLERANCE of always asking the
    encoder; the lower the level, the more questions take the fast path.
    """
    never = rates(replace(calibration, fast_sure=1.01), data)
    for level in np.round(np.arange(0.5, 1.0, 0.01), 2):
        got = rates(replace(calibration, fast_sure=float(level)), data)
        if (got["hit"] >= never["hit"] - FAST_PATH_TOLERANCE and got["wrong"] <= never["wrong"] + FAST_PATH_TOLERANCE
                and got["escalated"] >= never["escalated"] - FAST_PATH_TOLERANCE):
            return float(level)
    return 1.01


def rates(calibration: Calibration, data: Sequence[Labelled]) -> dict[str, float]:
    """The policy's rates over ``data``: answered right, answered wrongly, off-topic escalated."""
    outcomes = [(d.in_domain, *decide(calibration, d)) for d in data]
    n_in = sum(1 for o in outcomes if o[0]) or 1
    n_ood = (len(outcomes) - sum(1 for o in outcomes if o[0])) or 1
    return {"hit": sum(1 for i, a, r, _ in outcomes if i and a and r) / n_in,
            "wrong": sum(1 for i, a, r, _ in outcomes if i and a and not r) / n_in,
            "escalated": sum(1 for i, a, _, _ in outcomes if not i and not a) / n_ood}


def _fit(data: Sequence[Labelled], kind: str, features: tuple[str, ...]) -> Model:
    sets = [getattr(d, kind) for d in data]
    model = fit_model(np.vstack([c.rows for c in sets]), np.concatenate([c.correct for c in sets]), features)
    confidences, right = _tops(model, data, kind)
    threshold = choose_threshold(confidences, right, np.array([d.in_domain for d in data]))
    return replace(model, threshold=threshold)


def _tops(model: Model, data: Sequence[Labelled], kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Each question's best confidence under ``model`` and whether that candidate is right."""
    best = [_best(model, getattr(d, kind)) for d in data]
    return np.array([c for c, _, _ in best]), np.array([r for _, r, _ in best])


def _best(model: Model, candidates: Candidates) -> tuple[float, bool, bool]:
    """Best confidence, whether that candidate is right, whether a right one is among the first 3."""
    confidences = model.confidence(candidates.rows)
    if not confidences.size:
        return 0.0, False, False
    order = np.argsort(-confidences, kind="stable")
    return float(confidences[order[0]]), bool(candidates.correct[order[0]]), bool(candidates.correct[order[:3]].any())


def decide(calibration: Calibration, question: Labelled) -> tuple[bool, bool, bool]:
    """What ``Retriever.ask`` does with this question: (answered, right, a right one in the top 3)."""
    confidence, right, top3 = _best(calibration.fast, question.fast)
    model = calibration.fast
    if question.full is not None and confidence < calibration.fast_sure:
        confidence, right, top3 = _best(calibration.full, question.full)
        model = calibration.full
    return confidence >= model.threshold, right, top3


def cross_validate(data: Sequence[Labelled], base: Calibration, folds: int = 5, seed: int = 0) -> dict:
    """Per-language and overall rates of the policy, each question scored by models fitted without it."""
    fold_of = np.random.default_rng(seed).integers(0, folds, len(data))
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for fold in range(folds):
        model = calibrate([d for d, f in zip(data, fold_of) if f != fold], base, "cv")
        for d in (d for d, f in zip(data, fold_of) if f == fold):
            answered, right, top3 = decide(model, d)
            for key in (d.lang, "all"):
                c = counts[key]
                if d.in_domain:
                    c["n_in"] += 1
                    c["hit"] += answered and right
                    c["wrong"] += answered and not right
                    c["helped3"] += (answered and right) or (not answered and top3)
                else:
                    c["n_ood"] += 1
                    c["escalated"] += not answered
    return {lang: {"hit@1": c["hit"] / (c["n_in"] or 1), "answered_wrong": c["wrong"] / (c["n_in"] or 1),
                   "ood_escalated": c["escalated"] / (c["n_ood"] or 1), "helped@3": c["helped3"] / (c["n_in"] or 1),
                   "n": int(c["n_in"] + c["n_ood"])}
            for lang, c in counts.items()}
