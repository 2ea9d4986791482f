"""Mail in over SMTP and LMTP: a real smtplib client into the listener, and a listener killed between storing and processing."""
from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant import db
from assistant.tickets.mail import smtp
from tests.assistant.support import free_port
from tests.assistant.test_server import Output

from .test_mail_incoming import REPLIES, reply_to, ticket  # noqa: F401  (ticket: the fixture)

pytestmark = pytest.mark.store

ROOT = Path(__file__).resolve().parents[3]


def inbound_rows(app) -> list:
    with app.extensions["db"].connect() as conn:
        return conn.execute(select(db.inbound_mail).order_by(db.inbound_mail.c.id)).all()


def wait_for_state(app, state: str, seconds: float = 120.0):
    """The first inbound row once it reaches ``state`` (processing runs after the 250, in the listener's thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = inbound_rows(app)
        if rows and rows[0].state == state:
            return rows[0]
        time.sleep(0.1)
    raise AssertionError(f"no inbound mail reached {state}: {[(r.id, r.state) for r in inbound_rows(app)]}")


@pytest.mark.parametrize("protocol", ["smtp", "lmtp"])
def test_a_reply_delivered_by_a_mail_server_lands_on_its_ticket(app, ticket_store, ticket, protocol):  # noqa: F811
    number, _ = ticket("ko")
    port = free_port()
    listener = smtp.listener(app, "127.0.0.1", port, lmtp=protocol == "lmtp")
    listener.start()
    try:
        client = smtplib.LMTP("127.0.0.1", port) if protocol == "lmtp" else smtplib.SMTP("127.0.0.1", port, timeout=60)
        with client:
            refused = client.sendmail("supplier@example.com", [f"procuree+{number}@localhost"], reply_to(app, number, "ko"))
        assert refused == {}
        row = wait_for_state(app, "applied")
    finally:
        listener.stop()
    assert row.via == protocol and row.recipients == [f"procuree+{number.lower()}@localhost"]
    found = ticket_store.get(number)
    assert found.status == "open" and found.history[-1].message == REPLIES["ko"][0] and found.history[-1].via == "email"


def test_the_listener_refuses_a_message_over_the_size_limit_before_storing_it(app, ticket):  # noqa: F811
    number, _ = ticket()
    app.config["MAX_CONTENT_LENGTH"] = 2048
    port = free_port()
    listener = smtp.listener(app, "127.0.0.1", port)
    listener.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            with pytest.raises(smtplib.SMTPException) as refused:
                client.sendmail("supplier@example.com", ["procuree@localhost"], reply_to(app, number) + b"x" * 4096)
    finally:
        listener.stop()
    assert "552" in str(refused.value) and inbound_rows(app) == []


def test_a_message_stored_by_a_listener_killed_before_processing_is_processed_after(app, instance, ticket_store,
                                                                                    ticket):  # noqa: F811
    """kill -9 between the 250 and processing: the message is in the database, and the next round applies it once."""
    number, _ = ticket("fr")
    raw = reply_to(app, number, "fr")
    port = free_port()
    env = {**os.environ, "ASSISTANT_INBOUND_PROCESS_AT_ONCE": "false", "ASSISTANT_LOG_LEVEL": "INFO"}
    command = [sys.executable, "-m", "assistant", "--instance", str(instance)]
    server = subprocess.Popen([*command, "mail", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        Output(server).wait_for(lambda lines: any("receiving mail" in line for line in lines))
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            assert client.sendmail("supplier@example.com", [f"procuree+{number}@localhost"], raw) == {}
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=60)
    [stored] = inbound_rows(app)
    assert (stored.state, stored.via, stored.processed_at) == ("received", "smtp", None)
    assert ticket_store.get(number).status == "info_requested"

    done = subprocess.run([*command, "mail", "process"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "processed 1 received mail(s)" in done.stdout
    [processed] = inbound_rows(app)
    assert processed.state == "applied"
    found = ticket_store.get(number)
    assert found.status == "open" and [h.kind for h in found.history].count("reply") == 1

    again = subprocess.run([*command, "mail", "process"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "processed 0 received mail(s)" in again.stdout  # applied once, however often processing runs
