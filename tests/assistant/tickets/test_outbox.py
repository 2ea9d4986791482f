"""The outbox against real HTTP receivers on 127.0.0.1: signed, retried, dead-lettered, never lost, and
delivered once at a time by several dispatchers, on SQLite and PostgreSQL."""
import collections
import datetime as dt
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant import create_app, db
from assistant.tickets import hooks, outbox, webhooks
from tests.assistant.support import HangingReceiver, Receiver, free_port

pytestmark = pytest.mark.store

ROOT = Path(__file__).resolve().parents[3]
SECRET = "whsec-test-0123456789"
UTC = dt.timezone.utc
COLLECTED: list = []


def escalation_event(event):
    """A Python hook, loaded below through an entry point that names this module."""
    COLLECTED.append(event)


def readme_verify():
    """The ``verify`` function of the README's receiver example, so the documentation stays true."""
    readme = (ROOT / "README.md").read_text()
    code = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "def verify" in block)
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify"]


@pytest.fixture
def receiver():
    made = []

    def make(start: bool = True, **kwargs) -> Receiver:
        r = Receiver(**kwargs)
        made.append(r)
        return r.start() if start else r

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def webhook_app(instance, built_index, database):
    apps = []

    def make(*urls: str, **config):
        app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                          "WEBHOOK_URLS": list(urls), "WEBHOOK_SECRET": SECRET, "WEBHOOK_TIMEOUT_SECONDS": 5, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["db"].dispose()


def dispatch(app, now=None, clock=None) -> outbox.Report:
    with app.app_context():
        return outbox.dispatch_app(now, clock)


def outbox_rows(app) -> list:
    with app.extensions["db"].connect() as conn:
        return conn.execute(select(db.outbox).order_by(db.outbox.c.id)).all()


def raise_ticket(app, **fields) -> dict:
    body = {"email": "ana@example.com", "subject": "Invoice unpaid", "description": "INV-7", "lang": "en", **fields}
    response = app.test_client().post("/api/v1/tickets", json=body)
    assert response.status_code == 201
    return response.get_json()


def test_a_real_receiver_gets_the_signed_event(webhook_app, receiver):
    hook = receiver()
    app = webhook_app(hook.url)
    asked = app.test_client().post("/api/v1/ask", json={
        "question": "Quel temps fera-t-il à Lyon demain ?", "email": "ana@example.com", "name": "Ana", "country": "FR"}).get_json()
    assert dispatch(app).delivered == 1
    hook.wait_for(1)
    headers, body = hook.received[0]
    assert webhooks.verify(SECRET, headers["X-Procuree-Signature"], body)
    assert readme_verify()(SECRET.encode(), headers["X-Procuree-Signature"], body)
    assert not webhooks.verify("another secret", headers["X-Procuree-Signature"], body)
    assert not webhooks.verify(SECRET, headers["X-Procuree-Signature"], body + b" ")
    event = json.loads(body)
    assert headers["X-Procuree-Event-Id"] == event["id"] == outbox_rows(app)[0].event_id
    assert headers["X-Procuree-Event-Type"] == event["type"] == "created"
    assert headers["Content-Type"].startswith("application/json")
    assert event["ticket"]["number"] == asked["ticket"]["number"]
    assert (event["language"], event["country"]) == ("fr", "FR")
    assert event["question"] == "Quel temps fera-t-il à Lyon demain ?"
    assert [a["article_id"] for a in event["articles_tried"]] == [c["article_id"] for c in asked["candidates"]]
    assert event["change"]["actor"] == "supplier" and event["time"]
    assert asked["ticket"]["reference"].encode() not in body and b"key_hash" not in body
    assert dispatch(app) == outbox.Report()  # delivered once, not again
    assert len(hook.received) == 1


def test_an_old_signature_is_refused():
    body = b'{"id":"x"}'
    header = webhooks.sign(SECRET, body, timestamp=int(time.time()) - 3600)
    assert not webhooks.verify(SECRET, header, body)
    assert webhooks.verify(SECRET, header, body, tolerance=7200)
    assert not webhooks.verify(SECRET, "garbage", body)


