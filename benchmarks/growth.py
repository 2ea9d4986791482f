"""Growth benchmark: build, size, load, reload, ask and worker memory as the knowledge base grows.

    python benchmarks/growth.py [--sizes 1000,10000] [--budget SECONDS] [--json FILE]

At the shipped knowledge and at each size (articles in all six languages,
made by recombining the shipped articles' own titles, questions and body
sentences, so word frequencies and analysis costs are real), it prints:

- build: seconds for ``Retriever.from_articles`` and the peak RSS of the
  forked process that built (VmHWM), and the index folder's size on disk;
- load: seconds for ``store.load(folder)`` (memory-mapped) in a fresh
  forked worker, and its first answer (Kiwi's model, compiled kernels);
- reload: seconds to rebuild after one changed article;
- ask p50 / p99 over 30 questions in six languages, each timed unseen;
- a worker's own memory: USS (Private_Clean + Private_Dirty from
  /proc/<pid>/smaps_rollup) next to its RSS, measured while a second
  worker has loaded the same folder, so the pages both map count as shared
  (as with two gunicorn workers); and the same for a worker forked from a
  parent that loaded and warmed up first (gunicorn ``--preload``).

It measures and reports; it asserts nothing.  The machine may be shared:
compare medians and ratios from one run, not absolute figures across runs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from indexer import Retriever, store  # noqa: E402
from indexer.articles import Article, Translation, read_article  # noqa: E402
from indexer.languages import CODES  # noqa: E402
from retrieval import ALL_QUESTIONS, KNOWLEDGE, in_child, reset_peak_rss, time_questions, _proc_status  # noqa: E402

SEED = 20261202
MB = 1024 * 1024
BUDGET_S = 5.0
_SENTENCE_END = re.compile(r"(?<=[.!?。？！])\s*|\n+")


# --- articles -----------------------------------------------------------------


def shipped_articles(folder: Path = KNOWLEDGE) -> list[Article]:
    return [a for a in (read_article(path)[0] for path in sorted(folder.glob("*.yaml"))) if a]


def sentence_pools(articles: Sequence[Article]) -> dict[str, dict[str, list[str]]]:
    """Per language, the shipped titles, questions and body sentences to recombine."""
    pools = {}
    for lang in CODES:
        texts = [a.translations[lang] for a in articles if lang in a.translations]
        sentences = [s.strip() for t in texts for s in _SENTENCE_END.split(t.body) if s and s.strip()]
        pools[lang] = {"titles": [t.title for t in texts], "questions": [q for t in texts for q in t.questions],
                       "sentences": sentences}
    return pools


def grown_articles(n: int, pools: dict, seed: int) -> list[Article]:
    """``n`` articles in six languages, each translation a fresh combination of shipped sentences."""
    rng = random.Random(seed)

    def translation(lang: str) -> Translation:
        pool = pools[lang]
        title = " ".join(rng.sample(pool["titles"], 2)) if rng.random() < 0.5 else rng.choice(pool["titles"])
        questions = tuple(rng.sample(pool["questions"], rng.randint(2, 4)))
        body = " ".join(rng.sample(pool["sentences"], rng.randint(4, 7)))
        return Translation(title, questions, body)

    return [Article(f"grown-{i:05d}", "help", {lang: translation(lang) for lang in CODES}) for i in range(n)]


def changed_copy(article: Article) -> Article:
    """The same article with one more sentence in its English body: what an editor's fix looks like."""
    translations = dict(article.translations)
    en = translations["en"]
    translations["en"] = Translation(en.title, en.questions, en.body + " Contact your customer if this persists.")
    return Article(article.id, article.category, translations, article.tags, article.updated, article.path)


# --- measuring ----------------------------------------------------------------


