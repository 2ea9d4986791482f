"""The server's background loop delivers events, keeps or sends mail and auto-closes on its own."""
import datetime as dt
import time

import pytest
from sqlalchemy import select

from assistant import create_app, db
from assistant.tickets import NewTicket
from tests.assistant.support import HangingReceiver, Receiver, SmtpServer

SECRET = "whsec-worker-test"


@pytest.fixture
def running(instance, built_index):
    hook = Receiver().start()
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": True,
                      "WORKER_INTERVAL_SECONDS": 0.05, "WEBHOOK_URLS": [hook.url], "WEBHOOK_SECRET": SECRET})
    yield app, hook
    app.extensions["worker"].stop()
    hook.stop()
    app.extensions["db"].dispose()


def wait_until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_loop_delivers_events_and_handles_mail(running):
    app, hook = running
    response = app.test_client().post("/api/v1/tickets", json={
        "email": "ana@example.com", "subject": "Invoice unpaid", "description": "INV-7", "lang": "en"})
    assert response.status_code == 201
    hook.wait_for(1)
    engine = app.extensions["db"]

    def mail_handled():
        with engine.connect() as conn:
            return conn.execute(select(db.mail.c.kept_at)).scalar_one() is not None

    wait_until(mail_handled)
    time.sleep(0.2)  # more rounds: nothing delivered twice
    assert len(hook.received) == 1


def test_the_loop_auto_closes(running):
    app, _ = running
    store = app.extensions["tickets"]
    ticket, _ = store.create(NewTicket("ana@example.com", "Invoice unpaid", "INV-7", "en"))
    store.apply(ticket.number, "propose_solution", message="Paid.",
                now=dt.datetime(2025, 1, 6, tzinfo=dt.timezone.utc))
    wait_until(lambda: store.get(ticket.number).status == "closed")
    assert store.get(ticket.number).resolution == "auto_closed"


def test_a_hanging_receiver_delays_no_mail(instance, built_index):
    """A receiver that accepts and never answers holds up the events lane only: the code mail goes out meanwhile.

    Its timeout (120 s) outlasts the 60 s allowed for the mail, so one lane for
    both could not pass, however fast the machine; separate lanes pass at once.
    """
    hanging, smtp = HangingReceiver(), SmtpServer().start()
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": True,
                      "WORKER_INTERVAL_SECONDS": 0.05, "WEBHOOK_URLS": [hanging.url], "WEBHOOK_SECRET": SECRET,
                      "WEBHOOK_TIMEOUT_SECONDS": 120, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port,
                      "SMTP_STARTTLS": False})
    try:
        client = app.test_client()
        for i in range(5):
            assert client.post("/api/v1/tickets", json={"email": f"s{i}@example.com", "subject": f"Invoice {i}",
                                                        "description": "Unpaid.", "lang": "en"}).status_code == 201
        wait_until(lambda: hanging.connections, timeout=60)  # the events lane now waits on the first event
        assert client.post("/api/v1/session/code", json={"email": "new@example.com", "lang": "en"}).status_code == 202
        wait_until(lambda: ["new@example.com"] in [to for _, to, _ in smtp.messages], timeout=60)
        assert len(hanging.connections) == 1  # still inside that first delivery attempt
    finally:
        hanging.stop()  # the waiting delivery fails now, so the lanes stop promptly
        app.extensions["worker"].stop()
        smtp.stop()
        app.extensions["db"].dispose()


def test_the_loop_is_off_when_configured(app):
    assert "worker" not in app.extensions
