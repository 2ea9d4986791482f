"""How long an answer takes on the shipped knowledge, for realistic questions, in three configurations.

    python benchmarks/answers.py                       # the blind realistic set and the older held-out set
    python benchmarks/answers.py --set eval/realistic.yaml --rounds 3

Rows (all in one process, one thread, same questions, same order):

* ``words only``: the fast path alone (SEMANTIC = false);
* ``default``: the fast path, and the sentence encoder when it is unsure;
* ``encoder always``: the encoder for every question (``fast_sure`` above 1).

Each prints the median, p90, p99 and mean of ``Retriever.ask``, the share of
questions that consulted the encoder, and the ratios to ``words only``
measured in the same run.  It reports numbers and checks nothing.  The
embedding cache (ASSISTANT_EMBEDDING_CACHE or the user cache) makes the
build fast after the first run.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import Retriever  # noqa: E402
from indexer.evaluation import load_items  # noqa: E402
from indexer.semantic import EmbeddingCache, default_cache_folder  # noqa: E402

DEFAULT_SETS = [ROOT / "eval" / "realistic.yaml", ROOT / "eval" / "holdout.yaml"]


def timed(retriever: Retriever, questions: list[str], rounds: int, semantic: bool) -> tuple[np.ndarray, float]:
    """Latencies in ms of every ask, and the share that consulted the encoder."""
    for question in questions[:20]:  # warm-up: models loaded, caches of per-process work filled
        retriever.ask(question, semantic=semantic)
    latencies, consulted = [], 0
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            answer = retriever.ask(question, semantic=semantic)
            latencies.append((time.perf_counter() - start) * 1000)
            consulted += answer.semantic
    return np.asarray(latencies), consulted / len(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", action="append", type=Path, help="question set(s); default: realistic + holdout")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    questions = [item.question for path in (args.set or DEFAULT_SETS) for item in load_items(path)]
    start = time.perf_counter()
    retriever = Retriever.from_directory(ROOT / "knowledge", semantic=True, cache=EmbeddingCache(default_cache_folder()))
    print(f"shipped knowledge built with embeddings in {time.perf_counter() - start:.1f} s; "
          f"{len(questions)} questions x {args.rounds} rounds", file=sys.stderr)
    always = retriever.with_calibration(dataclasses.replace(retriever.calibration, fast_sure=1.01))
    rows = [("words only", *timed(retriever, questions, args.rounds, semantic=False)),
            ("default", *timed(retriever, questions, args.rounds, semantic=True)),
            ("encoder always", *timed(always, questions, args.rounds, semantic=True))]
    base = np.median(rows[0][1])
    print(f"{'configuration':16} {'p50_ms':>7} {'p90_ms':>7} {'p99_ms':>7} {'mean_ms':>8} {'encoder':>8} {'p50 x':>6}")
    for name, latencies, share in rows:
        p50, p90, p99 = np.percentile(latencies, [50, 90, 99])
        print(f"{name:16} {p50:7.2f} {p90:7.2f} {p99:7.2f} {statistics.fmean(latencies):8.2f} {share:8.0%} "
              f"{p50 / base:6.1f}")


if __name__ == "__main__":
    main()