def test_with_the_receiver_down_the_event_waits_and_arrives_once_it_is_back(webhook_app, receiver):
    hook = receiver(start=False)
    app = webhook_app(hook.url)
    raise_ticket(app)
    t0 = dt.datetime.now(UTC)
    assert dispatch(app, t0) == outbox.Report(retrying=1)
    row = outbox_rows(app)[0]
    assert (row.attempts, row.delivered_at, row.next_attempt_at) == (1, None, t0 + dt.timedelta(seconds=30))
    assert "unreachable" in row.last_error and "/hooks" not in row.last_error  # no URL path in logs
    assert dispatch(app, t0 + dt.timedelta(seconds=10)) == outbox.Report()  # not due yet
    hook.start()
    assert dispatch(app, t0 + dt.timedelta(seconds=31)) == outbox.Report(delivered=1)
    assert hook.event_ids() == [row.event_id]
    assert dispatch(app, t0 + dt.timedelta(hours=2)) == outbox.Report()
    assert len(hook.received) == 1


def test_an_error_status_is_retried_with_the_same_event_id(webhook_app, receiver):
    hook = receiver(status=500)
    app = webhook_app(hook.url)
    raise_ticket(app)
    t0 = dt.datetime.now(UTC)
    assert dispatch(app, t0).retrying == 1
    assert "answered 500" in outbox_rows(app)[0].last_error
    hook.status = 204
    assert dispatch(app, t0 + dt.timedelta(minutes=1)).delivered == 1
    assert len(hook.event_ids()) == 2 and len(set(hook.event_ids())) == 1


def test_each_receiver_gets_it_once_while_another_is_down(webhook_app, receiver):
    good, down = receiver(), receiver(start=False)
    app = webhook_app(good.url, down.url)
    raise_ticket(app)
    t0 = dt.datetime.now(UTC)
    dispatch(app, t0)
    assert outbox_rows(app)[0].done == [webhooks.hook_name(good.url)]
    down.start()
    assert dispatch(app, t0 + dt.timedelta(minutes=1)).delivered == 1
    assert len(good.received) == 1 and len(down.received) == 1


def test_retries_last_over_a_day_then_dead_letter_and_replay(webhook_app, receiver):
    hook = receiver(start=False)
    app = webhook_app(hook.url)
    number = raise_ticket(app)["number"]
    t0 = outbox_rows(app)[0].created_at
    now, attempts = t0, 0
    while outbox_rows(app)[0].dead_at is None and attempts < 200:
        report = dispatch(app, now)
        attempts += 1
        row = outbox_rows(app)[0]
        now = row.next_attempt_at if row.dead_at is None else now
    row = outbox_rows(app)[0]
    assert row.dead_at is not None and row.dead_at - t0 >= dt.timedelta(hours=24)
    assert report == outbox.Report(dead=1) and row.attempts == attempts
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["outbox", "dead-letters"])
    assert listed.exit_code == 0
    assert row.event_id in listed.output and "created" in listed.output and number in listed.output
    assert dispatch(app, now + dt.timedelta(days=3)) == outbox.Report()  # dead letters are not retried
    missing = runner.invoke(args=["outbox", "replay", "no-such-event"])
    assert missing.exit_code == 1 and "no dead letter" in missing.output
    replayed = runner.invoke(args=["outbox", "replay", row.event_id])
    assert replayed.exit_code == 0
    hook.start()
    sent = runner.invoke(args=["outbox", "dispatch"])
    assert sent.exit_code == 0 and "1 delivered" in sent.output
    assert hook.event_ids() == [row.event_id]
    assert runner.invoke(args=["outbox", "dead-letters"]).output.strip() == "no dead letters"


