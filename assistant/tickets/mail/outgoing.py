"""Emails to suppliers in their ticket's language: queued with the change, sent afterwards.

``queue`` inserts the message into the ``mail`` table inside the caller's
transaction (a ticket is never created without its confirmation email),
its body sealed under MAIL_KEY (``sealing``): reference codes, one-time
codes and decision links are never stored in clear.  ``send_due`` hands
pending messages to the SMTP server when SMTP_HOST is set (standard
library ``smtplib``), retrying with backoff, and erases the body once sent;
without SMTP the message stays in the table, sealed, and is logged (its
address only at debug level); ``pending`` opens them for the operators'
``python -m assistant mail pending``.  The accept/reject links of a
proposed solution carry a signed token (itsdangerous) bound to that
proposal, so an old link cannot accept a later one.

Every mail carries the Message-ID drawn when it was queued (a retry re-sends
the same one); a ticket's later mails answer its first, the confirmation
(In-Reply-To, References), so a mail client shows one thread per ticket; and
its Reply-To names the ticket (MAIL_REPLY_TO, by default MAIL_FROM's address
plus-addressed: ``procuree+CS1234567@host``), so a reply finds its way back.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Engine, case, select, update

from ... import db, sealing
from ...clock import Clock, clock_for
from .messages import MESSAGES

if TYPE_CHECKING:
    from ..model import Ticket

log = logging.getLogger(__name__)

TICKET_MAILS = ("created", "info_requested", "solution_proposed", "closed")
DECISION_SALT = "procuree-decision"
DECISION_MAX_AGE = 60 * 24 * 3600


@dataclass(frozen=True)
class Mail:
    """One email, ready to queue."""

    kind: str
    lang: str
    to: str
    subject: str
    body: str
    ticket_id: int | None = None


def text(lang: str, key: str, **fields: Any) -> str:
    """One message in ``lang`` (English if the language is unknown), placeholders filled."""
    return MESSAGES.get(lang, MESSAGES["en"])[key].format(**fields)


def compose(kind: str, lang: str, to: str, name: str | None = None, ticket_id: int | None = None,
            footer: str | None = None, **fields: Any) -> Mail:
    """A whole email: greeting, the ``kind`` text, the footer (a ticket's number and code), signature."""
    hello = text(lang, "hello_name", name=name) if name else text(lang, "hello")
    parts = [hello, text(lang, kind + ".body", **fields), footer, text(lang, "signature")]
    body = "\n\n".join(part for part in parts if part) + "\n"
    return Mail(kind, lang, to, text(lang, kind + ".subject", **fields), body, ticket_id)


def ticket_mail(kind: str, ticket: Ticket, *, days: int, reference: str | None = None,
                message: str | None = None, links: dict[str, str] | None = None) -> Mail:
    """The supplier's email about one ticket (one of TICKET_MAILS, or an automatic answer).

    Every one but the confirmation (which shows them in its text) ends with the
    ticket number and reference code: the seed asks suppliers to reply keeping
    both, and the code in a reply is what lets it change the ticket.
    """
    fields: dict[str, Any] = {"number": ticket.number, "subject": ticket.subject, "reference": reference,
                              "message": message or "", "days": days, **(links or {})}
    if kind == "closed":
        fields["reason"] = text(ticket.lang, f"reason.{ticket.resolution}", days=days)
        fields["note"] = f"\n{message}\n" if message else ""
    footer = footer_of(ticket.lang, ticket.number, reference) if kind != "created" else None
    return compose(kind, ticket.lang, ticket.email, ticket.name, ticket.id, footer, **fields)


def footer_of(lang: str, number: str, reference: str | None) -> str | None:
    """"Ticket number: … / Reference code: …" in ``lang``; None when the code is not known (an older ticket)."""
    return text(lang, "ticket_footer", number=number, reference=reference) if reference else None


def decision_token(secret: str, ticket: Ticket, action: str) -> str:
    """A signed ``action`` (accept or reject) of the solution just proposed on ``ticket``, and of no later one."""
    serializer = URLSafeTimedSerializer(secret, salt=DECISION_SALT)
    return serializer.dumps({"n": ticket.number, "a": action, "p": ticket.solution_proposed_at.isoformat()})


def decision_links(public_url: str, secret: str, ticket: Ticket, reply_address: str,
                   reference: str | None) -> dict[str, str]:
    """The accept and reject links of a solution mail: web pages, and mailto: links as the seed describes.

    A mailto opens a new email to the ticket's reply address with a prepared
    subject and body: for accept the supplier only presses Send; for reject
    the body asks for the comment.  The body carries the ticket number, its
    code and a signed decision line (``DECISION_LINE``), so the mail acts
    exactly as the web link does, and only on this proposal.
    """
    base = f"{public_url.rstrip('/')}/tickets/{ticket.number}"
    links = {}
    for action in ("accept", "reject"):
        token = decision_token(secret, ticket, action)
        links[f"{action}_url"] = f"{base}/{action}?token={token}"
        links[f"{action}_mailto"] = _mailto(reply_address, ticket, action, token, reference)
    return links


DECISION_LINE = "Procuree decision: {token}"
DECISION_PATTERN = re.compile(r"^[ \t>]*Procuree decision:[ \t]*([A-Za-z0-9_.\-]{20,600})[ \t]*$", re.M)


def _mailto(address: str, ticket: Ticket, action: str, token: str, reference: str | None) -> str:
    lang = ticket.lang
    subject = f"[{ticket.number}] {text(lang, 'page.' + action)}"
    prepared = [text(lang, "mailto.accept_body")] if action == "accept" else ["", "", text(lang, "mailto.reject_body")]
    body = "\n".join([*prepared, "", footer_of(lang, ticket.number, reference) or "", DECISION_LINE.format(token=token)])
    return f"mailto:{quote(address, safe='@+')}?subject={quote(subject, safe='')}&body={quote(body, safe='')}"


def read_decision(secret: str, token: str) -> dict[str, str] | None:
    """The content of a decision token, or None if forged or older than 60 days."""
    try:
        return URLSafeTimedSerializer(secret, salt=DECISION_SALT).loads(token, max_age=DECISION_MAX_AGE)
    except BadData:
        return None


def queue(conn, mail: Mail, now: dt.datetime, key: str, sender: str) -> str:
    """Insert ``mail`` in the caller's transaction, its body sealed under ``key`` (MAIL_KEY); returns its Message-ID.

    The Message-ID (in the domain of ``sender``, MAIL_FROM) is stored with the
    row, so every retry re-sends the same one and a reply can be traced to it;
    a ticket's later mails answer the first one queued for it.
    """
    message_id = new_message_id(sender)
    conn.execute(db.mail.insert().values(
        kind=mail.kind, lang=mail.lang, to_addr=mail.to, subject=mail.subject, body=sealing.seal(key, mail.body),
        sealed=1, ticket_id=mail.ticket_id, message_id=message_id, in_reply_to=_thread_root(conn, mail.ticket_id),
        created_at=now, retry_from=now, next_attempt_at=now, attempts=0,
    ))
    return message_id


def new_message_id(sender: str) -> str:
    """A unique Message-ID in the domain of the ``sender`` address (MAIL_FROM), as mail servers expect.

    ``make_msgid`` alone draws from the ``random`` module, which a seeded process (a test
    framework, a library) repeats: 16 bytes from ``secrets`` keep two mails apart regardless.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return make_msgid(idstring=secrets.token_hex(16), domain=domain)


def _thread_root(conn, ticket_id: int | None) -> str | None:
    """The Message-ID of the ticket's first mail (its confirmation), which all its later mails answer."""
    if ticket_id is None:
        return None
    first = (select(db.mail.c.message_id).where((db.mail.c.ticket_id == ticket_id) & db.mail.c.message_id.is_not(None))
             .order_by(db.mail.c.id).limit(1))
    return conn.execute(first).scalar()


def reply_template(config) -> str:
    """The Reply-To of a ticket's mails, ``{number}`` standing for the ticket.

    MAIL_REPLY_TO as given; empty, MAIL_FROM's address plus-addressed
    (``Procuree <procuree+{number}@host>``), which most mail servers deliver
    to ``procuree@host`` with the ticket kept in the address.
    """
    if config["MAIL_REPLY_TO"]:
        return config["MAIL_REPLY_TO"]
    name, address = parseaddr(config["MAIL_FROM"])
    local, _, domain = address.rpartition("@")
    return formataddr((name, f"{local}+{{number}}@{domain}"))


def reply_to(config, number: str) -> str:
    """The address a supplier's reply to ticket ``number`` goes to (with its display name)."""
    return reply_template(config).replace("{number}", number)


def reply_address(config, number: str) -> str:
    """The bare address of ``reply_to``, as a mailto: link needs it."""
    return parseaddr(reply_to(config, number))[1]


def check_reply_to(config) -> None:
    """Stop the start on a MAIL_REPLY_TO (or the MAIL_FROM it derives from) that gives no address, not at the first mail."""
    given = config["MAIL_REPLY_TO"] or config["MAIL_FROM"]
    local, at, domain = parseaddr(given.replace("{number}", "CS0000000"))[1].rpartition("@")
    if not (local and at and domain):
        raise ValueError(f"MAIL_REPLY_TO {config['MAIL_REPLY_TO']!r} (or MAIL_FROM {config['MAIL_FROM']!r}) "
                         "gives no address such as support+{number}@example.com")


def body_of(row, key: str) -> str:
    """The text of a mail row: opened when sealed, as stored when an older version wrote it, "" once sent."""
    if not row.body or not row.sealed:
        return row.body
    return sealing.unseal(key, row.body)


def send_due(engine: Engine, config, now: dt.datetime | None = None, clock: Clock | None = None) -> int:
    """Send (or, without SMTP, keep and log) every due message; returns how many were handled.

    Batch after batch until none is due or OUTBOX_ROUND_SECONDS are spent, one-time
    codes first (they expire in minutes, with a supplier waiting at the screen).
    ``now`` freezes the clock (tests); by default it runs, so a retry counts from the attempt's end.
    """
    clock = clock_for(now, clock)
    start, budget = clock(), dt.timedelta(seconds=float(config["OUTBOX_ROUND_SECONDS"]))
    handled = 0
    while clock() - start < budget:
        done = _send_batch(engine, config, clock)
        if not done:
            break
        handled += done
    return handled


def _send_batch(engine: Engine, config, clock: Clock) -> int:
    """Claim up to 10 due mails and send or keep them; returns how many were claimed."""
    pending = db.mail.c.sent_at.is_(None) & db.mail.c.kept_at.is_(None)
    codes_first = case((db.mail.c.kind == "session_code", 0), else_=1)
    # 10 mails with a 30 s SMTP timeout each fit inside the default 300 s lease
    token, rows = db.claim_due(engine, db.mail, pending, clock(), lease_seconds=float(config["OUTBOX_LEASE_SECONDS"]),
                               limit=10, first=codes_first)
    if not rows:
        return 0
    if not config.get("SMTP_HOST"):
        for row in rows:
            _finish(engine, row, token, kept_at=clock())
            log.info("mail %d (%s, %s) kept in the mail table, sealed: SMTP_HOST is not set; "
                     "`python -m assistant mail pending` shows it", row.id, row.kind, row.lang)
            log.debug("mail %d to %s: %s", row.id, row.to_addr, row.subject)
        return len(rows)
    numbers = _ticket_numbers(engine, rows)
    try:
        with _smtp(config) as server:
            for row in rows:
                _send_one(engine, server, config, row, numbers.get(row.ticket_id), token, clock)
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _failed(engine, row, token, clock(), config, f"SMTP connection: {exc}")
    return len(rows)


def _ticket_numbers(engine: Engine, rows) -> dict[int, str]:
    """The number of each ticket the ``rows`` are about, for their Reply-To."""
    ids = {row.ticket_id for row in rows if row.ticket_id is not None}
    if not ids:
        return {}
    with engine.connect() as conn:
        return dict(conn.execute(select(db.tickets.c.id, db.tickets.c.number).where(db.tickets.c.id.in_(ids))).all())


def _smtp(config) -> smtplib.SMTP:
    host, port, timeout = config["SMTP_HOST"], int(config["SMTP_PORT"]), 30
    if config.get("SMTP_SSL"):
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("SMTP_STARTTLS"):
            server.starttls(context=ssl.create_default_context())
    if config.get("SMTP_USERNAME"):
        server.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
    return server


def _send_one(engine: Engine, server: smtplib.SMTP, config, row, number: str | None, token: str, clock: Clock) -> None:
    """Send one row, then erase its body; what goes wrong with it is recorded on that row, never blocks the others."""
    try:
        server.send_message(_message(config, row, number))
    except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError):
        raise  # the connection itself broke: the caller retries the whole batch
    except Exception as exc:  # a refused recipient, a malformed header, a body another key sealed, ...
        _failed(engine, row, token, clock(), config, f"{type(exc).__name__}: {exc}")
        return
    _finish(engine, row, token, sent_at=clock(), body="")  # the mailbox has it now; keep only the metadata
    log.info("mail %d (%s, %s) sent", row.id, row.kind, row.lang)