def memory() -> dict:
    """RSS, PSS and USS (private pages) of this process in MB, from /proc/self/smaps_rollup."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) * 1024
    return {"rss_MB": fields["Rss"] / MB, "pss_MB": fields["Pss"] / MB,
            "uss_MB": (fields["Private_Clean"] + fields["Private_Dirty"]) / MB}


def folder_size(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / MB


def build_and_save(make, folder: Path) -> dict:
    """In a forked process: build, save, and rebuild after one changed article."""

    def job() -> dict:
        articles = make()
        reset_peak_rss()
        start = time.perf_counter()
        retriever = Retriever.from_articles(articles)
        build_s = time.perf_counter() - start
        peak = _proc_status("VmHWM") / MB
        store.save(retriever, folder)
        changed = [changed_copy(articles[0])]
        start = time.perf_counter()
        rebuilt = retriever.rebuilt(changed, [])
        reload_s = time.perf_counter() - start
        assert rebuilt.version != retriever.version
        return {"build_s": build_s, "peak_MB": peak, "disk_MB": folder_size(folder), "reload_s": reload_s}

    return in_child(job)


def worker(folder: Path, budget_s: float) -> dict:
    """A worker as gunicorn starts one without --preload: load the folder, answer, measure."""
    start = time.perf_counter()
    retriever = store.load(folder)
    load_s = time.perf_counter() - start
    retriever.ask(ALL_QUESTIONS[0])
    first_s = time.perf_counter() - start
    latencies, _ = time_questions(retriever.ask, budget_s)
    return {"load_s": load_s, "first_answer_s": first_s, "p50_ms": float(np.percentile(latencies, 50) * 1e3),
            "p99_ms": float(np.percentile(latencies, 99) * 1e3), **memory()}


def while_another_runs(other, job):
    """Run ``job`` in a forked process while a sibling, forked too, has done ``other`` and waits.

    Two workers then map the same index files (or share a parent's pages),
    so what only one of them holds is what USS counts.
    """
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the sibling: do its work, say so, wait to be ended; never return into the caller
        try:
            os.close(ready_r)
            other()
            os.write(ready_w, b"1")
            signal.pause()
        finally:
            os._exit(0)
    os.close(ready_w)
    if os.read(ready_r, 1) != b"1":
        os.waitpid(pid, 0)
        os.close(ready_r)
        raise RuntimeError("the sibling worker failed")
    try:
        return in_child(job)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(ready_r)


def answer_all(retriever: Retriever) -> None:
    for question in ALL_QUESTIONS:
        retriever.ask(question)


def own_worker(folder: Path, budget_s: float) -> dict:
    """Two workers without --preload: each loads the folder itself; one is measured."""
    return while_another_runs(lambda: answer_all(store.load(folder)), lambda: worker(folder, budget_s))


def preloaded_worker(folder: Path, budget_s: float) -> dict:
    """gunicorn --preload: a parent loads and warms up, two workers fork from it; one is measured."""

    def parent() -> dict:
        retriever = store.load(folder)
        answer_all(retriever)  # a warm-up before forking: models and kernels are loaded in the parent

        def measured() -> dict:
            latencies, _ = time_questions(retriever.ask, budget_s)
            return {"p50_ms": float(np.percentile(latencies, 50) * 1e3), **memory()}

        return while_another_runs(lambda: answer_all(retriever), measured)

    return in_child(parent)


def row(name: str, make, budget_s: float, work: Path) -> dict:
    folder = work / name
    log(f"[{name}] build ...")
    built = build_and_save(make, folder)
    log(f"[{name}] workers ...")
    alone = own_worker(folder, budget_s)
    preloaded = preloaded_worker(folder, budget_s)
    shutil.rmtree(folder, ignore_errors=True)
    return {"size": name, **built, **alone, "preload_uss_MB": preloaded["uss_MB"],
            "preload_rss_MB": preloaded["rss_MB"], "preload_p50_ms": preloaded["p50_ms"]}


# --- reporting ----------------------------------------------------------------

COLUMNS = (
    ("size", "articles", "{}"), ("build_s", "build_s", "{:.1f}"), ("peak_MB", "peak_MB", "{:.0f}"),
    ("disk_MB", "disk_MB", "{:.1f}"), ("load_s", "load_s", "{:.2f}"), ("first_answer_s", "first_s", "{:.2f}"),
    ("reload_s", "reload_s", "{:.2f}"), ("p50_ms", "ask_p50", "{:.2f}"), ("p99_ms", "ask_p99", "{:.2f}"),
    ("uss_MB", "USS_MB", "{:.0f}"), ("rss_MB", "RSS_MB", "{:.0f}"),
    ("preload_uss_MB", "pre_USS", "{:.0f}"), ("preload_rss_MB", "pre_RSS", "{:.0f}"),
)


def format_table(rows: list[dict]) -> str:
    header = "".join(f"{title:>10}" for _, title, _ in COLUMNS)
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append("".join(f"{fmt.format(r[key]):>10}" for key, _, fmt in COLUMNS))
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="article counts besides the shipped folder")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds of asking per worker")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    shipped = shipped_articles()
    pools = sentence_pools(shipped)
    work = Path(tempfile.mkdtemp(prefix="procuree-growth-"))
    started = time.perf_counter()
    try:
        rows = [row("shipped", shipped_articles, args.budget, work)]
        rows += [row(str(n), lambda n=n: grown_articles(n, pools, SEED + n), args.budget, work) for n in sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(format_table(rows))
    print(f"\n{len(ALL_QUESTIONS)} questions in six languages; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}; {time.perf_counter() - started:.0f} s in all")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
