"""Publishing knowledge to replicas: how long a publish takes, how big a version is, how soon replicas serve it.

    python benchmarks/publish.py [--database URL] [--poll SECONDS] [--rounds N]

Starts two replicas (``python app.py``, KNOWLEDGE_SOURCE=database, each with
its own instance folder) on one database (default: a new SQLite file; pass
``--database postgresql+psycopg://postgres@127.0.0.1:5432/test`` for
PostgreSQL), then publishes the shipped knowledge with one article changed,
N times, and prints for each round the publish time (validate + build +
pack + store), the archive size, and when each replica first served the new
version (measured from the publish's commit, polling both replicas' status).
Also prints, as the baseline of "load, don't rebuild", what building the
shipped knowledge costs in this process against loading its published archive.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, inspect, text  # noqa: E402

from assistant import index_archive, publishing  # noqa: E402
from indexer import store  # noqa: E402
from indexer.semantic import EmbeddingCache, default_cache_folder  # noqa: E402

TOKEN = "benchmark-admin"
LANGUAGES = ("en", "fr", "de", "ko", "zh-Hans", "zh-Hant")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url: str) -> dict | None:
    request = urllib.request.Request(url + "/api/v1/admin/status", headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None


def start_replicas(root: Path, database: str, poll: float) -> list[tuple[subprocess.Popen, str]]:
    replicas = []
    for name in ("a", "b"):
        port = free_port()
        env = dict(os.environ, ASSISTANT_INSTANCE=str(root / f"replica-{name}"), ASSISTANT_DATABASE_URL=database,
                   ASSISTANT_KNOWLEDGE_SOURCE="database", ASSISTANT_RELOAD_POLL_SECONDS=str(poll),
                   ASSISTANT_ADMIN_TOKEN=TOKEN, ASSISTANT_BACKGROUND_WORKER="false")
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        replicas.append((process, f"http://127.0.0.1:{port}"))
    deadline = time.monotonic() + 600
    for process, url in replicas:
        while status(url) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"replica {url} did not start")
            time.sleep(0.2)
    return replicas


def changed_knowledge(root: Path, round_: int) -> Path:
    folder = root / f"knowledge-{round_}"
    shutil.copytree(ROOT / "knowledge", folder)
    article = folder / "csp-who-pays.yaml"
    article.write_text(article.read_text(encoding="utf-8").replace("Who pays", f"Who pays (round {round_})", 1),
                       encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL shared by the replicas (default: a new SQLite file)")
    parser.add_argument("--poll", type=float, default=2.0, help="RELOAD_POLL_SECONDS of the replicas")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="procuree-publish-bench-"))
    database = args.database or f"sqlite:///{root / 'shared.sqlite3'}"
    engine = create_engine(database)
    if args.database and inspect(engine).has_table("knowledge_served"):  # start from no published knowledge
        with engine.begin() as conn:
            for table in ("knowledge_changes", "knowledge_served", "knowledge_versions"):
                conn.execute(text(f"DELETE FROM {table}"))
    cache = EmbeddingCache(os.environ.get("ASSISTANT_EMBEDDING_CACHE") or default_cache_folder())
    print(f"database {engine.dialect.name}, replicas poll every {args.poll} s, {args.rounds} rounds")

    started = time.perf_counter()
    replicas = start_replicas(root, database, args.poll)
    print(f"two replicas ready (the first start published the shipped knowledge) in {time.perf_counter() - started:.1f} s")
    publish_s, store_s, spread, sizes = [], [], {0: [], 1: []}, []
    try:
        for round_ in range(1, args.rounds + 1):
            folder = changed_knowledge(root, round_)
            start = time.perf_counter()
            built = publishing.build(folder, LANGUAGES, cache)
            packing = time.perf_counter()
            publication = publishing.publish(engine, built, "benchmark")
            committed = time.perf_counter()
            publish_s.append(committed - start)
            store_s.append(committed - packing)
            sizes.append(publication.size)
            seen = {}
            while len(seen) < 2 and time.perf_counter() - committed < 300:
                for i, (_, url) in enumerate(replicas):
                    if i not in seen and (status(url) or {}).get("version") == publication.version:
                        seen[i] = time.perf_counter() - committed
                time.sleep(0.05)
            for i in seen:
                spread[i].append(seen[i])
            print(f"round {round_}: publish {committed - start:.2f} s (of which save + pack + store "
                  f"{committed - packing:.2f} s), archive {publication.size / 1e6:.2f} MB, "
                  f"served by replica a after {seen.get(0, float('nan')):.2f} s, b after {seen.get(1, float('nan')):.2f} s")
    finally:
        for process, _ in replicas:
            process.terminate()
            process.wait(timeout=30)

    latest = max(max(a, b) for a, b in zip(spread[0], spread[1])) if spread[0] and spread[1] else float("nan")
    print(f"\nmedian publish {statistics.median(publish_s):.2f} s (save + pack + store {statistics.median(store_s):.2f} s); "
          f"median archive {statistics.median(sizes) / 1e6:.2f} MB; "
          f"both replicas serving: median {statistics.median(max(a, b) for a, b in zip(spread[0], spread[1])):.2f} s, "
          f"worst {latest:.2f} s (poll {args.poll} s)")

    # The baseline: what each replica would pay to build instead of load.
    start = time.perf_counter()
    built = publishing.build(ROOT / "knowledge", LANGUAGES)
    build_s = time.perf_counter() - start
    archive = publishing.pack(built)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        target = index_archive.unpack(archive.data, archive.sha256, Path(folder) / "v")
        unpack_s = time.perf_counter() - start
        start = time.perf_counter()
        store.load(target)
        load_s = time.perf_counter() - start
    print(f"shipped knowledge, words only: build {build_s:.2f} s in this process; from the archive: "
          f"check + unpack {unpack_s:.2f} s, store.load {load_s:.2f} s ({build_s / (unpack_s + load_s):.1f}x faster)")
    start = time.perf_counter()
    for _ in range(200):
        publishing.served_pointer(engine)
    print(f"the poll (one SELECT of the served pointer): {(time.perf_counter() - start) / 200 * 1e3:.2f} ms")
    engine.dispose()
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