def _message(config, row, number: str | None) -> EmailMessage:
    """The email of one row: its stored Message-ID and thread, a Reply-To naming its ticket ``number``."""
    message = EmailMessage()
    message["From"], message["To"] = config["MAIL_FROM"], row.to_addr
    message["Subject"] = " ".join(row.subject.split())  # a header is one line, whatever the subject held
    if row.message_id:
        message["Message-ID"] = row.message_id
    if row.in_reply_to:
        message["In-Reply-To"] = message["References"] = row.in_reply_to
    if number:
        message["Reply-To"] = reply_to(config, number)
    message.set_content(body_of(row, config["MAIL_KEY"]))
    return message


def _failed(engine: Engine, row, token: str, now: dt.datetime, config, error: str) -> None:
    """Count a failed attempt on ``row``; ``now`` is when it ended, so the next one waits a full delay."""
    attempts = row.attempts + 1
    values = {"attempts": attempts, "last_error": error[:300],
              "next_attempt_at": now + dt.timedelta(seconds=db.retry_delay(attempts, config))}
    if now - row.retry_from >= dt.timedelta(hours=float(config["OUTBOX_GIVE_UP_HOURS"])):
        values["dead_at"] = now
    _finish(engine, row, token, **values)
    log.warning("mail %d (%s) attempt %d failed: %s", row.id, row.kind, attempts, error[:300])


