"""Scale benchmark: one and two replicas on one PostgreSQL, one Redis and one webhook receiver.

    python benchmarks/scale.py [--seconds 30] [--concurrency 16] [--ticket-share 0.05] [--workers 2]
                               [--database-url URL] [--redis-url URL] [--keep]

In one run it:

1. builds the shipped knowledge once (``python -m indexer build``), creates a fresh
   PostgreSQL database for the run (dropped at the end) and picks a Redis key prefix of
   its own, so nothing it leaves can disturb another run;
2. starts a webhook receiver on 127.0.0.1 that checks each delivery's signature and
   records its event id;
3. starts replica A and replica B, each ``gunicorn -w WORKERS`` on its own port and its
   own instance folder, both on that database and that Redis, both delivering events
   (their background workers race for the same outbox: that is the point);
4. drives them from a bounded load generator (CONCURRENCY client threads, each with one
   keep-alive connection, a new request only when its last one is answered): questions in
   six languages from eval/holdout.yaml and eval/realistic.yaml, and a share of ticket
   creations, each with its own address.  Three phases of SECONDS each: A alone; A and B
   (requests alternate, as behind a round-robin balancer); A and B with B killed
   (``kill -9`` of its whole process group) halfway, after which its clients move to A, as a
   balancer's health check would have them;
5. waits until every stored ticket's ``created`` event reached the receiver, and prints
   requests per second, p50 / p99, errors, tickets acknowledged against stored (and
   duplicate numbers), and events delivered: unique, duplicates, missing.

It measures and reports; it asserts nothing.  The load generator runs on the same two
cores as the replicas: compare runs on one machine, and read the 1-replica phase as the
baseline measured in the same run.  Needs PostgreSQL, Redis and gunicorn.
"""
from __future__ import annotations

import argparse
import http.client
import http.server
import itertools
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.tickets import webhooks  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
SEED = 20261202
READY_SECONDS = 600  # a loaded 2-core machine can take minutes to start four workers
DELIVERY_SECONDS = 300  # events of a killed replica wait for their lease to expire first
LEASE_SECONDS = 20  # OUTBOX_LEASE_SECONDS of the replicas: how long a dead dispatcher's claim holds
WEBHOOK_SECRET = secrets.token_hex(16)
ADMIN_TOKEN = secrets.token_hex(16)
GENEROUS = "1000000 per minute"  # the generator is one client address; the limits are not under test here


# ---------------------------------------------------------------- the receiver

