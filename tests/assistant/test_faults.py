"""Faults the service must survive: the SMTP server down, the database locked, the disk full.

Each fault is made real: a port where nothing listens and later a real SMTP
server on it; another process holding SQLite's write lock (BEGIN EXCLUSIVE)
past the busy timeout; a 2 MB tmpfs filled to the last byte, and SQLite's
``max_page_count``, which raises the same SQLITE_FULL where mounting is not
permitted.  After each, the store holds whole tickets only (history, event
and mail with every ticket, none without one), a retry succeeds, and the
service keeps answering questions.  Waits are conditions polled against a
generous deadline, never timed assertions.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from assistant import create_app, db, worker
from assistant.tickets.mail import outgoing as notifications
from assistant.tickets import NewTicket

from .support import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
TICKET = {"email": "supplier@example.com", "name": "Ana Lima", "subject": "Invoice INV-7 unpaid",
          "description": "Our invoice INV-7 from March is still unpaid.", "lang": "en"}
QUESTION = {"question": "Comment désactiver la 2FA ?"}
TABLES = ("tickets", "ticket_history", "outbox", "mail", "attachments", "questions")


def make_app(instance: Path, built_index: Path, **config):
    """An app over ``instance`` with the background worker off (the tests drive the jobs)."""
    return create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "TESTING": True,
                       "BACKGROUND_WORKER": False, "TICKETS_PER_ADDRESS_PER_HOUR": 1_000, **config})


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in TABLES}


# Each query counts rows that break "a ticket is whole": it must be empty.
HALF_WRITTEN = {
    "ticket without its history": "SELECT id FROM tickets t WHERE NOT EXISTS "
                                  "(SELECT 1 FROM ticket_history h WHERE h.ticket_id = t.id AND h.kind = 'created')",
    "ticket without its event": "SELECT id FROM tickets t WHERE NOT EXISTS "
                                "(SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND o.type = 'created')",
    "ticket without its mail": "SELECT id FROM tickets t WHERE NOT EXISTS "
                               "(SELECT 1 FROM mail m WHERE m.ticket_id = t.id AND m.kind = 'created')",
    "event without its ticket": "SELECT id FROM outbox WHERE ticket_id IS NULL "
                                "OR ticket_id NOT IN (SELECT id FROM tickets)",
    "mail without its ticket": "SELECT id FROM mail WHERE kind != 'session_code' AND (ticket_id IS NULL "
                               "OR ticket_id NOT IN (SELECT id FROM tickets))",
    "history without its ticket": "SELECT id FROM ticket_history WHERE ticket_id NOT IN (SELECT id FROM tickets)",
}


def assert_whole(engine) -> None:
    """No ticket lacks its history, event or mail; no event or mail lacks its ticket."""
    with engine.connect() as conn:
        broken = {name: conn.execute(text(query)).scalars().all() for name, query in HALF_WRITTEN.items()}
    assert {name: ids for name, ids in broken.items() if ids} == {}


def assert_unavailable(response) -> None:
    """A 503 in the API's error shape, with Retry-After, and nothing of the inside (SQL, driver, traceback)."""
    assert response.status_code == 503, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and set(error) == {"code", "message"}
    assert "try again" in error["message"]
    assert int(response.headers["Retry-After"]) >= 1
    raw = response.get_data(as_text=True).lower()
    assert not any(word in raw for word in ("traceback", "sqlite", "insert", "operationalerror", "errno"))


def no_tracebacks(caplog) -> bool:
    return not any(record.exc_info for record in caplog.records)


def attachment_files(instance: Path) -> list[Path]:
    folder = instance / "attachments"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def wait_until(condition: Callable[[], bool], seconds: float = 180.0, pause: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or the (generous) deadline passes; returns whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(pause)
    return True


# --- the database locked -------------------------------------------------------

LOCK_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline() if sys.argv[2] == "-" else __import__("time").sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
print("released", flush=True)
"""


@contextmanager
def write_lock(path: Path, hold: str = "-") -> Iterator[subprocess.Popen]:
    """Another process holds SQLite's write lock (BEGIN EXCLUSIVE) until the block ends, or for ``hold`` seconds."""
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path), hold],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        if holder.poll() is None and hold == "-":
            holder.stdin.write("\n")
            holder.stdin.flush()
        holder.wait(timeout=60)


@pytest.fixture
def locked_app(instance, built_index):
    """The app with a short busy timeout, so a held lock outlasts it in a fraction of a second."""
    app = make_app(instance, built_index, DATABASE_BUSY_TIMEOUT_MS=300)
    yield app
    app.extensions["db"].dispose()