def _finish(engine: Engine, row, token: str, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(db.mail).where((db.mail.c.id == row.id) & (db.mail.c.claim == token))
                     .values(claimed_until=None, claim=None, **values))


# --- what is still to be sent, for operators ------------------------------------


@dataclass(frozen=True)
class PendingMail:
    """An unsent email as ``python -m assistant mail pending`` shows it."""

    id: int
    kind: str
    lang: str
    to: str
    subject: str
    status: str  # queued, retrying, kept (no SMTP), dead
    created_at: dt.datetime
    body: str | None  # None: MAIL_KEY does not open it
    last_error: str | None = None


def pending(engine: Engine, key: str, to: str | None = None) -> list[PendingMail]:
    """Every unsent email (to ``to`` only, if given), oldest first, bodies opened with ``key``."""
    query = select(db.mail).where(db.mail.c.sent_at.is_(None)).order_by(db.mail.c.id)
    if to:
        query = query.where(db.mail.c.to_addr == to.strip().lower())
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [PendingMail(row.id, row.kind, row.lang, row.to_addr, row.subject, _status(row), row.created_at,
                        _readable(row, key), row.last_error) for row in rows]


def _status(row) -> str:
    if row.dead_at:
        return "dead"
    if row.kept_at:
        return "kept"
    return "retrying" if row.attempts else "queued"


