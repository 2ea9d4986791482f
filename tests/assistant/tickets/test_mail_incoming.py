"""Suppliers' replies by email, through the real HTTP endpoint: matched, checked, applied once, or held for review."""
from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import select

from assistant import db
from assistant.tickets.mail import outgoing as notifications

pytestmark = pytest.mark.store

INBOUND_TOKEN = "inbound-token-for-tests"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# What a supplier writes above the quoted mail, the quote header their mail client adds, and their signature.
REPLIES = {
    "en": ("The invoice was sent on 3 March through the Coupa Supplier Portal; the PO number is 4500012345.",
           "On Tue, 1 Dec 2026 at 10:00, Procuree <procuree@localhost> wrote:", "-- \nAna Lima\nAcme Ltd"),
    "fr": ("La facture a été déposée le 3 mars sur le portail Coupa ; le numéro de commande est 4500012345.",
           "Le mar. 1 déc. 2026 à 10:00, Procuree <procuree@localhost> a écrit :", "Envoyé de mon iPhone"),
    "de": ("Die Rechnung wurde am 3. März über das Coupa-Portal eingereicht, Bestellnummer 4500012345.",
           "Am 01.12.2026 um 10:00 schrieb Procuree <procuree@localhost>:", "-- \nAna Lima\nAcme GmbH"),
    "ko": ("송장은 3월 3일 Coupa 공급업체 포털로 제출했고 구매 주문 번호는 4500012345입니다.",
           "2026년 12월 1일 (화) 오전 10:00, Procuree <procuree@localhost>님이 작성:", "iPhone에서 보냄"),
    "zh-Hans": ("发票已于3月3日通过 Coupa 供应商门户提交，采购订单号是 4500012345。",
                "在 2026年12月1日 10:00，Procuree <procuree@localhost> 写道：", "发自我的iPhone"),
    "zh-Hant": ("發票已於3月3日透過 Coupa 供應商入口網站提交，採購單號碼是 4500012345。",
                "於 2026年12月1日 週二 上午10:00，Procuree <procuree@localhost> 寫道：", "從我的 iPhone 傳送"),
}


@pytest.fixture
def inbound(app, client):
    """POST a raw message to the endpoint with the token; returns the JSON receipt (asserting 202)."""
    app.config["INBOUND_TOKEN"] = INBOUND_TOKEN

    def post(raw: bytes, status: int = 202):
        response = client.post("/api/v1/inbound/email", data=raw, content_type="message/rfc822",
                               headers={"Authorization": f"Bearer {INBOUND_TOKEN}"})
        assert response.status_code == status, response.get_json()
        return response.get_json()

    return post


@pytest.fixture
def ticket(app, client, raise_ticket, agent_headers):
    """A ticket waiting for the supplier's information; returns a function moving it on, and its number."""

    def make(lang: str = "en", email: str = "supplier@example.com", then: str = "request-info"):
        number, reference, _ = raise_ticket(lang=lang, email=email)
        response = client.post(f"/api/v1/agent/tickets/{number}/{then}", headers=agent_headers,
                               json={"message": "Which purchase order is the invoice for?"})
        assert response.status_code == 200, response.get_json()
        return number, reference

    return make


def last_mail(app, number: str, kind: str | None = None):
    """The newest mail queued about ticket ``number`` (of ``kind``, if given): its row and its opened body."""
    engine = app.extensions["db"]
    query = (select(db.mail).join(db.tickets, db.mail.c.ticket_id == db.tickets.c.id)
             .where(db.tickets.c.number == number).order_by(db.mail.c.id.desc()))
    with engine.connect() as conn:
        row = conn.execute(query.where(db.mail.c.kind == kind) if kind else query).first()
    return row, notifications.body_of(row, app.config["MAIL_KEY"])


def mails_of_kind(app, kind: str) -> list:
    with app.extensions["db"].connect() as conn:
        return conn.execute(select(db.mail).where(db.mail.c.kind == kind)).all()


