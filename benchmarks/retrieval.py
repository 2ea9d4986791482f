"""Retrieval benchmark: this engine's BM25 and ask pipeline against rank-bm25 and bm25s.

    python benchmarks/retrieval.py [--sizes 1000,10000,100000] [--queries N] [--json FILE]
                                   [--budget SECONDS] [--no-pipeline] [--profile]

It measures and reports; it asserts nothing, so a slow, noisy machine never
fails a build.  Every build runs in its own forked process that makes its
input from the fixed seed first: the peak memory is then that build's own,
and one engine's garbage (rank-bm25 keeps 100,000 dicts) cannot slow the
garbage collector while the next engine is timed.  See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pickle
import platform
import pstats
import random
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without `pip install -e .`

from indexer import Retriever  # noqa: E402
from indexer.articles import Article, Translation, read_article  # noqa: E402
from indexer.detect import detect  # noqa: E402
from indexer.languages import CODES, LANGUAGES  # noqa: E402
from indexer.scoring import bm25_top_k, bm25_weights, column_max, document_frequencies, idf_lucene  # noqa: E402

SEED = 20261126
K = 10
K1, B = 1.2, 0.75  # the engine's defaults, given to every library
VOCABULARY_SIZE = 100_000
ZIPF_SHIFT, ZIPF_EXPONENT = 2.7, 1.0  # Zipf-Mandelbrot: the top term is in ~80% of documents
DOC_TOKENS = 60
BUDGET_S = 5.0  # per engine and size: stop timing after this long (never before MIN_CALLS)
MIN_CALLS = 20
WARMUP_CALLS = 10
AGREEMENT_QUERIES = 20  # bm25s's top-10 scores are compared with ours on this many queries
ALL_LANGUAGES_UP_TO = 10_000  # bigger synthetic pipelines are English only: Korean analysis takes ~4 ms a document
PIPELINE_ROUNDS = 20
KNOWLEDGE = ROOT / "knowledge"
MB = 1024 * 1024

# Supplier questions written for this benchmark, five per language.
QUESTIONS = {
    "en": ("How do I turn off two-factor authentication?", "Where can I see whether my invoice has been paid?",
           "How do I add another user to our supplier account?", "The invitation link from my customer has expired",
           "How can I check the status of my ticket?"),
    "fr": ("Comment désactiver l'authentification à deux facteurs ?", "Où voir si ma facture a été payée ?",
           "Comment ajouter un collègue à notre compte fournisseur ?", "Comment modifier mes coordonnées bancaires ?",
           "Je n'arrive pas à me connecter avec un nouveau client"),
    "de": ("Wie kann ich die Zwei-Faktor-Authentifizierung ausschalten?", "Wo sehe ich, ob meine Rechnung bezahlt wurde?",
           "Wie füge ich einen weiteren Benutzer hinzu?", "Wie ändere ich unsere Bankverbindung im Portal?",
           "Wie erstelle ich ein Ticket beim Knowledge Center?"),
    "ko": ("2단계 인증을 끄려면 어떻게 해야 하나요?", "송장 대금이 지급되었는지 어디서 확인하나요?",
           "공급업체 계정에 사용자를 추가하는 방법", "고객사 연결 요청 상태를 확인하고 싶어요", "티켓을 만든 후에는 어떻게 되나요?"),
    "zh-Hans": ("如何关闭双重身份验证？", "在哪里查看发票的付款状态？", "怎样给供应商账户添加新用户？",
                "如何修改银行账户信息？", "提交工单以后会怎么样？"),
    "zh-Hant": ("如何關閉雙重身分驗證？", "在哪裡查看發票的付款狀態？", "怎麼在供應商帳戶新增使用者？",
                "如何變更銀行帳戶資料？", "提交工單之後會發生什麼事？"),
}
ALL_QUESTIONS = [q for lang in CODES for q in QUESTIONS[lang]]

Search = Callable[[object], object]
T = TypeVar("T")


# --- synthetic token corpora --------------------------------------------------

_LATIN_SYLLABLES = """ka re fac tu ra zah lung bes tel ver bin dung con nex ion pai ment rech nung kon to dé cla ü
ber spä ter li vre sé cu ri té""".split()
_MAKERS = (
    lambda rng: "".join(rng.choices(_LATIN_SYLLABLES, k=rng.randint(2, 4))),
    lambda rng: chr(0xAC00 + rng.randrange(11172)) + chr(0xAC00 + rng.randrange(11172)),  # Hangul syllables
    lambda rng: chr(0x4E00 + rng.randrange(20902)) + chr(0x4E00 + rng.randrange(20902)),  # CJK ideographs
)


def vocabulary(size: int, seed: int) -> list[str]:
    """Distinct already-analysed tokens: a third each Latin words, Hangul and Han bigrams, scripts mixed over ranks."""
    rng = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < size:
        words.setdefault(_MAKERS[len(words) % 3](rng))
    tokens = list(words)
    rng.shuffle(tokens)
    return tokens


def zipf_cdf(size: int) -> np.ndarray:
    """Cumulative Zipf-Mandelbrot probabilities over ranks 1..size, for inverse-CDF sampling."""
    weights = 1.0 / (np.arange(1, size + 1) + ZIPF_SHIFT) ** ZIPF_EXPONENT
    return np.cumsum(weights / weights.sum())


def token_corpus(n_docs: int, vocab: Sequence[str], cdf: np.ndarray, seed: int) -> list[list[str]]:
    """``n_docs`` documents of ~60 tokens (Poisson lengths) drawn by Zipf frequency."""
    rng = np.random.default_rng(seed)
    lengths = np.maximum(rng.poisson(DOC_TOKENS, n_docs), 5)
    ids = np.minimum(np.searchsorted(cdf, rng.random(lengths.sum())), len(vocab) - 1)
    words = np.asarray(vocab, dtype=object)[ids]
    return [chunk.tolist() for chunk in np.split(words, np.cumsum(lengths)[:-1])]


def token_queries(n: int, vocab: Sequence[str], cdf: np.ndarray, seed: int) -> list[list[str]]:
    """3-8 tokens each, every one drawn by Zipf frequency (frequent) or, half the time, uniformly (mostly rare)."""
    rng = np.random.default_rng(seed)
    queries = []
    for length in rng.integers(3, 9, n):
        frequent = np.minimum(np.searchsorted(cdf, rng.random(length)), len(vocab) - 1)
        uniform = rng.integers(0, len(vocab), length)
        queries.append([vocab[i] for i in np.where(rng.random(length) < 0.5, frequent, uniform)])
    return queries


# --- synthetic articles for the whole pipeline --------------------------------

_WORD = re.compile(r"[\u4e00-\u9fff]{1,2}|[^\W_\u4e00-\u9fff]+(?:['’-][^\W_\u4e00-\u9fff]+)*")


def word_pools(folder: Path = KNOWLEDGE) -> dict[str, list[str]]:
    """Every word occurrence in the shipped articles, per language (Han runs cut in pairs).

    Sampling from occurrences rather than distinct words keeps the real
    frequencies, so synthetic articles have frequent and rare words.
    """
    articles = [read_article(path)[0] for path in sorted(folder.glob("*.yaml"))]
    return {
        lang: _WORD.findall("\n".join(a.translations[lang].text for a in articles if a and lang in a.translations))
        for lang in CODES
    }


def _sentence(rng: random.Random, pool: list[str], lang: str, lo: int, hi: int) -> str:
    joiner = "" if LANGUAGES[lang].script == "han" else " "
    return joiner.join(rng.choices(pool, k=rng.randint(lo, hi)))


def synthetic_articles(n: int, langs: Sequence[str], pools: dict[str, list[str]], seed: int) -> list[Article]:
    """Articles shaped like the shipped ones: a title, 2-4 questions and a ~45-word body per language."""
    rng = random.Random(seed)

    def translation(lang: str) -> Translation:
        pool = pools[lang]
        questions = tuple(_sentence(rng, pool, lang, 4, 9) + "?" for _ in range(rng.randint(2, 4)))
        body = ". ".join(_sentence(rng, pool, lang, 8, 14) for _ in range(4))
        return Translation(_sentence(rng, pool, lang, 4, 8), questions, body)

    return [Article(f"synthetic-{i}", "help", {lang: translation(lang) for lang in langs}) for i in range(n)]


# --- the engines: each builds from its input and returns a one-query search ---


def build_ours(docs: list[list[str]]) -> Search:
    """Term counts as ``indexer/index.py:field_weighted_counts`` makes them (one field), then
    indexer.scoring: BM25 weights once, and per query the exact top k by MaxScore pruning."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=lambda tokens: tokens, lowercase=False)
    tf = vectorizer.fit_transform(docs)
    weights = bm25_weights(tf, idf_lucene(document_frequencies(tf), len(docs)), K1, B)
    upper = column_max(weights)
    vocab = dict(vectorizer.vocabulary_)

    def search(query: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return bm25_top_k(weights, upper, [vocab[t] for t in query if t in vocab], K)

    return search


def build_rank_bm25(docs: list[list[str]]) -> Search:
    """rank_bm25.BM25Okapi: a Python loop over every document per query term; top-k by argpartition."""
    from rank_bm25 import BM25Okapi

    model = BM25Okapi(docs, k1=K1, b=B)

    def search(query: list[str]) -> tuple[np.ndarray, np.ndarray]:
        scores = model.get_scores(query)
        best = np.argpartition(-scores, K - 1)[:K]
        best = best[np.argsort(-scores[best], kind="stable")]
        return best, scores[best]

    return search


def build_bm25s(docs: list[list[str]], backend: str = "numpy") -> Search:
    """bm25s on the same token lists (its Lucene variant, our k1 and b), one query per retrieve() as a web request."""
    import bm25s

    model = bm25s.BM25(k1=K1, b=B, method="lucene", backend=backend)
    model.index(docs, show_progress=False)

    def search(query: list[str]) -> tuple[np.ndarray, np.ndarray]:
        documents, scores = model.retrieve([query], k=K, show_progress=False)
        return documents[0], scores[0]

    return search


def build_bm25s_numba(docs: list[list[str]]) -> Search:
    """bm25s with its numba backend (compiled scoring and top-k); its compilation happens in the warm-up calls."""
    return build_bm25s(docs, backend="numba")


def build_pipeline(articles: list[Article]) -> Search:
    return Retriever.from_articles(articles).ask


# --- measuring ----------------------------------------------------------------


def in_child(job: Callable[[], T]) -> T:
    """Run ``job`` in a forked process and return its result (in-process where there is no fork)."""
    if not hasattr(os, "fork"):
        return job()
    sys.stdout.flush(), sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into the parent's code
        os.close(read_end)
        try:
            outcome = ("ok", job())
        except BaseException:  # noqa: BLE001 - reported by the parent
            outcome = ("error", traceback.format_exc())
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(outcome, pipe)
        sys.stderr.flush()
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        try:
            kind, value = pickle.load(pipe)
        except EOFError:
            kind, value = "error", "the child process died (out of memory?)"
    os.waitpid(pid, 0)
    if kind == "error":
        raise RuntimeError(value)
    return value


def reset_peak_rss() -> int:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux) and return the current RSS in bytes."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # the mark then includes earlier peaks of this process: the growth reads low
    return _proc_status("VmRSS")