def test_a_ticket_while_the_database_is_locked_is_a_clear_503_and_nothing_is_half_written(locked_app, instance, caplog):
    client, engine = locked_app.test_client(), locked_app.extensions["db"]
    with write_lock(instance / "assistant.sqlite3"):
        response = client.post("/api/v1/tickets", json=TICKET)
        with_file = client.post("/api/v1/tickets", data={**TICKET, "attachments": (io.BytesIO(b"INV-7\n"), "inv.txt")},
                                content_type="multipart/form-data")
    assert_unavailable(response)
    assert_unavailable(with_file)
    assert response.headers["Retry-After"] == "5"
    assert "storage busy" in caplog.text and no_tracebacks(caplog)
    assert counts(engine) == dict.fromkeys(TABLES, 0)
    assert attachment_files(instance) == []  # the stored file went with the ticket that failed
    retry = client.post("/api/v1/tickets", json=TICKET)
    assert retry.status_code == 201
    assert counts(engine) | {"questions": 0} == {"tickets": 1, "ticket_history": 1, "outbox": 1, "mail": 1,
                                                 "attachments": 0, "questions": 0}
    assert_whole(engine)


def test_a_lock_shorter_than_the_busy_timeout_only_delays_the_ticket(instance, built_index):
    app = make_app(instance, built_index)  # the default busy timeout, 10 s, against a lock of half a second
    with write_lock(instance / "assistant.sqlite3", hold="0.5"):
        response = app.test_client().post("/api/v1/tickets", json=TICKET)
    assert response.status_code == 201
    assert_whole(app.extensions["db"])
    app.extensions["db"].dispose()


def test_a_question_while_the_database_is_locked_is_answered_and_logged_when_it_is_free(instance, built_index, caplog):
    """The log is for editors, the answer for a supplier at the screen: answer at once, write the row later."""
    app = make_app(instance, built_index)
    client, log = app.test_client(), app.extensions["questions"]
    with write_lock(instance / "assistant.sqlite3"):
        response = client.post("/api/v1/ask", json=QUESTION)
        log.flush()  # the batch the writer would try now: it waits at most LOG_WAIT_MS, then keeps the row
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["answered"], answer["article_id"], answer["lang"]) == (True, "csp-2fa-disable", "fr")
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "not logged yet" in r.getMessage()]
    assert len(warnings) == 1 and "désactiver" not in warnings[0].getMessage()  # never the question's text
    feedback = client.post("/api/v1/feedback", json={"question_id": answer["question_id"], "helpful": True})
    assert feedback.status_code == 201  # the lock is gone: the pending row was written first
    assert counts(app.extensions["db"])["questions"] == 1
    app.extensions["db"].dispose()


def test_an_unanswered_question_with_an_email_while_locked_is_a_503_without_a_ticket(locked_app, instance):
    """It asks for a ticket, which cannot be stored: the supplier is told to retry, nothing is half-kept."""
    client = locked_app.test_client()
    body = {"question": "明天台北會下雨嗎？", "email": "supplier@example.com", "name": "Ana Lima"}
    with write_lock(instance / "assistant.sqlite3"):
        response = client.post("/api/v1/ask", json=body)
    assert_unavailable(response)
    assert counts(locked_app.extensions["db"])["tickets"] == 0
    retry = client.post("/api/v1/ask", json=body)
    assert retry.status_code == 200 and retry.get_json()["ticket"]["number"].startswith("CS")
    assert_whole(locked_app.extensions["db"])


def test_a_lock_right_after_the_ticket_is_committed_keeps_its_201(locked_app, instance, monkeypatch, caplog):
    """Marking the answer that preceded the ticket is for editors: losing it must not turn a stored
    ticket into a 503, which the supplier would answer by raising the ticket again."""
    client, engine, store = locked_app.test_client(), locked_app.extensions["db"], locked_app.extensions["tickets"]
    asked = client.post("/api/v1/ask", json={"question": "Who pays my invoices?"}).get_json()
    assert asked["answered"]
    create, held = store.create, ExitStack()

    def create_then_lock(*args, **kwargs):  # the fault, at the one moment that matters: just after the commit
        created = create(*args, **kwargs)
        held.enter_context(write_lock(instance / "assistant.sqlite3"))
        return created

    monkeypatch.setattr(store, "create", create_then_lock)
    with held:
        response = client.post("/api/v1/tickets", json={**TICKET, "question_id": asked["question_id"]})
    assert response.status_code == 201
    assert "not marked on question" in caplog.text and no_tracebacks(caplog)
    assert counts(engine)["tickets"] == 1
    assert_whole(engine)