def reply_to(app, number: str, lang: str = "en", *, sender: str = "supplier@example.com", new: str | None = None,
             quote: bool = True, html_part: bool = False, files=(), headers: dict | None = None,
             message_id: str | None = None) -> bytes:
    """A supplier's reply to the newest mail about ``number`` as a mail client writes it: the new text on top,
    a signature, the quote header and the quoted mail (which holds the ticket number and the code)."""
    row, body = last_mail(app, number)
    text, header, signature = REPLIES[lang]
    text = text if new is None else new
    quoted = "\n".join("> " + line for line in body.splitlines())
    message = EmailMessage()
    message["From"], message["To"] = f"Ana Lima <{sender}>", notifications.reply_to(app.config, number)
    message["Subject"] = "Re: " + row.subject
    message["Message-ID"] = message_id or make_msgid(domain="supplier.example")
    message["In-Reply-To"] = message["References"] = row.message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(f"{text}\n\n{signature}\n\n{header}\n{quoted}\n" if quote else f"{text}\n")
    if html_part:
        message.add_alternative(f"<div dir='ltr'>{html.escape(text)}</div><br><div class='gmail_quote'>"
                                f"{html.escape(header)}<blockquote>{html.escape(body)}</blockquote></div>",
                                subtype="html")
    for filename, data in files:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes(policy=SMTP)  # CRLF line ends, as a mail client sends


def ticket_json(client, agent_headers, number: str) -> dict:
    response = client.get(f"/api/v1/agent/tickets/{number}", headers=agent_headers)
    assert response.status_code == 200
    return response.get_json()


def events_of(app, number: str) -> list[dict]:
    with app.extensions["db"].connect() as conn:
        rows = conn.execute(select(db.outbox.c.payload).order_by(db.outbox.c.id)).all()
    return [row.payload for row in rows if row.payload["ticket"]["number"] == number]


@pytest.mark.parametrize("lang", list(REPLIES))
def test_a_reply_with_quoted_history_becomes_the_suppliers_reply(app, client, agent_headers, inbound, ticket, lang):
    number, _ = ticket(lang)
    receipt = inbound(reply_to(app, number, lang, html_part=True, files=[("packing-list.pdf", PDF)]))
    assert receipt["state"] == "applied" and receipt["ticket_number"] == number and not receipt["duplicate"]
    found = ticket_json(client, agent_headers, number)
    assert found["status"] == "open"  # info_requested -> open, as the lifecycle says
    entry = found["history"][-1]
    assert (entry["kind"], entry["actor"], entry["via"], entry["status_from"]) == ("reply", "supplier", "email", "info_requested")
    assert entry["message"] == REPLIES[lang][0]  # no quote header, no quoted mail, no signature
    assert [a["filename"] for a in found["attachments"]] == ["packing-list.pdf"]
    assert found["emails"][-1]["state"] == "applied" and found["emails"][-1]["text"] == REPLIES[lang][0]
    event = events_of(app, number)[-1]
    assert event["type"] == "updated" and event["change"]["via"] == "email" and event["change"]["action"] == "reply"


def test_an_html_only_reply_is_read_without_its_quoted_part(app, client, agent_headers, inbound, ticket):
    number, reference = ticket()
    row, body = last_mail(app, number)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "supplier@example.com", "procuree@localhost", f"Re: {row.subject}"
    message["Message-ID"] = make_msgid()
    message.set_content("<p>Here is the PO: <b>4500012345</b>.</p><p>Best regards</p>"
                        f"<div class='gmail_quote'><blockquote>{html.escape(body)}</blockquote></div>", subtype="html")
    assert inbound(message.as_bytes())["state"] == "applied"
    assert ticket_json(client, agent_headers, number)["history"][-1]["message"] == "Here is the PO: 4500012345.\n\nBest regards"