def _proc_status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def timed_build(make_input: Callable[[], object], build: Callable[[object], Search]) -> tuple[Search, float, float]:
    """Build from a fresh input; return the search, seconds, and growth of peak RSS in MB."""
    data = make_input()
    gc.collect()
    before = reset_peak_rss()
    start = time.perf_counter()
    search = build(data)
    seconds = time.perf_counter() - start
    return search, seconds, (_proc_status("VmHWM") - before) / MB


def timed_calls(search: Search, inputs: Sequence, warmup: Sequence, min_calls: int, budget_s: float,
                before_each: Callable[[], object] = lambda: None) -> tuple[np.ndarray, list]:
    """Latency of each call in order, stopping once ``budget_s`` is spent and ``min_calls`` are done."""
    for item in warmup:
        search(item)
    latencies, outputs, started = [], [], time.perf_counter()
    for item in inputs:
        before_each()
        t0 = time.perf_counter()
        outputs.append(search(item))
        latencies.append(time.perf_counter() - t0)
        if len(latencies) >= min_calls and time.perf_counter() - started > budget_s:
            break
    return np.asarray(latencies), outputs


def question_caches() -> list:
    """The engine's bounded lru_caches: per-question memos that would turn our repeated questions into hits.

    Real traffic rarely repeats a question verbatim, so they are cleared
    (untimed) before each call.  Unbounded ``functools.cache`` entries are
    one-time loads (Kiwi, lingua, stemmers) and stay warm.
    """
    found = {}
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] == "indexer":
            for obj in vars(module).values():
                parameters = getattr(obj, "cache_parameters", None)
                if callable(parameters) and parameters().get("maxsize") is not None:
                    found[id(obj)] = obj
    return list(found.values())