def test_the_mail_lane_waits_out_a_lock_with_a_warning_and_sends_afterwards(locked_app, instance, caplog):
    smtp = SmtpServer().start()
    locked_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False)
    try:
        assert locked_app.test_client().post("/api/v1/tickets", json=TICKET).status_code == 201
        with write_lock(instance / "assistant.sqlite3"):
            worker.run_lane(locked_app, "mail")
        assert smtp.messages == []
        assert "job mail waits for the next round: the database is busy" in caplog.text and no_tracebacks(caplog)
        worker.run_lane(locked_app, "mail")
        assert len(smtp.messages) == 1
    finally:
        smtp.stop()


def test_only_outages_are_503s_a_bug_in_sql_stays_a_500(locked_app, caplog):
    """``db.outage`` knows locked, full and unreachable; any other OperationalError is a bug, logged with its traceback."""
    @locked_app.get("/broken-sql")
    def broken_sql():
        with db.engine().connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    response = locked_app.test_client().get("/broken-sql")
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"
    assert not no_tracebacks(caplog)


# --- the disk full ---------------------------------------------------------------


class Tmpfs:
    """A 2 MB tmpfs holding the instance folder; ``fill`` writes a file until ENOSPC, ``free`` deletes it."""

    kind = "tmpfs"

    def __init__(self, mount: Path):
        self.mount, self.instance = mount, mount / "instance"
        self.filler = mount / "filler"

    def fill(self, app) -> None:
        handle = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            for size in (65536, 4096, 1):  # big writes first, then to the very last byte (unbuffered)
                try:
                    while os.write(handle, b"\0" * size):
                        pass
                except OSError:
                    pass
        finally:
            os.close(handle)
        assert os.statvfs(self.mount).f_bavail == 0

    def free(self, app) -> None:
        self.filler.unlink()


class PageLimit:
    """SQLite's max_page_count on every connection: the file may not grow, so the next page it needs is SQLITE_FULL.

    The room left in the pages the file already has is filled with tickets
    until one does not fit; the same ticket through the API then needs the
    same space and finds none.
    """

    kind = "max_page_count"

    def __init__(self, folder: Path):
        self.instance, self.limit = folder / "instance", 0

    def _apply(self, dbapi_connection, _record) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {self.limit}")

    def fill(self, app) -> None:
        engine, store = app.extensions["db"], app.extensions["tickets"]
        with engine.connect() as conn:
            self.limit = conn.exec_driver_sql("PRAGMA page_count").scalar()
        event.listen(engine, "connect", self._apply)
        engine.dispose()  # every connection from now on carries the limit
        for _ in range(1000):
            try:
                store.create(NewTicket(**TICKET))
            except OperationalError as exc:
                assert db.outage(exc) == "full", exc
                return
        raise AssertionError("the page limit never filled")

    def free(self, app) -> None:
        engine = app.extensions["db"]
        event.remove(engine, "connect", self._apply)
        engine.dispose()


def mount_tmpfs(target: Path) -> bool:
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(target)], capture_output=True)
    return done.returncode == 0