def test_the_same_message_id_twice_is_stored_and_applied_once(app, client, agent_headers, inbound, ticket):
    number, _ = ticket()
    raw = reply_to(app, number, message_id="<same-1@supplier.example>")
    first, second = inbound(raw), inbound(raw)
    assert second == {**first, "duplicate": True}
    history = ticket_json(client, agent_headers, number)["history"]
    assert [h["kind"] for h in history].count("reply") == 1
    with app.extensions["db"].connect() as conn:
        assert conn.execute(select(db.inbound_mail.c.id)).all() == [(first["id"],)]


def test_a_reply_without_the_reference_code_waits_for_review_and_an_agent_can_apply_it(
        app, client, agent_headers, inbound, ticket):
    number, _ = ticket()
    receipt = inbound(reply_to(app, number, quote=False))  # names the ticket (address, thread), no code
    assert (receipt["state"], receipt["reason"]) == ("review", "no_reference_code")
    assert ticket_json(client, agent_headers, number)["status"] == "info_requested"
    listed = client.get("/api/v1/agent/inbound?state=review", headers=agent_headers).get_json()
    assert [(m["id"], m["ticket_number"], m["text"]) for m in listed["emails"]] == [(receipt["id"], number, REPLIES["en"][0])]
    applied = client.post(f"/api/v1/agent/inbound/{receipt['id']}/apply", headers=agent_headers,
                          json={"number": number, "agent": "mia"})
    assert applied.status_code == 200 and applied.get_json()["state"] == "applied"
    found = ticket_json(client, agent_headers, number)
    assert found["status"] == "open" and found["history"][-1]["message"] == REPLIES["en"][0]
    again = client.post(f"/api/v1/agent/inbound/{receipt['id']}/apply", headers=agent_headers, json={"number": number})
    assert again.status_code == 409  # applied once only


def test_a_reply_from_another_address_changes_nothing_even_with_the_code(app, client, agent_headers, inbound, ticket):
    number, _ = ticket()
    receipt = inbound(reply_to(app, number, sender="someone.else@example.org"))
    assert (receipt["state"], receipt["reason"]) == ("review", "sender_not_ticket_address")
    found = ticket_json(client, agent_headers, number)
    assert found["status"] == "info_requested" and found["history"][-1]["kind"] == "request_info"
    dismissed = client.post(f"/api/v1/agent/inbound/{receipt['id']}/dismiss", headers=agent_headers, json={"agent": "mia"})
    assert dismissed.get_json()["state"] == "dismissed"


def test_a_wrong_code_is_not_enough(app, client, agent_headers, inbound, ticket):
    number, reference = ticket()
    wrong = "ABCDEFGHJKLM" if reference != "ABCDEFGHJKLM" else "MLKJHGFEDCBA"
    new = f"Ticket {number}, reference code {wrong}: the PO is 4500012345."
    receipt = inbound(reply_to(app, number, new=new, quote=False))
    assert (receipt["state"], receipt["reason"]) == ("review", "no_reference_code")
    assert ticket_json(client, agent_headers, number)["status"] == "info_requested"


def test_a_mail_naming_no_ticket_waits_for_review(app, agent_headers, client, inbound):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "new.supplier@example.com", "procuree@localhost", "Hello"
    message["Message-ID"] = make_msgid()
    message.set_content("How do I connect to the Coupa Supplier Portal?")
    receipt = inbound(message.as_bytes())
    assert (receipt["state"], receipt["reason"], receipt["ticket_number"]) == ("review", "no_ticket", None)


@pytest.mark.parametrize("headers", [{"Auto-Submitted": "auto-replied"}, {"Precedence": "auto_reply"},
                                     {"X-Autoreply": "yes"}])
def test_an_out_of_office_reply_is_recorded_and_never_answered(app, client, agent_headers, inbound, ticket, headers):
    number, _ = ticket()
    mails_before = len(mails_of_kind(app, "closed_reply")) + len(mails_of_kind(app, "info_requested"))
    receipt = inbound(reply_to(app, number, new="I am out of the office until Monday.", headers=headers))
    assert (receipt["state"], receipt["reason"], receipt["ticket_number"]) == ("automated", "auto_reply", number)
    found = ticket_json(client, agent_headers, number)
    assert found["status"] == "info_requested" and found["emails"][-1]["state"] == "automated"
    assert len(mails_of_kind(app, "closed_reply")) + len(mails_of_kind(app, "info_requested")) == mails_before