class Receiver(http.server.ThreadingHTTPServer):
    """The ticketing side: checks the signature, records every delivery's event id and type."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.lock = threading.Lock()
        self.deliveries: list[tuple[str, str, str]] = []  # (event id, type, ticket number)
        self.bad_signatures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def created_events(self) -> Counter:
        """How many times each ``created`` event arrived, by event id."""
        with self.lock:
            return Counter(event_id for event_id, kind, _ in self.deliveries if kind == "created")

    def created_numbers(self) -> set[str]:
        with self.lock:
            return {number for _, kind, number in self.deliveries if kind == "created"}


class _ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: Receiver = self.server  # type: ignore[assignment]
        if not webhooks.verify(WEBHOOK_SECRET, self.headers.get(webhooks.SIGNATURE_HEADER, ""), body):
            with server.lock:
                server.bad_signatures += 1
            self.send_response(401)
            self.end_headers()
            return
        event = json.loads(body)
        with server.lock:
            server.deliveries.append((self.headers[webhooks.EVENT_ID_HEADER], event["type"], event["ticket"]["number"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


# ---------------------------------------------------------------- replicas

@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen
    log: Path
    alive: bool = True

    def kill(self) -> None:
        """kill -9 of the master and its workers at once: a host that vanished, not a graceful stop."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.alive = False

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.alive = False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_replica(name: str, work: Path, env: dict[str, str], workers: int) -> Replica:
    port = free_port()
    instance = work / f"instance-{name}"
    instance.mkdir()
    log = work / f"replica-{name}.log"
    process = subprocess.Popen(
        [GUNICORN, "--chdir", str(ROOT), "-c", str(ROOT / "gunicorn.conf.py"), "-w", str(workers),
         "-b", f"127.0.0.1:{port}", "app:create_app()"],
        env={**os.environ, **env, "ASSISTANT_INSTANCE": str(instance)},
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    return Replica(name, port, process, log)


def wait_ready(replica: Replica, workers: int) -> None:
    """Ready when every worker booted and /readyz answers 200 (the master preloaded the knowledge)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise SystemExit(f"replica {replica.name} exited:\n{replica.log.read_text()[-3000:]}")
        booted = replica.log.read_text(errors="replace").count("Booting worker")
        if booted >= workers and _get(replica.port, "/readyz") == 200:
            return
        time.sleep(0.5)
    raise SystemExit(f"replica {replica.name} not ready in {READY_SECONDS} s; see {replica.log}")


def _readyz(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/readyz")
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data


def _get(port: int, path: str) -> int:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return 0


# ---------------------------------------------------------------- the load

@dataclass
class Result:
    kind: str  # ask, ticket
    status: int  # 0: no answer (connection refused or reset)
    seconds: float
    number: str | None = None  # the ticket number acknowledged by a 201


@dataclass
class Phase:
    name: str
    replicas: str
    seconds: float
    results: list[Result] = field(default_factory=list)

    def summary(self) -> dict:
        ok = [r for r in self.results if 200 <= r.status < 300]
        latencies = sorted(r.seconds for r in ok)
        numbers = [r.number for r in self.results if r.number]
        return {
            "phase": self.name, "replicas": self.replicas, "requests": len(self.results),
            "rps": len(ok) / self.seconds, "p50_ms": _quantile(latencies, 0.5) * 1000,
            "p99_ms": _quantile(latencies, 0.99) * 1000,
            "errors": len(self.results) - len(ok), "no_answer": sum(1 for r in self.results if r.status == 0),
            "tickets_acknowledged": len(numbers), "duplicate_numbers": len(numbers) - len(set(numbers)),
        }


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


class Load:
    """CONCURRENCY closed-loop clients: each sends its next request when the last is answered."""

    def __init__(self, questions: list[dict], ticket_share: float, concurrency: int):
        self.questions = questions
        self.ticket_share = ticket_share
        self.concurrency = concurrency
        self.serial = itertools.count()

    def run(self, phase: Phase, targets: list[Replica], kill_at: float | None = None) -> None:
        """Drive ``targets`` for the phase; with ``kill_at``, kill the last target that many seconds in."""
        end = time.monotonic() + phase.seconds
        lock = threading.Lock()
        clients = [threading.Thread(target=self._client, args=(i, phase, targets, end, lock), daemon=True)
                   for i in range(self.concurrency)]
        for client in clients:
            client.start()
        if kill_at is not None:
            time.sleep(kill_at)
            targets[-1].kill()
            print(f"# {phase.name}: replica {targets[-1].name} killed (kill -9) at {kill_at:.0f} s", file=sys.stderr)
        for client in clients:
            client.join()

    def _client(self, i: int, phase: Phase, targets: list[Replica], end: float, lock: threading.Lock) -> None:
        rng = random.Random(SEED + i)
        home = targets[i % len(targets)]
        conn = None
        while time.monotonic() < end:
            target = home if home.alive else next((t for t in targets if t.alive), None)
            if target is None:
                return
            if conn is None or conn.port != target.port:
                conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
            result = self._one(conn, rng)
            if result.status == 0:
                conn.close()
                conn = None
            with lock:
                phase.results.append(result)

    def _one(self, conn: http.client.HTTPConnection, rng: random.Random) -> Result:
        if rng.random() < self.ticket_share:
            n = next(self.serial)
            kind, path = "ticket", "/api/v1/tickets"
            body = {"email": f"supplier{n}-{SEED}@example.com", "name": f"Supplier {n}",
                    "subject": f"Invoice {n} not paid", "description": "Our invoice was approved but not paid yet.",
                    "lang": rng.choice(["en", "fr", "de", "ko", "zh-Hans", "zh-Hant"])}
        else:
            item = rng.choice(self.questions)
            kind, path, body = "ask", "/api/v1/ask", {"question": item["q"], "lang": item["lang"]}
        payload = json.dumps(body, ensure_ascii=False).encode()
        start = time.perf_counter()
        try:
            conn.request("POST", path, payload, {"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            return Result(kind, 0, time.perf_counter() - start)
        elapsed = time.perf_counter() - start
        number = json.loads(data)["number"] if kind == "ticket" and response.status == 201 else None
        return Result(kind, response.status, elapsed, number)


def questions() -> list[dict]:
    return [item for name in ("holdout.yaml", "realistic.yaml")
            for item in yaml.safe_load((ROOT / "eval" / name).read_text(encoding="utf-8"))["items"]]


# ---------------------------------------------------------------- the shared services

class Database:
    """A fresh PostgreSQL database for the run, dropped at the end."""

    def __init__(self, admin_url: str):
        import psycopg

        self.psycopg = psycopg
        self.admin = admin_url
        self.name = f"procuree_scale_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        parts = urllib.parse.urlsplit(admin_url)
        self.url = urllib.parse.urlunsplit(parts._replace(scheme="postgresql+psycopg", path=f"/{self.name}"))
        self.dsn = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    def ticket_numbers(self) -> list[str]:
        with self.psycopg.connect(self.dsn) as conn:
            return [row[0] for row in conn.execute("SELECT number FROM tickets")]

    def created_event_ids(self) -> set[str]:
        with self.psycopg.connect(self.dsn) as conn:
            return {row[0] for row in conn.execute("SELECT event_id FROM outbox WHERE type = 'created'")}

    def drop(self) -> None:
        with self.psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {url} does not answer ({exc}); start it or pass --redis-url") from None


# ---------------------------------------------------------------- the run

def build_index(work: Path) -> Path:
    out = work / "index"
    started = time.monotonic()
    subprocess.run([PYTHON, "-m", "indexer", "build", "--out", str(out)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"# index built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return out


def replica_env(args, database: Database, index: Path, receiver: Receiver) -> dict[str, str]:
    prefix = f"procuree-scale-{os.getpid()}"
    return {
        "ASSISTANT_INDEX": str(index),
        "ASSISTANT_DATABASE_URL": database.url,
        "ASSISTANT_REDIS_URL": args.redis_url,
        "ASSISTANT_RATE_LIMIT_STORAGE": args.redis_url,
        "ASSISTANT_RATELIMIT_KEY_PREFIX": prefix,
        "ASSISTANT_KNOWLEDGE_SOURCE": "database",  # the first replica publishes the index; both serve that version
        "ASSISTANT_SEMANTIC_THREADS": "1",
        "ASSISTANT_WEBHOOK_URLS": receiver.url,
        "ASSISTANT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ASSISTANT_ADMIN_TOKEN": ADMIN_TOKEN,
        "ASSISTANT_WORKER_INTERVAL_SECONDS": "1",
        "ASSISTANT_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "ASSISTANT_RATE_LIMIT_ASK": GENEROUS,
        "ASSISTANT_RATE_LIMIT_TICKETS": GENEROUS,
        "ASSISTANT_TICKETS_PER_ADDRESS_PER_HOUR": "1000000",
    }


def wait_for_events(database: Database, receiver: Receiver) -> tuple[int, float]:
    """Until every stored ticket's created event arrived (or the deadline); returns how many are stored and the wait."""
    started = time.monotonic()
    deadline = started + DELIVERY_SECONDS
    stored = set(database.ticket_numbers())
    while time.monotonic() < deadline and not stored <= receiver.created_numbers():
        time.sleep(0.5)
    return len(stored), time.monotonic() - started


def print_report(phases: list[Phase], database: Database, receiver: Receiver, waited: float, args) -> None:
    rows = [phase.summary() for phase in phases]
    print(f"\n{'phase':<24} {'replicas':<9} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7} {'no answer':>10} {'tickets ack':>12} {'dup numbers':>12}")
    for r in rows:
        print(f"{r['phase']:<24} {r['replicas']:<9} {r['requests']:>9} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f} {r['errors']:>7} {r['no_answer']:>10} {r['tickets_acknowledged']:>12} "
              f"{r['duplicate_numbers']:>12}")
    if rows[0]["rps"]:
        print(f"\n2 replicas / 1 replica, requests per second: {rows[1]['rps'] / rows[0]['rps']:.2f}")
    acknowledged = {r.number for phase in phases for r in phase.results if r.number}
    stored = database.ticket_numbers()
    print(f"tickets: acknowledged {len(acknowledged)}, stored {len(stored)} "
          f"(duplicates {len(stored) - len(set(stored))}), acknowledged but not stored {len(acknowledged - set(stored))}, "
          f"stored but never acknowledged (in flight on the killed replica) {len(set(stored) - acknowledged)}")
    created = receiver.created_events()
    expected = database.created_event_ids()
    print(f"created events: {len(expected)} in the outbox, {len(set(created) & expected)} delivered after dedup by event id, "
          f"{len(expected - set(created))} missing, {sum(n - 1 for n in created.values())} duplicate deliveries, "
          f"{receiver.bad_signatures} bad signatures; the last arrived {waited:.1f} s after the load stopped")
    print(f"settings: {args.workers} gunicorn workers a replica, {args.concurrency} clients, "
          f"{args.ticket_share:.0%} ticket creations, {args.seconds:.0f} s a phase, OUTBOX_LEASE_SECONDS={LEASE_SECONDS}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (requests in flight at most)")
    parser.add_argument("--ticket-share", type=float, default=0.05, help="share of requests that create a ticket")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per replica")
    parser.add_argument("--database-url", default=os.environ.get("SCALE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL server (libpq URL) where the run may create and drop a database")
    parser.add_argument("--redis-url", default=os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--index", type=Path, help="a folder written by `python -m indexer build` (default: build one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)

    check_redis(args.redis_url)
    work = Path(tempfile.mkdtemp(prefix="procuree-scale-"))
    database = Database(args.database_url)
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    replicas: list[Replica] = []
    try:
        env = replica_env(args, database, args.index or build_index(work), receiver)
        replicas = [start_replica("A", work, env, args.workers), start_replica("B", work, env, args.workers)]
        for replica in replicas:
            wait_ready(replica, args.workers)
        served = {replica.name: _readyz(replica.port).get("knowledge_version") for replica in replicas}
        print(f"# replicas ready: A on {replicas[0].port}, B on {replicas[1].port}; knowledge versions served: {served}",
              file=sys.stderr)
        load = Load(questions(), args.ticket_share, args.concurrency)
        # Questions only: each worker's first questions load its language models.
        Load(questions(), 0.0, args.concurrency).run(Phase("warm-up", "A+B", 5), replicas)
        phases = [Phase("1 replica", "A", args.seconds), Phase("2 replicas", "A+B", args.seconds),
                  Phase("2, B killed halfway", "A+B->A", args.seconds)]
        load.run(phases[0], replicas[:1])
        load.run(phases[1], replicas)
        load.run(phases[2], replicas, kill_at=args.seconds / 2)
        _, waited = wait_for_events(database, receiver)
        print_report(phases, database, receiver, waited, args)
    finally:
        for replica in replicas:
            replica.stop()
        receiver.shutdown()
        database.drop()
        if args.keep:
            print(f"# kept {work}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
