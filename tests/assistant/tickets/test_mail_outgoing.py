"""Supplier emails: every message in all six languages, kept sealed without SMTP, sent over real SMTP, erased."""
import datetime as dt
import email
import email.policy
import logging
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from assistant import create_app, db
from assistant.tickets.mail import outgoing as notifications
from assistant.tickets.mail.messages import MESSAGES
from tests.assistant.support import SmtpServer

pytestmark = pytest.mark.store  # on SQLite and PostgreSQL (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[3]

LANGS = ["en", "fr", "de", "ko", "zh-Hans", "zh-Hant"]
UTC = dt.timezone.utc
FIELDS = {"number": "CS1234567", "subject": "Facture 42", "reference": "K7QF3MZP9XTA", "message": "Paid on Monday.",
          "days": 4, "accept_url": "https://p.example/tickets/CS1234567/accept?token=A",
          "reject_url": "https://p.example/tickets/CS1234567/reject?token=R", "code": "493817", "minutes": 10,
          "reason": "REASON", "note": "", "accept_mailto": "mailto:p+CS1234567@p.example?subject=A",
          "reject_mailto": "mailto:p+CS1234567@p.example?subject=R"}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_every_message_with_the_same_placeholders(lang):
    assert MESSAGES[lang].keys() == MESSAGES["en"].keys()
    for key, text in MESSAGES["en"].items():
        assert placeholders(MESSAGES[lang][key]) == placeholders(text), f"{lang} {key}"
        if lang != "en" and not key.startswith(("page.ticket", "page.confirm")):
            assert MESSAGES[lang][key] != text, f"{lang} {key} is still English"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["created", "info_requested", "solution_proposed", "closed", "session_code",
                                  "closed_reply", "reject_comment_needed"])
def test_each_mail_renders_completely(lang, kind):
    mail = notifications.compose(kind, lang, "ana@example.com", "Ana", **FIELDS)
    assert "{" not in mail.subject + mail.body and mail.body.endswith(MESSAGES[lang]["signature"] + "\n")
    assert "Ana" in mail.body.splitlines()[0]
    if kind != "session_code":
        assert "CS1234567" in mail.subject and "Facture 42" in mail.subject
    expected = {"created": ["K7QF3MZP9XTA"], "info_requested": ["Paid on Monday."], "closed": ["REASON"],
                "solution_proposed": ["Paid on Monday.", FIELDS["accept_url"], FIELDS["reject_url"],
                                      FIELDS["accept_mailto"], FIELDS["reject_mailto"]],
                "session_code": ["493817"], "closed_reply": ["CS1234567"], "reject_comment_needed": [FIELDS["reject_mailto"]]}[kind]
    assert all(part in mail.body for part in expected)


def test_the_confirmation_tells_to_keep_subject_number_and_reference(app, client, raise_ticket):
    raise_ticket(lang="zh-Hant", name="陳小姐", subject="發票未付款")
    with app.extensions["db"].connect() as conn:
        mail = conn.execute(select(db.mail)).one()
    body = notifications.body_of(mail, app.config["MAIL_KEY"])
    assert mail.subject.startswith("[CS") and "發票未付款" in mail.subject
    assert body.startswith("陳小姐，您好！") and "請保持主旨、工單編號和參考代碼不變" in body


def test_without_smtp_mail_is_kept_and_logged_without_the_address(app, client, raise_ticket, caplog):
    raise_ticket(email="private.person@example.com")
    with caplog.at_level(logging.DEBUG, logger="assistant.tickets.mail.outgoing"):
        assert notifications.send_due(app.extensions["db"], app.config) == 1
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert info and not any("private.person" in line for line in info)
    assert any("private.person" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    with app.extensions["db"].connect() as conn:
        mail = conn.execute(select(db.mail)).one()
    assert mail.kept_at is not None and mail.sent_at is None  # kept, sealed: `mail pending` opens it
    assert "Ana Lima" not in mail.body and "Ana Lima" in notifications.body_of(mail, app.config["MAIL_KEY"])
    assert notifications.send_due(app.extensions["db"], app.config) == 0


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


def test_mail_goes_out_over_smtp(app, client, raise_ticket, smtp):
    smtp.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False, MAIL_FROM="Procuree <help@example.com>")
    number, reference, _ = raise_ticket(lang="ko", name="김민수", subject="송장 미지급")
    assert notifications.send_due(app.extensions["db"], app.config) == 1
    sender, recipients, raw = smtp.messages[0]
    assert (sender, recipients) == ("help@example.com", ["supplier@example.com"])
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == f"[{number}] 문의가 접수되었습니다: 송장 미지급"
    body = message.get_content()
    assert reference in body and body.startswith("김민수님, 안녕하세요.")
    with app.extensions["db"].connect() as conn:
        row = conn.execute(select(db.mail)).one()
    assert row.sent_at is not None and row.body == ""  # the reference code is not kept once sent
    assert notifications.send_due(app.extensions["db"], app.config) == 0
    assert len(smtp.messages) == 1


