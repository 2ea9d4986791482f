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
            f"answered_wrong={self.total('wrong') / n_in:.3f} helped@3={self.total('helped3') / n_in:.3f} "
            f"p50_ms={p50:.2f} n={int(self.total('n'))}"
        )

    def table(self) -> str:
        rows = [f"{'lang':8} {'n':>4} {'hit@1':>6} {'mrr@5':>6} {'lang':>6} {'ood_esc':>7} {'wrong':>6} {'help@3':>6}"]
        for lang in sorted(self.counts):
            c = self.counts[lang]
            ratio = lambda a, b: c[a] / c[b] if c[b] else float("nan")  # noqa: E731
            rows.append(
                f"{lang:8} {int(c['n']):>4} {ratio('hit1', 'n_in'):6.3f} {ratio('mrr', 'n_in'):6.3f} "
                f"{ratio('lang_ok', 'n'):6.3f} {ratio('ood_ok', 'n_ood'):7.3f} {ratio('wrong', 'n_in'):6.3f} "
                f"{ratio('helped3', 'n_in'):6.3f}"
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
            # what the supplier sees: the answer, or the article among the first 3 "did you mean" suggestions
            c["helped3"] += got in item.expect or (got is None and bool(item.expect.intersection(ranked[:3])))
            if got not in item.expect:
                metrics.misses.append((item.lang, item.question, sorted(item.expect), got or "(escalated)"))
        else:
            c["n_ood"] += 1
            c["ood_ok"] += got is None
            if got is not None:
                metrics.misses.append((item.lang, item.question, "(escalate)", got))
    return metrics
