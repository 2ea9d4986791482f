"""Supplier emails: every message in all six languages, kept without SMTP, sent over real SMTP."""
import datetime as dt
import email
import email.policy
import logging
import string

import pytest
from sqlalchemy import select

from assistant import db, notifications
from assistant.mail_messages import MESSAGES
from tests.assistant.support import SmtpServer

LANGS = ["en", "fr", "de", "ko", "zh-Hans", "zh-Hant"]
UTC = dt.timezone.utc
FIELDS = {"number": "CS1234567", "subject": "Facture 42", "reference": "K7QF3MZP9XTA", "message": "Paid on Monday.",
          "days": 4, "accept_url": "https://p.example/tickets/CS1234567/accept?token=A",
          "reject_url": "https://p.example/tickets/CS1234567/reject?token=R", "code": "493817", "minutes": 10,
          "reason": "REASON", "note": ""}


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
@pytest.mark.parametrize("kind", ["created", "info_requested", "solution_proposed", "closed", "session_code"])
def test_each_mail_renders_completely(lang, kind):
    mail = notifications.compose(kind, lang, "ana@example.com", "Ana", **FIELDS)
    assert "{" not in mail.subject + mail.body and mail.body.endswith(MESSAGES[lang]["signature"] + "\n")
    assert "Ana" in mail.body.splitlines()[0]
    if kind != "session_code":
        assert "CS1234567" in mail.subject and "Facture 42" in mail.subject
    expected = {"created": ["K7QF3MZP9XTA"], "info_requested": ["Paid on Monday."], "closed": ["REASON"],
                "solution_proposed": ["Paid on Monday.", FIELDS["accept_url"], FIELDS["reject_url"]],
                "session_code": ["493817"]}[kind]
    assert all(part in mail.body for part in expected)


def test_the_confirmation_tells_to_keep_subject_number_and_reference(app, client, raise_ticket):
    raise_ticket(lang="zh-Hant", name="陳小姐", subject="發票未付款")
    with app.extensions["db"].connect() as conn:
        mail = conn.execute(select(db.mail)).one()
    assert mail.subject.startswith("[CS") and "發票未付款" in mail.subject
    assert mail.body.startswith("陳小姐，您好！") and "請保持主旨、工單編號和參考代碼不變" in mail.body


def test_without_smtp_mail_is_kept_and_logged_without_the_address(app, client, raise_ticket, caplog):
    raise_ticket(email="private.person@example.com")
    with caplog.at_level(logging.DEBUG, logger="assistant.notifications"):
        assert notifications.send_due(app.extensions["db"], app.config) == 1
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert info and not any("private.person" in line for line in info)
    assert any("private.person" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    with app.extensions["db"].connect() as conn:
        mail = conn.execute(select(db.mail)).one()
    assert mail.kept_at is not None and mail.sent_at is None and mail.body  # still readable in the table
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


def test_the_closing_mail_says_why(app, ticket_store):
    from assistant.tickets import NewTicket

    ticket, _ = ticket_store.create(NewTicket("ana@example.com", "Rechnung", "offen", "de"))
    ticket_store.apply(ticket.number, "propose_solution", message="Bezahlt.", now=dt.datetime(2025, 1, 6, tzinfo=UTC))
    ticket_store.autoclose()
    with app.extensions["db"].connect() as conn:
        body = conn.execute(select(db.mail.c.body).where(db.mail.c.kind == "closed")).scalar_one()
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