def time_questions(call: Search, budget_s: float) -> tuple[np.ndarray, list]:
    """``call`` on the 30 questions in rotation, each timed as a question never seen before."""
    caches = question_caches()
    rotation = ALL_QUESTIONS * PIPELINE_ROUNDS
    forget = lambda: [cache.cache_clear() for cache in caches]  # noqa: E731
    return timed_calls(call, rotation, ALL_QUESTIONS, len(ALL_QUESTIONS), budget_s, forget)


def print_profile(call: Search, title: str, rounds: int = 5, top: int = 15) -> None:
    """cProfile of a few rounds of questions, the functions that spent most time themselves first."""
    caches = question_caches()
    profiler = cProfile.Profile()
    for question in ALL_QUESTIONS * rounds:
        for cache in caches:
            cache.cache_clear()
        profiler.runcall(call, question)
    log(f"\n--- profile: {title}, {rounds} rounds of {len(ALL_QUESTIONS)} questions ---")
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(top)


def summary(latencies: np.ndarray) -> dict:
    return {
        "p50_ms": float(np.percentile(latencies, 50) * 1e3),
        "p99_ms": float(np.percentile(latencies, 99) * 1e3),
        "qps": float(len(latencies) / latencies.sum()),
        "n_q": int(len(latencies)),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the runs -----------------------------------------------------------------


def engine_row(size: int, engine: str, build: Callable, corpus: Callable, queries, warmup, budget_s: float) -> dict:
    """One engine at one size, built and queried in a child process."""

    def job() -> dict:
        search, seconds, peak = timed_build(corpus, build)
        latencies, outputs = timed_calls(search, queries, warmup, MIN_CALLS, budget_s)
        top = [np.asarray(scores, dtype=np.float64).tolist() for _, scores in outputs[:AGREEMENT_QUERIES]]
        return dict(size=size, engine=engine, build_s=seconds, peak_MB=peak, **summary(latencies),
                    latencies=latencies.tolist(), top=top)

    log(f"[{size}] {engine} ...")
    return in_child(job)


def pipeline_row(size: int, pools: dict, budget_s: float, profile: bool) -> dict:
    """The whole ask() over a synthetic knowledge base of ``size`` articles."""
    langs = CODES if size <= ALL_LANGUAGES_UP_TO else ("en",)
    engine = f"pipeline ({len(langs)} langs)" if len(langs) > 1 else "pipeline (en only)"
    fallback = f"the rest re-ranked in {len(langs) - 1} more languages" if len(langs) > 1 else "six-language build too slow here"

    def job() -> dict:
        make = lambda: synthetic_articles(size, langs, pools, SEED + size)  # noqa: E731
        ask, seconds, peak = timed_build(make, build_pipeline)
        latencies, answers = time_questions(ask, budget_s)
        if profile:
            print_profile(ask, f"ask() on {size:,} synthetic articles")
        answered = np.mean([a.answered for a in answers])
        return dict(size=size, engine=engine, build_s=seconds, peak_MB=peak, **summary(latencies),
                    note=f"{answered:.0%} of asks answered, {fallback}")

    log(f"[{size}] {engine} ...")
    return in_child(job)


def shipped_rows(budget_s: float, profile: bool) -> list[dict]:
    """ask() and detect() on the shipped knowledge folder, built as the app builds it."""

    def job() -> list[dict]:
        ask, seconds, peak = timed_build(lambda: KNOWLEDGE, lambda folder: Retriever.from_directory(folder).ask)
        latencies, answers = time_questions(ask, budget_s)
        detect_latencies, _ = time_questions(detect, budget_s)
        if profile:
            print_profile(ask, "ask() on the shipped knowledge")
        answered = np.mean([a.answered for a in answers])
        return [
            dict(size="shipped", engine="pipeline (6 langs)", build_s=seconds, peak_MB=peak, **summary(latencies),
                 note=f"{answered:.0%} of asks answered; build includes validation"),
            dict(size="shipped", engine="detect", build_s=None, peak_MB=None, **summary(detect_latencies),
                 note=f"mean {detect_latencies.mean() * 1e3:.3f} ms a question"),
        ]

    log("[shipped] pipeline and detection ...")
    return in_child(job)


def same_scores(ours: Sequence[float], theirs: Sequence[float]) -> bool:
    """Equal top scores, once bm25s's missing constant (k1 + 1) is put back.

    Ours lists only documents that contain a query term; bm25s pads its top
    k with zero scores, so those are left out of the comparison.
    """
    theirs = np.asarray(theirs, dtype=np.float64)
    theirs = theirs[theirs > 0]
    return len(ours) == len(theirs) and np.allclose(np.divide(ours, K1 + 1.0), theirs, rtol=1e-4)


def size_rows(size: int, vocab: list[str], cdf: np.ndarray, queries, warmup, pools, args) -> list[dict]:
    """Every engine at one corpus size; bm25s computes our formula, so its top-10 scores must equal ours.

    Scores, not document ids, are compared: synthetic documents of equal
    length tie, and each engine breaks ties its own way.
    """
    corpus = lambda: token_corpus(size, vocab, cdf, SEED + size)  # noqa: E731
    builders = {"ours-bm25": build_ours, "rank-bm25": build_rank_bm25, "bm25s-numpy": build_bm25s,
                "bm25s-numba": build_bm25s_numba}
    rows = [engine_row(size, name, build, corpus, queries, warmup, args.budget) for name, build in builders.items()]
    ours, rank_bm25, *bm25s_rows = rows
    ours["note"] = "indexer.scoring: compiled MaxScore top-k (indexer/kernels.py) on CountVectorizer counts"
    rank_bm25["note"] = "Okapi IDF with an epsilon floor: scores differ from ours by design"
    for row in bm25s_rows:
        same = sum(same_scores(a, b) for a, b in zip(ours["top"], row["top"]))
        row["note"] = f"top-{K} scores equal ours on {same} of {len(ours['top'])} queries"
    return rows + ([pipeline_row(size, pools, args.budget, args.profile)] if args.pipeline else [])


# --- reporting ----------------------------------------------------------------


def ratios(rows: list[dict]) -> list[dict]:
    """Our BM25's qps (and p50) over each library's, on the queries both were timed on (slow ones stop early).

    The p50 ratio is the steadier of the two on a shared machine, where a
    few preempted queries move the mean.
    """
    found = []
    for size in sorted({r["size"] for r in rows if isinstance(r["size"], int)}):
        ours = np.asarray(_find(rows, size, "ours-bm25")["latencies"])
        for other in ("rank-bm25", "bm25s-numpy", "bm25s-numba"):
            theirs = np.asarray(_find(rows, size, other)["latencies"])
            n = min(len(ours), len(theirs))
            found.append({"size": size, "versus": other, "queries": n,
                          "qps_ratio": float(theirs[:n].mean() / ours[:n].mean()),
                          "p50_ratio": float(np.median(theirs[:n]) / np.median(ours[:n]))})
    return found


def _find(rows: list[dict], size, engine_prefix: str) -> dict:
    return next((r for r in rows if r["size"] == size and r["engine"].startswith(engine_prefix)), {})


def targets(rows: list[dict], ratio_rows: list[dict]) -> list[dict]:
    """The issue's targets next to what was measured; 'n/a' when that size was not run."""
    ratio = {(r["size"], r["versus"]): r["qps_ratio"] for r in ratio_rows}
    p50 = {(r["size"], r["versus"]): r["p50_ratio"] for r in ratio_rows}
    checks = [
        ("ours-bm25 qps / rank-bm25 qps at 100,000", ratio.get((100_000, "rank-bm25")), ">=", 300.0, "x"),
        ("ours-bm25 qps / bm25s qps at 100,000", ratio.get((100_000, "bm25s-numpy")), ">=", 3.0, "x"),
        *((f"ours-bm25 p50 / bm25s-numba p50 at {size:,}", p50.get((size, "bm25s-numba")), ">=", 1.0, "x")
          for size in (1_000, 10_000, 100_000)),
        ("pipeline ask p50 at 100,000", _find(rows, 100_000, "pipeline").get("p50_ms"), "<", 3.0, "ms"),
        ("pipeline ask p50 on the shipped base", _find(rows, "shipped", "pipeline").get("p50_ms"), "<", 0.5, "ms"),
        ("detection p50 per question", _find(rows, "shipped", "detect").get("p50_ms"), "<", 0.1, "ms"),
        ("ours-bm25 build at 100,000", _find(rows, 100_000, "ours-bm25").get("build_s"), "<", 60.0, "s"),
        ("pipeline build at 100,000", _find(rows, 100_000, "pipeline").get("build_s"), "<", 60.0, "s"),
    ]
    return [
        {"target": name, "goal": f"{op} {goal:g} {unit}", "measured": value,
         "verdict": "n/a" if value is None else "PASS" if (value >= goal if op == ">=" else value < goal) else "FAIL"}
        for name, value, op, goal, unit in checks
    ]


def _cell(value, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def format_report(rows: list[dict], ratio_rows: list[dict], target_rows: list[dict]) -> str:
    """The table, the ratios and the targets as plain text."""
    header = f"{'size':>8}  {'engine':<20}{'build_s':>9}{'peak_MB':>9}{'p50_ms':>9}{'p99_ms':>9}{'qps':>9}{'n_q':>6}  note"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['size']:>8}  {r['engine']:<20}{_cell(r['build_s'], 2):>9}{_cell(r['peak_MB'], 1):>9}"
            f"{_cell(r['p50_ms'], 3):>9}{_cell(r['p99_ms'], 3):>9}{_cell(r['qps'], 0):>9}{r['n_q']:>6}  {r['note']}"
        )
    lines += ["", "ours-bm25 vs the libraries, on the queries both were timed on:"]
    lines += [f"{r['size']:>8}  vs {r['versus']:<12} qps {r['qps_ratio']:>7,.1f}x   p50 {r['p50_ratio']:>7,.1f}x"
              f"   ({r['queries']} queries)" for r in ratio_rows]
    lines += ["", "targets:"]
    lines += [f"  {t['verdict']:<5} {t['target']:<42} goal {t['goal']:<9} measured {_cell(t['measured'], 3)}"
              for t in target_rows]
    return "\n".join(lines)