def test_smtp_down_retries_later(app, client, raise_ticket, smtp):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False)
    raise_ticket()
    t0 = dt.datetime.now(UTC)
    notifications.send_due(app.extensions["db"], app.config, now=t0)
    with app.extensions["db"].connect() as conn:
        row = conn.execute(select(db.mail)).one()
    assert (row.sent_at, row.attempts, row.next_attempt_at) == (None, 1, t0 + dt.timedelta(seconds=30))
    smtp.start()
    assert notifications.send_due(app.extensions["db"], app.config, now=t0 + dt.timedelta(seconds=5)) == 0
    assert notifications.send_due(app.extensions["db"], app.config, now=t0 + dt.timedelta(seconds=31)) == 1
    assert len(smtp.messages) == 1


def received(smtp) -> dict[str, email.message.EmailMessage]:
    """The messages the SMTP server got, by Message-ID."""
    messages = [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in smtp.messages]
    return {message["Message-ID"]: message for message in messages}


def test_a_tickets_mails_form_one_thread_and_replies_name_the_ticket(app, client, raise_ticket, ticket_store, smtp):
    smtp.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False, MAIL_FROM="Procuree <help@example.com>")
    engine = app.extensions["db"]
    number, _, _ = raise_ticket(lang="fr")
    ticket_store.apply(number, "request_info", message="Quel est le numéro de commande ?")
    ticket_store.apply(number, "propose_solution", message="La facture a été payée lundi.")
    assert client.post("/api/v1/session/code", json={"email": "new@example.com", "lang": "en"}).status_code == 202
    assert notifications.send_due(engine, app.config) == 4
    with engine.connect() as conn:
        rows = {row.kind: row for row in conn.execute(select(db.mail)).all()}
    messages = received(smtp)
    assert set(messages) == {row.message_id for row in rows.values()}  # four distinct, each as stored
    assert all(re.fullmatch(r"<[^<>@\s]+@[a-z.]+>", message_id) for message_id in messages)
    confirmation, request, solution, code = (messages[rows[kind].message_id] for kind in
                                             ("created", "info_requested", "solution_proposed", "session_code"))
    assert confirmation["In-Reply-To"] is None and confirmation["References"] is None  # the root of the thread
    for later in (request, solution):
        assert later["In-Reply-To"] == later["References"] == confirmation["Message-ID"]
    for message in (confirmation, request, solution):
        assert message["Reply-To"] == f"Procuree <help+{number}@example.com>" and f"[{number}]" in message["Subject"]
    assert code["Reply-To"] is None and code["In-Reply-To"] is None  # about no ticket


def test_a_retried_mail_keeps_its_message_id(app, client, raise_ticket, smtp):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False)
    engine = app.extensions["db"]
    raise_ticket()
    with engine.connect() as conn:
        queued = conn.execute(select(db.mail)).one().message_id
    assert queued.endswith("@localhost>")  # the domain of the default MAIL_FROM
    t0 = dt.datetime.now(UTC)
    notifications.send_due(engine, app.config, now=t0)  # no server yet: the attempt fails
    with engine.connect() as conn:
        assert conn.execute(select(db.mail.c.attempts, db.mail.c.message_id)).one() == (1, queued)
    smtp.start()
    assert notifications.send_due(engine, app.config, now=t0 + dt.timedelta(seconds=31)) == 1
    assert list(received(smtp)) == [queued]


def test_mail_reply_to_is_a_template_naming_the_ticket(app, client, raise_ticket, smtp):
    smtp.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False,
                      MAIL_REPLY_TO="STP Support <support+{number}@replies.example.org>")
    number, _, _ = raise_ticket()
    assert notifications.send_due(app.extensions["db"], app.config) == 1
    [message] = received(smtp).values()
    assert message["Reply-To"] == f"STP Support <support+{number}@replies.example.org>"


