"""Trying a draft in the editor: what a try and the check before publishing cost, first and again.

    python benchmarks/editor_try.py [--rounds N] [--set eval/realistic-fit.yaml]

In one process, on the shipped knowledge (as the server serves it, with its
embeddings), for a new article in six languages (tests/data/gift-shop-umbrellas.yaml):

- build: the draft's knowledge (the served one with the article in place);
- first try: the labelled set asked of the live knowledge and of the draft's;
- try again: the same draft tried again (an editor adds a question and asks);
- check before publishing: the labelled set once more, for the confirmation;

and, as the baseline measured in the same run, asking the set's questions
once of the live knowledge alone. Medians over N rounds, each round with a
fresh copy of the live knowledge (nothing remembered from the round before).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from assistant import create_app  # noqa: E402
from assistant.editors import trial  # noqa: E402
from indexer.documents import check  # noqa: E402

BUDGET = 2.0  # seconds per question, as ASK_BUDGET_MS allows by default


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--set", default=str(ROOT / "eval" / "realistic-fit.yaml"))
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="editor-try-"))
    app = create_app({"INSTANCE": str(instance), "EDITOR_EVAL_SETS": args.set, "BACKGROUND_WORKER": False,
                      "START_THREADS": False, "RELOAD_POLL_SECONDS": 0})
    data = yaml.safe_load((ROOT / "tests" / "data" / "gift-shop-umbrellas.yaml").read_text(encoding="utf-8"))
    served = app.extensions["knowledge"].current().retriever
    article, problems = check(data, data["id"], served.articles.values())
    assert not problems, problems
    questions = trial.labelled(app)
    rows: dict[str, list[float]] = {name: [] for name in ("baseline", "build", "first", "again", "publish")}
    for _ in range(args.rounds):
        live = served.rebuilt([])  # a fresh copy: nothing remembered from the round before
        rows["baseline"].append(timed(lambda: [live.ask(q, lang, budget=BUDGET) for q, lang, _, _ in questions]))
        live = served.rebuilt([])
        app.extensions.pop("draft_retrievers", None)
        holder = {}
        rows["build"].append(timed(lambda: holder.setdefault("draft", trial.draft_retriever(app, live, article))))
        draft = holder["draft"]
        rows["first"].append(timed(lambda: trial.compare(live, draft, questions, BUDGET)))
        rows["again"].append(timed(lambda: trial.compare(live, trial.draft_retriever(app, live, article), questions,
                                                         BUDGET)))
        rows["publish"].append(timed(lambda: trial.compare(live, draft, questions, BUDGET)))
    base = statistics.median(rows["baseline"])
    print(f"{len(questions)} labelled questions, {len(served.articles)} articles, {args.rounds} rounds (medians)")
    labels = {"baseline": "baseline: the set asked once of the live knowledge", "build": "build the draft's knowledge",
              "first": "first try (live and draft)", "again": "the same draft tried again",
              "publish": "check before publishing, after a try"}
    for name, label in labels.items():
        median = statistics.median(rows[name])
        print(f"{label:55s} {median:8.2f} s   {median / base:6.2f} x baseline")


if __name__ == "__main__":
    main()