def test_a_hanging_receiver_costs_a_round_one_timeout_and_its_retry_counts_from_the_attempts_end(webhook_app, receiver):
    """It is tried once per round, then skipped: the other events still reach the receiver that answers."""
    hanging, good = HangingReceiver(), receiver()
    app = webhook_app(hanging.url, good.url, WEBHOOK_TIMEOUT_SECONDS=1)
    for i in range(3):
        raise_ticket(app, subject=f"Ticket {i}")
    t0 = dt.datetime.now(UTC)
    try:
        first_round = dispatch(app)  # the server's own clock: it runs during the round
        first, *others = outbox_rows(app)
        deadline = time.monotonic() + 30  # its accept thread may lag behind the client: wait for it, not for luck
        while not hanging.connections and time.monotonic() < deadline:
            time.sleep(0.01)
        connections = len(hanging.connections)
        second_round = dispatch(app)
    finally:
        hanging.stop()
    assert first_round == outbox.Report(retrying=1, skipped=2)
    assert first.attempts == 1 and "did not answer within 1 s" in first.last_error
    assert first.next_attempt_at >= t0 + dt.timedelta(seconds=1 + 30)  # the attempt ended after its 1 s timeout
    for row in others:  # the hanging URL was not tried again in that round; they wait, not counted as failed
        assert (row.attempts, row.done, row.last_error) == (0, [webhooks.hook_name(good.url)], None)
        assert row.next_attempt_at <= t0
    assert len(good.received) == 3 and connections == 1
    assert second_round == outbox.Report(retrying=1, skipped=1)  # a new round tries the URL once again


def test_a_retry_counts_from_the_end_of_the_attempt(webhook_app):
    """A hook that fails after 15 minutes is retried 30 s after those 15 minutes, not after the round began."""
    app = webhook_app()
    now = []

    def slow_failure(event):
        now[0] += dt.timedelta(minutes=15)
        raise RuntimeError("ticketing system busy")

    app.extensions["hooks"].register("hook:slow", slow_failure)
    raise_ticket(app)
    now.append(dt.datetime.now(UTC))
    t0 = now[0]
    assert dispatch(app, clock=lambda: now[0]) == outbox.Report(retrying=1)
    assert outbox_rows(app)[0].next_attempt_at == t0 + dt.timedelta(minutes=15, seconds=30)


def test_a_round_claims_nothing_once_its_budget_is_spent(webhook_app):
    """OUTBOX_ROUND_SECONDS = 25 and a hook that takes 10 s: three events per round, the rest in the next."""
    app = webhook_app(OUTBOX_ROUND_SECONDS=25)
    now = []

    def ten_seconds(event):
        now[0] += dt.timedelta(seconds=10)

    app.extensions["hooks"].register("hook:ten-seconds", ten_seconds)
    for i in range(5):
        raise_ticket(app, subject=f"Ticket {i}")
    now.append(dt.datetime.now(UTC))
    assert dispatch(app, clock=lambda: now[0]) == outbox.Report(delivered=3)
    assert dispatch(app, clock=lambda: now[0]) == outbox.Report(delivered=2)