def environment(args: argparse.Namespace, seconds: float) -> dict:
    """What a reader needs to compare two runs: versions, machine, method."""
    names = ("numpy", "scipy", "scikit-learn", "numba", "rank-bm25", "bm25s", "lingua-language-detector", "kiwipiepy")
    return {
        "git": _git_revision(), "python": platform.python_version(), "platform": platform.platform(),
        "cpus": os.cpu_count(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "packages": {name: metadata.version(name) for name in names},
        "seed": SEED, "sizes": args.sizes, "queries": args.queries, "budget_s": args.budget, "total_s": round(seconds, 1),
        "timer": "time.perf_counter around each single query, one thread, after warm-up",
        "peak_MB": "growth of the peak resident set size (Linux VmHWM, reset through /proc/self/clear_refs) "
                   "during the build, each build in a fresh forked process",
    }


def _git_revision() -> str | None:
    try:
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "indexer"], capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("+uncommitted indexer changes" if dirty.stdout.strip() else "")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", type=_sizes,
                        help="corpus sizes, comma-separated (default: 1000,10000,100000)")
    parser.add_argument("--queries", type=int, default=1000, help="queries per engine and size (default: 1000)")
    parser.add_argument("--budget", type=float, default=BUDGET_S,
                        help=f"seconds of timing per engine and size before stopping early (default: {BUDGET_S:g})")
    parser.add_argument("--json", metavar="FILE", help="write the JSON report here instead of printing it")
    parser.add_argument("--pipeline", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the whole ask() on synthetic articles at each size (--no-pipeline: BM25 only)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of ask() per knowledge base to stderr")
    return parser.parse_args(argv)


def _sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("give sizes of at least 100 documents, e.g. 1000,10000")
    return sizes


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    vocab, cdf = vocabulary(VOCABULARY_SIZE, SEED), zipf_cdf(VOCABULARY_SIZE)
    queries = token_queries(args.queries, vocab, cdf, SEED + 1)
    warmup = token_queries(WARMUP_CALLS, vocab, cdf, SEED + 2)
    pools = word_pools()
    rows = shipped_rows(args.budget, args.profile) if args.pipeline else []
    for size in args.sizes:
        rows += size_rows(size, vocab, cdf, queries, warmup, pools, args)
    ratio_rows = ratios(rows)
    target_rows = targets(rows, ratio_rows)
    print(format_report(rows, ratio_rows, target_rows))
    report = {
        "environment": environment(args, time.perf_counter() - started),
        "rows": [{k: v for k, v in r.items() if k not in ("latencies", "top")} for r in rows],
        "ratios": ratio_rows,
        "targets": target_rows,
    }
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")
    else:
        print("\n" + text)


if __name__ == "__main__":
    main()