@pytest.fixture(params=["tmpfs", "max_page_count"])
def small_disk(request, tmp_path):
    """A real full disk where mounting is permitted (root), and SQLite's own SQLITE_FULL everywhere."""
    if request.param == "max_page_count":
        yield PageLimit(tmp_path)
        return
    mount = tmp_path / "disk"
    if not mount_tmpfs(mount):
        pytest.skip("mounting a tmpfs is not permitted here; the max_page_count case covers SQLITE_FULL")
    try:
        yield Tmpfs(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_a_clear_503_nothing_half_written_and_questions_still_answered(small_disk, built_index, caplog):
    app = make_app(small_disk.instance, built_index)
    client, engine = app.test_client(), app.extensions["db"]
    try:
        small_disk.fill(app)
        before = counts(engine)
        response = client.post("/api/v1/tickets", json=TICKET)
        assert_unavailable(response)
        assert "storage full" in caplog.text and no_tracebacks(caplog)
        if small_disk.kind == "tmpfs":  # the attachment itself cannot be written: the same 503, no file left
            upload = {**TICKET, "attachments": (io.BytesIO(b"INV-7\n" * 100), "inv.txt")}
            assert_unavailable(client.post("/api/v1/tickets", data=upload, content_type="multipart/form-data"))
            assert attachment_files(small_disk.instance) == []
        assert counts(engine) | {"questions": 0} == before | {"questions": 0}
        assert_whole(engine)
        assert client.get("/healthz").status_code == 200
        answer = client.post("/api/v1/ask", json=QUESTION)
        assert answer.status_code == 200 and answer.get_json()["article_id"] == "csp-2fa-disable"
        small_disk.free(app)
        assert client.post("/api/v1/tickets", json=TICKET).status_code == 201
        assert counts(engine)["tickets"] == before["tickets"] + 1
        assert_whole(engine)
    finally:
        engine.dispose()


# --- the SMTP server down ----------------------------------------------------------


def mail_row(engine):
    with engine.connect() as conn:
        return conn.execute(select(db.mail)).one()


def dispatch_with_the_cli(instance: Path, built_index: Path, port: int) -> str:
    """``python -m assistant outbox dispatch``, as cron runs it, against the same instance folder."""
    env = dict(os.environ, ASSISTANT_INSTANCE=str(instance), ASSISTANT_INDEX=str(built_index),
               ASSISTANT_SMTP_HOST="127.0.0.1", ASSISTANT_SMTP_PORT=str(port), ASSISTANT_SMTP_STARTTLS="false",
               ASSISTANT_RELOAD_POLL_SECONDS="0")
    done = subprocess.run([sys.executable, "-m", "assistant", "outbox", "dispatch"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_smtp_down_the_ticket_is_created_its_mail_waits_with_backoff_and_goes_out_when_smtp_is_back(
        instance, built_index):
    port = free_port()  # nothing listens here yet
    app = make_app(instance, built_index, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                   OUTBOX_RETRY_SECONDS=0.5)
    client, engine = app.test_client(), app.extensions["db"]
    created = client.post("/api/v1/tickets", json=TICKET)
    assert created.status_code == 201
    number, reference = created.get_json()["number"], created.get_json()["reference"]
    assert client.get(f"/api/v1/tickets/{number}", headers={"X-Ticket-Key": reference}).status_code == 200

    t0 = db.utcnow()
    assert notifications.send_due(engine, app.config, now=t0) == 1
    first = mail_row(engine)
    assert (first.sent_at, first.attempts, first.dead_at) == (None, 1, None)
    assert "SMTP connection" in first.last_error and first.next_attempt_at == t0 + dt.timedelta(seconds=0.5)
    assert notifications.send_due(engine, app.config, now=t0 + dt.timedelta(seconds=0.2)) == 0  # not due yet
    assert notifications.send_due(engine, app.config, now=first.next_attempt_at) == 1
    second = mail_row(engine)
    assert second.attempts == 2 and second.next_attempt_at == first.next_attempt_at + dt.timedelta(seconds=1)

    smtp = SmtpServer()
    smtp.port = port  # the server comes up on the port the mail waits for
    smtp.start()
    def delivered() -> bool:
        if not smtp.messages:
            dispatch_with_the_cli(instance, built_index, port)  # due once its backoff has passed
        return bool(smtp.messages)

    try:
        assert wait_until(delivered, seconds=120, pause=0.5)
        assert len(smtp.messages) == 1
        _, recipients, raw = smtp.messages[0]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert recipients == [TICKET["email"]] and number in message["Subject"]
        assert reference in message.get_content()
        sent = mail_row(engine)
        assert sent.sent_at is not None and sent.body == "" and sent.attempts == 2
    finally:
        smtp.stop()
        engine.dispose()


def test_a_real_server_keeps_taking_tickets_with_smtp_down_and_sends_the_mail_when_it_is_back(instance, built_index,
                                                                                              tmp_path):
    """``python app.py`` with its background worker: nobody drives the mail job, it recovers by itself."""
    port, smtp_port = free_port(), free_port()
    env = dict(os.environ, ASSISTANT_INSTANCE=str(instance), ASSISTANT_INDEX=str(built_index),
               ASSISTANT_SMTP_HOST="127.0.0.1", ASSISTANT_SMTP_PORT=str(smtp_port), ASSISTANT_SMTP_STARTTLS="false",
               ASSISTANT_BACKGROUND_WORKER="true", ASSISTANT_WORKER_INTERVAL_SECONDS="0.2",
               ASSISTANT_OUTBOX_RETRY_SECONDS="0.2", ASSISTANT_OUTBOX_RETRY_MAX_SECONDS="1",
               ASSISTANT_RELOAD_POLL_SECONDS="0")
    log = open(tmp_path / "server.log", "w")
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url, smtp = f"http://127.0.0.1:{port}", SmtpServer()
    engine = db.make_engine(db.database_url({}, instance))
    try:
        assert wait_until(lambda: process.poll() is not None or ready(url), seconds=300) and process.poll() is None
        status, body = post_json(url + "/api/v1/tickets", TICKET)
        assert status == 201
        assert wait_until(lambda: mail_row(engine).attempts >= 2)  # retried, still failing
        assert mail_row(engine).sent_at is None
        smtp.port = smtp_port
        smtp.start()
        assert wait_until(lambda: bool(smtp.messages))
        assert body["number"] in smtp.messages[0][2].decode()
        assert wait_until(lambda: mail_row(engine).sent_at is not None)
    finally:
        smtp.stop()
        engine.dispose()
        process.terminate()
        process.wait(timeout=30)
        log.close()


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())