def test_a_bounce_of_our_mail_is_recorded_on_its_ticket(app, client, agent_headers, inbound, ticket):
    number, _ = ticket()
    row, _ = last_mail(app, number)
    report = EmailMessage()
    report["From"], report["To"] = "MAILER-DAEMON@mx.supplier.example", "procuree@localhost"
    report["Subject"], report["Message-ID"] = "Undelivered Mail Returned to Sender", make_msgid()
    report.set_content("This is the mail system at host mx.supplier.example. The mail could not be delivered.")
    status = EmailMessage()
    status.set_content("Reporting-MTA: dns; mx.supplier.example\n\nFinal-Recipient: rfc822; supplier@example.com\n"
                       "Action: failed\nStatus: 5.1.1\n")
    report.add_attachment(f"Message-ID: {row.message_id}\nSubject: {row.subject}\n".encode(),
                          maintype="text", subtype="rfc822-headers")
    report.replace_header("Content-Type", report["Content-Type"].replace("multipart/mixed", "multipart/report"))
    receipt = inbound(report.as_bytes())
    assert (receipt["state"], receipt["reason"], receipt["ticket_number"]) == ("automated", "bounce", number)


def test_a_reply_to_a_closed_ticket_gets_one_answer_an_hour_in_the_tickets_language(
        app, client, agent_headers, inbound, raise_ticket):
    number, reference, _ = raise_ticket(lang="de")
    assert client.post(f"/api/v1/agent/tickets/{number}/close", headers=agent_headers).status_code == 200
    first = inbound(reply_to(app, number, "de"))
    second = inbound(reply_to(app, number, "de"))
    assert (first["state"], first["reason"]) == ("declined", "ticket_closed") == (second["state"], second["reason"])
    answers = mails_of_kind(app, "closed_reply")
    assert len(answers) == 1 and answers[0].lang == "de" and answers[0].to_addr == "supplier@example.com"
    body = notifications.body_of(answers[0], app.config["MAIL_KEY"])
    assert "geschlossen" in answers[0].subject and number in body and "neues Ticket" in body
    found = ticket_json(client, agent_headers, number)
    assert found["status"] == "closed" and [h["kind"] for h in found["history"]] == ["created", "close"]


def decision_mail(app, number: str, action: str, comment: str = "", sender: str = "supplier@example.com") -> bytes:
    """What the solution mail's mailto link for ``action`` opens, with ``comment`` written above, then sent."""
    _, body = last_mail(app, number, "solution_proposed")
    parts = urlsplit(_mailto_line(body, action))
    query = parse_qs(parts.query)
    message = EmailMessage()
    message["From"], message["To"] = sender, unquote(parts.path)
    message["Subject"], message["Message-ID"] = query["subject"][0], make_msgid()
    message.set_content((comment + "\n" if comment else "") + query["body"][0])
    return message.as_bytes()


def _mailto_line(body: str, action: str) -> str:
    links = re.findall(r"mailto:\S+", body)
    assert len(links) == 2, body
    return links[0] if action == "accept" else links[1]


def test_accept_by_mail_closes_the_ticket_like_the_web_link(app, client, agent_headers, inbound, ticket):
    number, _ = ticket(then="propose-solution")
    receipt = inbound(decision_mail(app, number, "accept"))
    assert (receipt["state"], receipt["ticket_number"]) == ("applied", number)
    found = ticket_json(client, agent_headers, number)
    assert (found["status"], found["resolution"]) == ("closed", "accepted")
    assert found["history"][-1]["via"] == "email" and found["history"][-1]["message"] is None
    assert [e["type"] for e in events_of(app, number)][-2:] == ["accepted", "closed"]