@pytest.mark.parametrize("setting", [{"MAIL_REPLY_TO": "support"}, {"MAIL_FROM": "Procuree"}])
def test_a_reply_to_without_an_address_stops_the_start(instance, built_index, setting):
    with pytest.raises(ValueError, match="MAIL_REPLY_TO"):
        create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False, **setting})


def test_unsent_mail_an_older_version_queued_gets_a_message_id(app):
    engine = app.extensions["db"]
    now = dt.datetime.now(UTC)
    with engine.begin() as conn:  # as version 0004 of the schema left them: no Message-ID
        for sent in (None, now):
            conn.execute(db.mail.insert().values(kind="created", lang="en", to_addr="ana@example.com", subject="Hi",
                                                 body="", sent_at=sent, created_at=now, retry_from=now,
                                                 next_attempt_at=now, attempts=0))
    assert notifications.number_unsent(engine, "Procuree <help@example.com>") == 1
    assert notifications.number_unsent(engine, "Procuree <help@example.com>") == 0
    with engine.connect() as conn:
        unsent, sent = conn.execute(select(db.mail.c.message_id).order_by(db.mail.c.id)).scalars().all()
    assert unsent.endswith("@example.com>") and sent is None


def test_the_closing_mail_says_why(app, ticket_store):
    from assistant.tickets import NewTicket

    ticket, _ = ticket_store.create(NewTicket("ana@example.com", "Rechnung", "offen", "de"))
    ticket_store.apply(ticket.number, "propose_solution", message="Bezahlt.", now=dt.datetime(2025, 1, 6, tzinfo=UTC))
    ticket_store.autoclose()
    with app.extensions["db"].connect() as conn:
        row = conn.execute(select(db.mail).where(db.mail.c.kind == "closed")).one()
    body = notifications.body_of(row, app.config["MAIL_KEY"])
    assert "innerhalb von 4 Werktagen weder angenommen noch abgelehnt" in body
    assert "neues Ticket" in body


def test_a_mail_that_cannot_be_built_never_blocks_the_others(app, client, raise_ticket, smtp):
    """A header that refuses to form is recorded on its own row; the mail queued after it still goes out."""
    smtp.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False)
    engine = app.extensions["db"]
    now = dt.datetime.now(UTC)
    with engine.begin() as conn:  # a recipient no header can hold, stored before its ticket's mail
        conn.execute(db.mail.insert().values(
            kind="created", lang="en", to_addr="bad\r\nBcc: victim@example.com", subject="Hi", body="b",
            created_at=now, retry_from=now, next_attempt_at=now, attempts=0,
        ))
    raise_ticket()
    notifications.send_due(engine, app.config)
    with engine.connect() as conn:
        rows = conn.execute(select(db.mail).order_by(db.mail.c.id)).all()
    assert rows[0].sent_at is None and rows[0].attempts == 1 and rows[0].last_error
    assert rows[1].sent_at is not None
    assert [recipients for _, recipients, _ in smtp.messages] == [["supplier@example.com"]]


@pytest.mark.parametrize("field", ["subject", "name", "supplier_name"])
def test_line_breaks_in_header_fields_are_refused(client, field):
    body = {"email": "a@example.com", "subject": "Invoice", "description": "Unpaid.", field: "Hi\r\nBcc: victim@example.com"}
    response = client.post("/api/v1/tickets", json=body)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == field


# --- nothing secret at rest ---------------------------------------------------------


def database_bytes(instance) -> bytes:
    """Every byte SQLite keeps for the instance: the database file, its WAL, any rollback journal.

    Read by another process: closing a descriptor of the database file in this
    one would drop the locks the app's open connections hold (POSIX locks are
    per process), and another process could then delete the WAL under them.
    """
    files = [str(path) for path in sorted(instance.glob("assistant.sqlite3*"))]
    script = "import sys; [sys.stdout.buffer.write(open(f, 'rb').read()) for f in sys.argv[1:]]"
    return subprocess.run([sys.executable, "-c", script, *files], capture_output=True, check=True, timeout=60).stdout


def written_out(code: str, raw: bytes) -> bool:
    """``code`` as text would hold it: not inside a longer run of digits, hex or a timestamp's microseconds."""
    return re.search(rb"(?<![0-9A-Fa-f.])" + code.encode() + rb"(?![0-9A-Fa-f])", raw) is not None