def test_backoff_doubles_up_to_an_hour():
    config = {"OUTBOX_RETRY_SECONDS": 30, "OUTBOX_RETRY_MAX_SECONDS": 3600}
    assert [db.retry_delay(n, config) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_concurrent_dispatchers_deliver_each_event_once(webhook_app, receiver):
    hook = receiver(delay=0.02)
    app = webhook_app(hook.url)
    for i in range(10):
        raise_ticket(app, subject=f"Ticket {i}")
    start = threading.Barrier(4)

    def run():
        start.wait()
        dispatch(app)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(hook.event_ids()) == sorted(row.event_id for row in outbox_rows(app))
    assert all(row.delivered_at for row in outbox_rows(app))


def test_python_hooks_from_entry_points(webhook_app):
    COLLECTED.clear()
    app = webhook_app()
    registry = app.extensions["hooks"]
    registry.load_entry_points([
        EntryPoint("collector", "tests.assistant.tickets.test_outbox", hooks.GROUP),
        EntryPoint("broken", "tests.assistant.no_such_module:hook", hooks.GROUP),
    ])
    assert registry.names() == ["hook:collector", "hook:broken"]
    number = raise_ticket(app)["number"]
    assert dispatch(app).retrying == 1
    assert [(e.type, e.ticket["number"]) for e in COLLECTED] == [("created", number)]
    row = outbox_rows(app)[0]
    assert row.done == ["hook:collector"] and "could not be loaded" in row.last_error
    with pytest.raises(ValueError):
        registry.register("hook:collector", escalation_event)


def test_webhook_urls_need_a_secret_and_http(instance, built_index):
    base = {"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False}
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        create_app({**base, "WEBHOOK_URLS": ["http://127.0.0.1:9/x"]})
    with pytest.raises(ValueError, match="http"):
        create_app({**base, "WEBHOOK_URLS": ["ftp://example.com/x"], "WEBHOOK_SECRET": SECRET})


def test_webhook_urls_from_the_environment(monkeypatch, webhook_app):
    monkeypatch.setenv("ASSISTANT_WEBHOOK_URLS", "http://127.0.0.1:9/a https://hooks.example.com/b")
    app = create_app({"INSTANCE": webhook_app().instance_path, "BACKGROUND_WORKER": False, "WEBHOOK_SECRET": SECRET,
                      "INDEX": webhook_app().config["INDEX"]})
    names = app.extensions["hooks"].names()
    assert names == [webhooks.hook_name("http://127.0.0.1:9/a"), webhooks.hook_name("https://hooks.example.com/b")]
    assert names[0].startswith("webhook:http://127.0.0.1:9#") and "/b" not in names[1]
    app.extensions["db"].dispose()


# --- the real server process ----------------------------------------------------


def serve(instance: Path, built_index: Path, log: Path, **env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    variables = {**os.environ, "ASSISTANT_INSTANCE": str(instance), "ASSISTANT_INDEX": str(built_index), **env}
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=variables,
                               stdout=log.open("a"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not become ready:\n" + log.read_text())


def test_an_event_committed_before_a_crash_is_delivered_after_restart(instance, built_index, database, receiver, tmp_path):
    hook = receiver()
    env = {"ASSISTANT_WEBHOOK_URLS": hook.url, "ASSISTANT_WEBHOOK_SECRET": SECRET}
    log = tmp_path / "server.log"
    first, url = serve(instance, built_index, log, ASSISTANT_BACKGROUND_WORKER="false", **env)
    try:
        request = urllib.request.Request(url + "/api/v1/tickets", method="POST", headers={"Content-Type": "application/json"},
                                         data=json.dumps({"email": "ana@example.com", "subject": "Crash test",
                                                          "description": "Committed, then the server dies."}).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            number = json.loads(response.read())["number"]
    finally:
        first.send_signal(signal.SIGKILL)  # no shutdown, no flush: the process is simply gone
        first.wait()
    assert hook.received == []
    engine = db.make_engine(database.url or db.database_url({}, instance))
    with engine.connect() as conn:
        pending = conn.execute(select(db.outbox.c.type, db.outbox.c.delivered_at)).all()
    engine.dispose()
    assert pending == [("created", None)]

    second, _ = serve(instance, built_index, log, ASSISTANT_BACKGROUND_WORKER="true",
                      ASSISTANT_WORKER_INTERVAL_SECONDS="0.2", **env)
    try:
        hook.wait_for(1)
        time.sleep(0.5)  # a few more worker rounds: still exactly one delivery
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
    assert len(hook.received) == 1
    headers, body = hook.received[0]
    assert webhooks.verify(SECRET, headers["X-Procuree-Signature"], body)
    assert json.loads(body)["ticket"]["number"] == number


# --- several dispatchers: each with its own engine, one killed mid-delivery --------


def recording_registry(delivered: list, delay: float = 0.0) -> hooks.Registry:
    """One Python hook that records the event ids it is given (after ``delay``, so dispatchers overlap)."""
    def record(event):
        time.sleep(delay)
        delivered.append(event.id)

    registry = hooks.Registry()
    registry.register("hook:receiver", record)
    return registry


def test_two_dispatchers_with_their_own_engines_deliver_each_event_once(webhook_app, database, instance):
    """As two replicas would: separate engines and pools over one database, running at the same time."""
    app = webhook_app(RATE_LIMIT_TICKETS="100 per minute")
    for i in range(24):
        raise_ticket(app, subject=f"Ticket {i}", email=f"supplier{i}@example.com")
    url = database.url or db.database_url({}, instance)
    delivered: list[str] = []
    reports, errors = [], []
    start = threading.Barrier(2)

    def dispatcher() -> None:
        engine = db.make_engine(url)
        try:
            start.wait()
            reports.append(outbox.dispatch(engine, recording_registry(delivered, delay=0.01), app.config))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert collections.Counter(delivered) == collections.Counter({row.event_id: 1 for row in outbox_rows(app)})
    assert sum(report.delivered for report in reports) == 24
    assert all(row.delivered_at and row.claim is None for row in outbox_rows(app))


# A dispatcher in a process of its own whose hook says which event it has, then blocks until the process is killed.
BLOCKED_DISPATCHER = """
import datetime as dt, sys, threading
from assistant import db
from assistant.tickets import hooks, outbox
from assistant.config import DEFAULTS

def blocking(event):
    print("delivering", event.id, flush=True)
    threading.Event().wait()  # mid-delivery, until SIGKILL

registry = hooks.Registry()
registry.register("hook:receiver", blocking)
config = {**DEFAULTS, "OUTBOX_LEASE_SECONDS": float(sys.argv[3])}
outbox.dispatch(db.make_engine(sys.argv[1]), registry, config, now=dt.datetime.fromisoformat(sys.argv[2]))
"""


def read_line(process: subprocess.Popen, timeout: float = 120.0) -> str:
    """The next line the process prints, waiting at most ``timeout`` (it may be importing the whole app)."""
    with selectors.DefaultSelector() as selector:  # epoll: the suite's process may have many descriptors open
        selector.register(process.stdout, selectors.EVENT_READ)
        return process.stdout.readline() if selector.select(timeout) else ""


def test_a_dispatcher_killed_mid_delivery_leaves_its_event_to_another_after_the_lease(webhook_app, database, instance):
    app = webhook_app(OUTBOX_LEASE_SECONDS=120)
    raise_ticket(app)
    row = outbox_rows(app)[0]
    t0 = row.next_attempt_at + dt.timedelta(seconds=1)
    lease = dt.timedelta(seconds=120)
    engine, delivered = app.extensions["db"], []
    registry = recording_registry(delivered)
    url = database.url or db.database_url({}, instance)
    child = subprocess.Popen([sys.executable, "-c", BLOCKED_DISPATCHER, url, t0.isoformat(), "120"], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = read_line(child)
        assert line.split() == ["delivering", row.event_id], line + (child.stderr.read() if child.poll() else "")
        claimed = outbox_rows(app)[0]
        assert claimed.claim and claimed.claimed_until == t0 + lease and claimed.delivered_at is None
        # while its dispatcher is still in the hook, nobody else is handed the event
        assert outbox.dispatch(engine, registry, app.config, now=t0 + lease - dt.timedelta(seconds=1)) == outbox.Report()
    finally:
        child.send_signal(signal.SIGKILL)  # mid-delivery: no outcome recorded, the claim stays
        child.wait(timeout=30)
    assert outbox.dispatch(engine, registry, app.config, now=t0 + lease - dt.timedelta(seconds=1)) == outbox.Report()
    assert delivered == [] and outbox_rows(app)[0].claim == claimed.claim  # dead, but its lease still holds
    after = t0 + lease + dt.timedelta(seconds=1)
    assert outbox.dispatch(engine, registry, app.config, now=after) == outbox.Report(delivered=1)
    assert delivered == [row.event_id]
    done = outbox_rows(app)[0]
    assert done.delivered_at == after and done.claim is None and done.done == ["hook:receiver"]
    assert outbox.dispatch(engine, registry, app.config, now=after + dt.timedelta(hours=1)) == outbox.Report()
    assert delivered == [row.event_id]