@pytest.mark.parametrize("lang", ["fr", "zh-Hant"])
def test_reject_by_mail_needs_its_comment(app, client, agent_headers, inbound, ticket, lang):
    number, _ = ticket(lang, then="propose-solution")
    bare = inbound(decision_mail(app, number, "reject"))
    assert (bare["state"], bare["reason"]) == ("declined", "reject_without_comment")
    assert ticket_json(client, agent_headers, number)["status"] == "solution_proposed"
    [asked] = mails_of_kind(app, "reject_comment_needed")
    assert asked.lang == lang and "mailto:" in notifications.body_of(asked, app.config["MAIL_KEY"])
    comment = "La facture est toujours bloquée au statut « en attente »." if lang == "fr" else "發票仍然停在「待處理」狀態。"
    receipt = inbound(decision_mail(app, number, "reject", comment))
    assert receipt["state"] == "applied"
    found = ticket_json(client, agent_headers, number)
    assert found["status"] == "reopened" and found["history"][-1]["message"] == comment


def test_an_old_decision_does_not_act_on_a_newer_proposal(app, client, agent_headers, inbound, ticket):
    number, _ = ticket(then="propose-solution")
    old_accept = decision_mail(app, number, "accept")
    assert inbound(decision_mail(app, number, "reject", "Still blocked."))["state"] == "applied"
    client.post(f"/api/v1/agent/tickets/{number}/propose-solution", headers=agent_headers, json={"message": "Try this."})
    receipt = inbound(old_accept)
    assert (receipt["state"], receipt["reason"]) == ("declined", "stale_decision")
    assert ticket_json(client, agent_headers, number)["status"] == "solution_proposed"


def test_every_ticket_mail_repeats_the_number_and_the_code(app, ticket):
    number, reference = ticket("ko", then="propose-solution")
    _, body = last_mail(app, number)
    assert f"티켓 번호: {number}" in body and f"참조 코드: {reference}" in body


def test_nothing_kept_of_a_received_mail_holds_the_code_in_clear(app, inbound, ticket):
    number, reference = ticket()
    inbound(reply_to(app, number, new=f"My code is {reference}, the PO is 4500012345."))
    with app.extensions["db"].connect() as conn:
        rows = conn.execute(select(db.inbound_mail)).all() + conn.execute(select(db.ticket_history)).all()
    assert rows and not any(reference in str(value) for row in rows for value in row)


@pytest.mark.parametrize("case", ["no token", "wrong type", "empty", "too large"])
def test_the_endpoint_refuses_bad_requests_with_the_right_status(app, client, case):
    app.config["INBOUND_TOKEN"] = INBOUND_TOKEN
    app.config["MAX_CONTENT_LENGTH"] = 4096
    headers = {"Authorization": f"Bearer {INBOUND_TOKEN}"}
    data, content_type, status = b"From: a@example.com\r\n\r\nhello", "message/rfc822", 202
    if case == "no token":
        headers, status = {}, 401
    elif case == "wrong type":
        content_type, status = "application/json", 415
    elif case == "empty":
        data, status = b"", 400
    elif case == "too large":
        data, status = b"From: a@example.com\r\n\r\n" + b"x" * 5000, 413
    response = client.post("/api/v1/inbound/email", data=data, content_type=content_type, headers=headers)
    assert response.status_code == status and set(response.get_json()["error"]) >= {"code", "message"}
    with app.extensions["db"].connect() as conn:
        assert conn.execute(select(db.inbound_mail)).all() == []


def test_a_code_of_letters_only_is_blanked_too():
    from assistant.tickets.mail.matching import blank_codes
    from assistant.tickets.model import hash_reference

    assert blank_codes("my code: ABCD-EFGH-JKLM", hash_reference("ABCDEFGHJKLM")) == "my code: ············"
    assert blank_codes("PLEASE CHECK THE INVOICE STATUS", hash_reference("ABCDEFGHJKLM")) == "PLEASE CHECK THE INVOICE STATUS"
    assert blank_codes("ref K7QF3MZP9XTA") == "ref ············"