def mail_pending(instance, built_index, *args: str) -> str:
    """``python -m assistant --instance … mail pending`` as an operator runs it: a real process."""
    env = {**os.environ, "ASSISTANT_INDEX": str(built_index), "ASSISTANT_LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-m", "assistant", "--instance", str(instance), "mail", "pending", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.sqlite_only  # reads the database's files
def test_no_reference_or_session_code_is_stored_in_clear(app, client, raise_ticket, instance, built_index, smtp):
    number, reference, _ = raise_ticket(email="ana@example.com")
    assert client.post("/api/v1/session/code", json={"email": "new@example.com", "lang": "en"}).status_code == 202
    assert reference.encode() not in database_bytes(instance)
    shown = mail_pending(instance, built_index)  # the operator's way to the code, without SMTP
    code = re.search(r"in Procuree is: (\d{6})", shown).group(1)
    assert reference in shown and f"[{number}]" in shown and "new@example.com" in shown
    raw = database_bytes(instance)
    assert reference.encode() not in raw and not written_out(code, raw)
    assert (instance / "mail_key").exists() and app.config["MAIL_KEY"].encode() not in raw
    only_new = mail_pending(instance, built_index, "--to", "new@example.com")
    assert code in only_new and reference not in only_new

    smtp.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False)
    assert notifications.send_due(app.extensions["db"], app.config) == 2
    sent = b"\n".join(message for _, _, message in smtp.messages)
    assert reference.encode() in sent and code.encode() in sent
    with app.extensions["db"].connect() as conn:
        rows = conn.execute(select(db.mail)).all()
    assert [(row.body, row.sent_at is not None) for row in rows] == [("", True), ("", True)]  # erased once sent
    assert {row.kind for row in rows} == {"created", "session_code"} and all(row.to_addr and row.subject for row in rows)
    raw = database_bytes(instance)
    assert reference.encode() not in raw and not written_out(code, raw)
    assert mail_pending(instance, built_index).strip() == "no pending mail"


@pytest.mark.sqlite_only  # reads the database's files; tests/assistant/test_db.py adopts old databases on both
def test_bodies_an_older_version_kept_in_clear_are_sealed_at_start(instance, built_index):
    engine = db.make_engine(db.database_url({}, instance))
    db.migrate(engine)
    at = "2025-01-06 09:00:00.000000"
    with engine.begin() as conn:  # the mail table as version 2 left it: bodies in clear
        conn.exec_driver_sql("ALTER TABLE mail DROP COLUMN sealed")
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0002'")
        for body, kept, sent in (("Your reference code: K7QF3MZP9XTA", at, None), ("Your code: XJ4PZ9W2LMQR", None, at)):
            conn.execute(text(
                "INSERT INTO mail (kind, lang, to_addr, subject, body, kept_at, sent_at, created_at, retry_from,"
                " next_attempt_at, attempts) VALUES ('created', 'en', 'ana@example.com', 'Hi', :body, :kept, :sent,"
                " :at, :at, :at, 0)"), {"body": body, "kept": kept, "sent": sent, "at": at})
    db.checkpoint(engine)
    engine.dispose()
    assert b"K7QF3MZP9XTA" in database_bytes(instance) and b"XJ4PZ9W2LMQR" in database_bytes(instance)

    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False})
    try:
        raw = database_bytes(instance)
        assert b"K7QF3MZP9XTA" not in raw and b"XJ4PZ9W2LMQR" not in raw
        with app.extensions["db"].connect() as conn:
            kept, sent = conn.execute(select(db.mail).order_by(db.mail.c.id)).all()
        assert (kept.sealed, sent.sealed, sent.body) == (1, 1, "")  # the sent one had no reason to stay
        assert notifications.body_of(kept, app.config["MAIL_KEY"]) == "Your reference code: K7QF3MZP9XTA"
        shown = app.test_cli_runner().invoke(args=["mail", "pending"]).output
        assert "K7QF3MZP9XTA" in shown and "XJ4PZ9W2LMQR" not in shown
    finally:
        app.extensions["db"].dispose()


def test_a_malformed_mail_key_stops_the_start(instance, built_index):
    with pytest.raises(ValueError, match="MAIL_KEY"):
        create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                    "MAIL_KEY": "not-a-fernet-key"})


def test_message_ids_stay_unique_when_the_random_module_is_seeded():
    """A seeded ``random`` (test frameworks seed it per example) must not repeat a Message-ID:
    the mail table refuses duplicates, and a repeat would be a 500 for the supplier."""
    import random

    from assistant.tickets.mail.outgoing import new_message_id

    random.seed(7)
    first = new_message_id("Procuree <procuree@example.com>")
    random.seed(7)
    second = new_message_id("Procuree <procuree@example.com>")
    assert first != second and first.endswith("@example.com>")