def _readable(row, key: str) -> str | None:
    try:
        return body_of(row, key)
    except sealing.Unreadable:
        return None


def seal_clear_text(engine: Engine, key: str) -> int:
    """Seal the bodies older versions stored in clear (erase those already sent); returns how many.

    Conditional on ``sealed = 0``, so workers starting together seal each row
    once; then SQLite's checkpoint leaves the clear bytes in no file.
    """
    with engine.connect() as conn:
        rows = conn.execute(select(db.mail.c.id, db.mail.c.body, db.mail.c.sent_at).where(db.mail.c.sealed == 0)).all()
    if not rows:
        return 0
    with engine.begin() as conn:
        for row in rows:
            body = sealing.seal(key, row.body) if row.body and row.sent_at is None else ""
            conn.execute(update(db.mail).where((db.mail.c.id == row.id) & (db.mail.c.sealed == 0))
                         .values(body=body, sealed=1))
    db.checkpoint(engine)
    log.info("sealed %d mail bod(ies) stored in clear by an older version", len(rows))
    return len(rows)


def number_unsent(engine: Engine, sender: str) -> int:
    """Give a Message-ID to the unsent mails an older version queued without one; returns how many.

    Conditional on ``message_id`` still being empty, so workers starting together number each row once.
    """
    unsent = db.mail.c.sent_at.is_(None) & db.mail.c.message_id.is_(None)
    with engine.begin() as conn:
        ids = conn.execute(select(db.mail.c.id).where(unsent)).scalars().all()
        for mail_id in ids:
            conn.execute(update(db.mail).where((db.mail.c.id == mail_id) & db.mail.c.message_id.is_(None))
                         .values(message_id=new_message_id(sender)))
    return len(ids)


def init_app(app: Flask) -> None:
    """Check MAIL_KEY and MAIL_REPLY_TO, then seal what an older version left in clear and give its mails a Message-ID."""
    sealing.check_key(app.config["MAIL_KEY"])
    check_reply_to(app.config)
    seal_clear_text(app.extensions["db"], app.config["MAIL_KEY"])
    number_unsent(app.extensions["db"], app.config["MAIL_FROM"])
