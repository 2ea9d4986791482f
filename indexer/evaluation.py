"""Offline evaluation and calibration on a labelled question set.

A set has the format of ``../shared/eval/dev.yaml``: items of
``{lang, q, expect}`` where ``expect`` is an article id, a list of ids, or
null for a question that must be escalated.  ``evaluate`` computes the same
metrics as ``run_eval.py`` does against a server, without one.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from .calibration import Calibration, choose_threshold, fit
from .retrieval import Retriever


@dataclass(frozen=True)
class Item:
    lang: str
    question: str
    expect: frozenset[str]  # empty: must be escalated


@dataclass
class Metrics:
    """Counts per language, reported as the ratios run_eval.py prints."""

    counts: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    misses: list[tuple] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def total(self, key: str) -> float:
        return sum(c[key] for c in self.counts.values())

    def line(self) -> str:
        n_in, n_ood, n = self.total("n_in") or 1, self.total("n_ood") or 1, self.total("n") or 1
        p50 = sorted(self.latencies)[len(self.latencies) // 2] * 1000 if self.latencies else 0.0
        return (
            f"hit@1={self.total('hit1') / n_in:.3f} mrr@5={self.total('mrr') / n_in:.3f} "
            f"lang={self.total('lang_ok') / n:.3f} ood_escalated={self.total('ood_ok') / n_ood:.3f} "
            f"answered_wrong={self.total('wrong') / n_in:.3f} p50_ms={p50:.2f} n={int(self.total('n'))}"
        )

    def table(self) -> str:
        rows = [f"{'lang':8} {'n':>4} {'hit@1':>6} {'mrr@5':>6} {'lang':>6} {'ood_esc':>7}"]
        for lang in sorted(self.counts):
            c = self.counts[lang]
            ratio = lambda a, b: c[a] / c[b] if c[b] else float("nan")  # noqa: E731
            rows.append(
                f"{lang:8} {int(c['n']):>4} {ratio('hit1', 'n_in'):6.3f} {ratio('mrr', 'n_in'):6.3f} "
                f"{ratio('lang_ok', 'n'):6.3f} {ratio('ood_ok', 'n_ood'):7.3f}"
            )
        return "\n".join(rows)


def load_items(path: str | Path) -> list[Item]:
    """Read a question set (YAML, safe loader)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    items = []
    for raw in data["items"]:
        expect = raw.get("expect")
        ids = expect if isinstance(expect, list) else [expect] if expect else []
        items.append(Item(raw["lang"], str(raw["q"]), frozenset(ids)))
    return items


def evaluate(retriever: Retriever, items: Sequence[Item], with_lang: bool = False) -> Metrics:
    """Ask every question as a supplier would (no language hint unless asked) and score."""
    metrics = Metrics()
    for item in items:
        start = time.perf_counter()
        answer = retriever.ask(item.question, item.lang if with_lang else None)
        metrics.latencies.append(time.perf_counter() - start)
        c = metrics.counts[item.lang]
        c["n"] += 1
        c["lang_ok"] += answer.lang == item.lang
        ranked = [cand.article_id for cand in answer.candidates]
        got = answer.article_id if answer.answered else None
        if item.expect:
            c["n_in"] += 1
            c["hit1"] += got in item.expect
            c["wrong"] += got is not None and got not in item.expect
            c["mrr"] += next((1 / (i + 1) for i, a in enumerate(ranked) if a in item.expect), 0.0)
            if got not in item.expect:
                metrics.misses.append((item.lang, item.question, sorted(item.expect), got or "(escalated)"))
        else:
            c["n_ood"] += 1
            c["ood_ok"] += got is None
            if got is not None:
                metrics.misses.append((item.lang, item.question, "(escalate)", got))
    return metrics


@dataclass(frozen=True)
class Labelled:
    """One question's candidates as the calibration sees them."""

    rows: np.ndarray  # feature rows, one per candidate
    correct: np.ndarray  # whether each candidate is an acceptable answer
    in_domain: bool


def labelled(retriever: Retriever, items: Sequence[Item]) -> list[Labelled]:
    result = []
    for item in items:
        order, rows = retriever.evidence(item.question, item.lang)
        article_ids = retriever.indexes[item.lang].article_ids
        result.append(Labelled(rows, np.array([article_ids[i] in item.expect for i in order]), bool(item.expect)))
    return result


def calibrate(retriever: Retriever, items: Sequence[Item], source: str) -> Calibration:
    """Fit the confidence model and threshold on ``items``; see ``calibration.py``."""
    return _fit(labelled(retriever, items), retriever.calibration.alpha, source)


def _fit(data: Sequence[Labelled], alpha: float, source: str) -> Calibration:
    coefficients, intercept = fit(np.vstack([d.rows for d in data]), np.concatenate([d.correct for d in data]))
    model = Calibration(alpha, coefficients, intercept, 0.5, source)
    best = [_best(model, d) for d in data]
    threshold = choose_threshold(
        np.array([confidence for confidence, _ in best]),
        np.array([correct for _, correct in best]),
        np.array([d.in_domain for d in data]),
    )
    return Calibration(alpha, coefficients, intercept, threshold, source)


def _best(model: Calibration, data: Labelled) -> tuple[float, bool]:
    """The most confident candidate's confidence, and whether it is right."""
    confidences = model.confidence(data.rows)
    if not confidences.size:
        return 0.0, False
    top = int(np.argmax(confidences))
    return float(confidences[top]), bool(data.correct[top])


def cross_validate(retriever: Retriever, items: Sequence[Item], folds: int = 5, seed: int = 0) -> dict[str, float]:
    """Honest estimate of hit@1, escalation and wrong answers: fit on k-1 folds, score the k-th."""
    data = labelled(retriever, items)
    fold_of = np.random.default_rng(seed).integers(0, folds, len(data))
    hits = escalated = wrong = 0
    for fold in range(folds):
        model = _fit([d for d, f in zip(data, fold_of) if f != fold], retriever.calibration.alpha, "cv")
        for d in (d for d, f in zip(data, fold_of) if f == fold):
            confidence, correct = _best(model, d)
            answered = confidence >= model.threshold
            hits += answered and correct and d.in_domain
            wrong += answered and not correct and d.in_domain
            escalated += not answered and not d.in_domain
    n_in = sum(d.in_domain for d in data) or 1
    n_ood = (len(data) - sum(d.in_domain for d in data)) or 1
    return {"hit@1": hits / n_in, "ood_escalated": escalated / n_ood, "answered_wrong": wrong / n_in}
