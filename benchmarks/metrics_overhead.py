"""What /metrics costs each request: GET /healthz timed with metrics on and off, in the same run.

    python benchmarks/metrics_overhead.py [--requests 500] [--rounds 25] [--index DIR] [--rows 100000]

Two apps over one built index (``--index``, else the shipped knowledge is
built once into a temporary folder), one with METRICS on and one with it
off, are called through Werkzeug's test client (WSGI in process, no socket:
what remains is the app's own work, which is what metrics add to).  Rounds
alternate between the two so a busy machine slows both alike.  This runs
twice, in child processes: plain (one process's registry) and in
prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set, as
under gunicorn), since the mode is chosen when the library is imported.

Prints microseconds per request (median over rounds, min-max), the median
of the rounds' on/off ratios and differences (each round times both apps
back to back, so a ratio compares like with like on a busy machine), and
the request hooks alone (``hooks us``: every before/after-request hook
timed in a request context, the metrics app's minus the other's: what
metrics add, with less of the noise of a whole request), and the median
time of one /metrics scrape (with ``--rows N``: over N delivered events
and N sent emails, so the COUNT queries read tables that have grown).  It
measures and reports; it asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def per_request_us(client, path: str, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    return (time.perf_counter() - started) / requests * 1e6


def measure(index: str, requests: int, rounds: int, rows: int = 0) -> dict:
    """In this process: both apps, alternating rounds; microseconds per request."""
    sys.path.insert(0, str(ROOT))
    from assistant import create_app

    base = {"INDEX": index, "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0, "SEMANTIC": False,
            "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLED": False}
    clients = {}
    for name, metrics in (("off", False), ("on", True)):
        instance = tempfile.mkdtemp(prefix=f"procuree-metrics-bench-{name}-")
        clients[name] = create_app({**base, "INSTANCE": instance, "METRICS": metrics}).test_client()
    times: dict[str, list[float]] = {"off": [], "on": []}
    for name, client in clients.items():  # warm-up, not reported
        per_request_us(client, "/healthz", min(requests, 200))
    for _ in range(rounds):
        for name, client in clients.items():
            times[name].append(per_request_us(client, "/healthz", requests))
    scrapes = [per_request_us(clients["on"], "/metrics", 20) for _ in range(rounds)]
    if rows:
        fill_delivery_tables(clients["on"].application, rows)
        scrapes = [per_request_us(clients["on"], "/metrics", 5) for _ in range(rounds)]
    return {"off": times["off"], "on": times["on"], "scrape": scrapes,
            "hooks": [hooks_us(clients["on"].application, requests * 4) - hooks_us(clients["off"].application, requests * 4)
                      for _ in range(rounds)]}


def fill_delivery_tables(app, rows: int) -> None:
    """``rows`` delivered events and sent emails, and a hundred of each still waiting: a database
    that has served a while, where the scrape's COUNT queries must read every row."""
    from assistant import db

    now = db.utcnow()
    common = {"created_at": now, "retry_from": now, "next_attempt_at": now, "attempts": 1}
    with app.extensions["db"].begin() as conn:
        conn.execute(db.outbox.insert(), [
            {**common, "event_id": f"bench-{i}", "type": "ticket.created", "payload": {}, "done": [],
             "delivered_at": now if i >= 100 else None} for i in range(rows)])
        conn.execute(db.mail.insert(), [
            {**common, "kind": "ticket_created", "lang": "en", "to_addr": "bench@example.com", "subject": "s",
             "body": "", "sealed": 1, "sent_at": now if i >= 100 else None} for i in range(rows)])


def hooks_us(app, calls: int) -> float:
    """Every before- and after-request hook of ``app`` (logs, limits, metrics...) in a /healthz request
    context, without the rest of the request; the on app's minus the off app's is what metrics add."""
    response = app.response_class('{"status": "ok"}', content_type="application/json")
    with app.test_request_context("/healthz"):
        started = time.perf_counter()
        for _ in range(calls):
            app.preprocess_request()
            app.process_response(response)
        return (time.perf_counter() - started) / calls * 1e6


def child(mode: str, index: str, requests: int, rounds: int, rows: int) -> dict:
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if mode == "multiprocess":
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="procuree-metrics-bench-mp-")
    command = [sys.executable, __file__, "--child", "--index", index, "--requests", str(requests),
               "--rounds", str(rounds), "--rows", str(rows)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def built_index() -> str:
    folder = tempfile.mkdtemp(prefix="procuree-metrics-bench-index-")
    subprocess.run([sys.executable, "-m", "indexer", "build", "--out", folder], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return folder


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}  ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per round and app")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--index", help="a folder written by `python -m indexer build`; default: built now")
    parser.add_argument("--rows", type=int, default=0,
                        help="scrape with this many delivered events and sent emails in the database (SQLite)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.index, args.requests, args.rounds, args.rows)))
        return
    index = args.index or built_index()
    print(f"GET /healthz through the WSGI test client, {args.requests} requests x {args.rounds} rounds per app;"
          f" scrapes over {args.rows} delivered events and sent emails")
    print(f"{'mode':<14}{'metrics off us/req':>26}{'metrics on us/req':>26}{'ratio':>8}{'+us':>7}{'hooks us':>10}"
          f"{'scrape ms':>11}")
    for mode in ("single", "multiprocess"):
        found = child(mode, index, args.requests, args.rounds, args.rows)
        ratio = statistics.median(on / off for on, off in zip(found["on"], found["off"]))
        extra = statistics.median(on - off for on, off in zip(found["on"], found["off"]))
        print(f"{mode:<14}{spread(found['off']):>26}{spread(found['on']):>26}{ratio:>8.3f}{extra:>7.1f}"
              f"{statistics.median(found['hooks']):>10.1f}{statistics.median(found['scrape']) / 1000:>11.2f}")


if __name__ == "__main__":
    main()
