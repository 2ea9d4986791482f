"""Mail in: what a stored email does to its ticket, as the seed's process describes.

A supplier's reply (its new text, without quotes and signature) becomes the
supplier's reply on the ticket (``info_requested`` -> ``open``), with its
files; an accept or reject sent from a solution mail's mailto link acts like
the web page (a reject needs its comment); a reply to a closed ticket changes
nothing and gets, once an hour at most, a short mail saying so and how to
open a new ticket.  A robot's mail (auto-reply, out-of-office, bounce) is
recorded and never answered.  Anything that cannot be trusted to change the
ticket (no code, another sender, no ticket named) waits in the review list
for an agent, with the reason.

The inbound row is settled in the same transaction as the ticket change, so
a crash leaves both or neither: a message is applied once, however many
times it is stored, claimed or retried.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import update
from werkzeug.datastructures import FileStorage

from ... import db
from ...errors import ApiError
from .. import attachments
from ..model import Ticket
from ..store import TicketStore
from . import inbox, matching, replies
from .outgoing import text as message_text
from .reading import Received, read

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What processing one mail did; ``state`` is one of inbox.STATES."""

    state: str
    reason: str | None = None
    ticket: Ticket | None = None
    action: str | None = None
    text: str | None = None
    refused_files: str | None = None


@dataclass(frozen=True)
class Context:
    """What processing needs of the app: the ticket store, the decision key, where files go and their limits."""

    store: TicketStore
    secret_key: str
    files_folder: object
    max_files: int
    max_file_bytes: int

    @classmethod
    def of(cls, app: Flask) -> Context:
        config = app.config
        return cls(app.extensions["tickets"], config["SECRET_KEY"], attachments.folder(app.instance_path),
                   int(config["ATTACHMENTS_MAX_FILES"]), int(config["ATTACHMENT_MAX_BYTES"]))


def process_due(app: Flask, ids: tuple[int, ...] | None = None, now: dt.datetime | None = None) -> int:
    """Process every stored, unprocessed mail (only ``ids``, if given); returns how many were settled.

    Each is claimed with a lease first, so two processes (an HTTP worker
    answering its own request, the inbound lane of another replica) never
    process the same mail; one that fails is retried with backoff.
    """
    engine, context, done = app.extensions["db"], Context.of(app), 0
    while True:
        clock = now or db.utcnow()
        token, rows = inbox.claim(app.extensions["db"], app.config, clock, ids)
        if not rows:
            return done
        for row in rows:
            try:
                _process_row(engine, context, app.config, row, token, clock)
                done += 1
            except Exception as exc:  # a bug or an outage: the mail stays, sealed, and is retried
                log.exception("inbound mail %d could not be processed", row.id)
                inbox.failed(engine, row, token, db.utcnow(), app.config, f"{type(exc).__name__}: {exc}")
        if ids is not None:
            return done


def _process_row(engine, context: Context, config, row, token: str, now: dt.datetime) -> None:
    received = read(inbox.raw_of(row, config["MAIL_KEY"]))
    addresses = matching.address_pattern(context.store.settings.reply_template)
    number = matching.named_number(engine, received, tuple(row.recipients or ()), addresses)
    if received.automated == "bounce" and not number:
        number = matching.number_of_thread(engine, received.bounced_ids)

    def settle(conn, outcome: Outcome) -> None:
        key_hash = _key_hash(context, outcome.ticket) if outcome.ticket else None
        changed = conn.execute(update(db.inbound_mail).where(
            (db.inbound_mail.c.id == row.id) & (db.inbound_mail.c.claim == token)
        ).values(
            state=outcome.state, reason=outcome.reason, ticket_id=outcome.ticket.id if outcome.ticket else None,
            action=outcome.action, text=matching.blank_codes(outcome.text, key_hash),
            from_addr=received.sender[:254] or None, subject=matching.blank_codes(received.subject, key_hash),
            last_error=outcome.refused_files,
            processed_at=now, claimed_until=None, claim=None,
        ))
        if changed.rowcount != 1:  # our lease ran out and another process has the mail: undo, it decides
            raise LeaseLost(f"inbound mail {row.id} was claimed by another process")

    outcome = decide(context, received, number, now, settle)
    log.info("inbound mail %d (%s): %s%s%s", row.id, row.via, outcome.state,
             f" ({outcome.reason})" if outcome.reason else "", f" on {outcome.ticket.number}" if outcome.ticket else "")


class LeaseLost(RuntimeError):
    """Another process claimed the mail while this one worked on it; this one's changes are rolled back."""


Settle = Callable[[object, Outcome], None]


def decide(context: Context, received: Received, number: str | None, now: dt.datetime, settle: Settle) -> Outcome:
    """Work out and carry out what ``received`` does; ``settle(conn, outcome)`` records it in the same transaction."""
    ticket = context.store.get(number) if number else None
    if received.automated:
        return _record(context, settle, Outcome("automated", received.automated, ticket))
    if ticket is None:
        return _record(context, settle, Outcome("review", "unknown_ticket" if number else "no_ticket",
                                                text=replies.new_text(received.text)))
    decision = matching.decision_in(received.text, context.secret_key, ticket.number)
    if refusal := _untrusted(context, received, ticket, decision):
        return _record(context, settle, Outcome("review", refusal, ticket, text=replies.new_text(received.text)))
    if ticket.status == "closed":
        context.store.answer_automatically(ticket, "closed_reply", now)
        return _record(context, settle, Outcome("declined", "ticket_closed", ticket, text=replies.new_text(received.text)))
    if decision is not None:
        return _decide_solution(context, received, ticket, decision, now, settle)
    return _reply(context, received, ticket, now, settle)


def _untrusted(context: Context, received: Received, ticket: Ticket, decision: matching.Decision | None) -> str | None:
    """Why the mail may not change ``ticket``, or None: the sender must be the ticket's, with its code (or a decision)."""
    if received.sender != ticket.email.lower():
        return "sender_not_ticket_address"
    if decision is None and not matching.has_code(f"{received.subject}\n{received.searchable}", _key_hash(context, ticket)):
        return "no_reference_code"
    return None


def _key_hash(context: Context, ticket: Ticket) -> str:
    with context.store.engine.connect() as conn:
        return conn.execute(db.tickets.select().with_only_columns(db.tickets.c.key_hash)
                            .where(db.tickets.c.id == ticket.id)).scalar_one()


def _decide_solution(context: Context, received: Received, ticket: Ticket, decision: matching.Decision,
                     now: dt.datetime, settle: Settle) -> Outcome:
    """An accept or reject by mail: only on the proposal it was sent for; a reject only with its comment."""
    proposal = ticket.solution_proposed_at
    if ticket.status != "solution_proposed" or proposal is None or proposal.isoformat() != decision.proposed_at:
        return _record(context, settle, Outcome("declined", "stale_decision", ticket, decision.action))
    comment = matching.without_prepared_lines(replies.new_text(received.text), *_prepared_lines(ticket))
    if decision.action == "reject" and not comment:
        context.store.answer_automatically(ticket, "reject_comment_needed", now)
        return _record(context, settle, Outcome("declined", "reject_without_comment", ticket, "reject"))
    outcome = Outcome("applied", None, ticket, decision.action, comment or None)
    return _apply(context, outcome, now, settle, files=(), proposal=proposal)


def _prepared_lines(ticket: Ticket) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a solution mail's mailto bodies put in the supplier's mail, in the ticket's language:
    whole lines (the prompts), and the labels of the footer's lines ("Reference code: …")."""
    lang = ticket.lang
    footer = message_text(lang, "ticket_footer", number="{}", reference="{}").splitlines()
    labels = tuple(line.split("{}", 1)[0].strip() for line in footer)
    return (message_text(lang, "mailto.accept_body"), message_text(lang, "mailto.reject_body")), labels


def _reply(context: Context, received: Received, ticket: Ticket, now: dt.datetime, settle: Settle) -> Outcome:
    new = replies.new_text(received.text)
    if ticket.status == "solution_proposed":
        return _record(context, settle, Outcome("review", "awaiting_decision", ticket, text=new))
    if not new and not received.files:
        return _record(context, settle, Outcome("declined", "nothing_new", ticket))
    files, refused = _store_files(context, received)
    outcome = Outcome("applied", None, ticket, "reply", new or None, refused)
    try:
        return _apply(context, outcome, now, settle, files=files)
    except BaseException:
        attachments.discard(files, context.files_folder)
        raise


def _apply(context: Context, outcome: Outcome, now: dt.datetime, settle: Settle, files, proposal=None) -> Outcome:
    """Apply the outcome's action to its ticket, settling the mail in the same transaction; review if the ticket moved."""
    try:
        message = matching.blank_codes(outcome.text, _key_hash(context, outcome.ticket))
        context.store.apply(outcome.ticket.number, outcome.action, message=message,
                            files=files, now=now, proposal=proposal, via="email",
                            within=lambda conn: settle(conn, outcome))
    except ApiError as error:  # the status changed between reading and applying: an agent decides
        if files:
            attachments.discard(files, context.files_folder)
        return _record(context, settle, Outcome("review", error.code[:40], outcome.ticket,
                                                outcome.action, outcome.text))
    return outcome


def _record(context: Context, settle: Settle, outcome: Outcome) -> Outcome:
    with context.store.engine.begin() as conn:
        settle(conn, outcome)
    return outcome


def _store_files(context: Context, received: Received) -> tuple[list, str | None]:
    """The attached files that pass the API's checks, stored; and what was refused, for the agent."""
    stored, refused = [], []
    for i, file in enumerate(received.files):
        if i >= context.max_files:
            refused.append(f"{file.filename}: more than {context.max_files} files")
            continue
        upload = FileStorage(io.BytesIO(file.data), filename=file.filename, content_type=file.content_type)
        try:
            stored += attachments.store([upload], context.files_folder, 1, context.max_file_bytes)
        except ApiError as error:
            refused.append(error.message)
    return stored, "; ".join(refused)[:1000] or None


# --- what agents do with the review list --------------------------------------------


def apply_reviewed(app: Flask, mail_id: int, number: str, agent: str | None = None,
                   now: dt.datetime | None = None) -> Outcome:
    """An agent vouches for a mail in the review list: its new text (and files) become the reply on ``number``.

    404 for an unknown mail or ticket, 409 when the mail no longer waits for
    review or the ticket's status allows no reply.
    """
    engine, context, now = app.extensions["db"], Context.of(app), now or db.utcnow()
    row = _review_row(engine, mail_id)
    ticket = context.store.get(number)
    if ticket is None:
        raise ApiError(404, f"No ticket {number}.")
    received = read(inbox.raw_of(row, app.config["MAIL_KEY"]))
    files, refused = _store_files(context, received)
    text = matching.blank_codes(replies.new_text(received.text), _key_hash(context, ticket))
    outcome = Outcome("applied", f"applied by {agent or 'an agent'}"[:40], ticket, "reply", text or None, refused)

    def settle(conn, _outcome: Outcome) -> None:
        changed = conn.execute(update(db.inbound_mail).where(
            (db.inbound_mail.c.id == mail_id) & (db.inbound_mail.c.state == "review")
        ).values(state="applied", reason=outcome.reason, ticket_id=ticket.id, action="reply",
                 text=outcome.text, processed_at=now))
        if changed.rowcount != 1:
            raise ApiError(409, f"Mail {mail_id} no longer waits for review.", "not_in_review")

    try:
        context.store.apply(ticket.number, "reply", message=outcome.text, files=files, now=now,
                            via="email", within=lambda conn: settle(conn, outcome))
    except BaseException:
        attachments.discard(files, context.files_folder)
        raise
    return outcome


def dismiss(app: Flask, mail_id: int, agent: str | None = None, now: dt.datetime | None = None) -> None:
    """Take a mail off the review list without changing any ticket (spam, a duplicate, handled elsewhere)."""
    engine = app.extensions["db"]
    _review_row(engine, mail_id)
    if not inbox.settle(engine, mail_id, "dismissed", now or db.utcnow(), reason=f"dismissed by {agent or 'an agent'}"[:40]):
        raise ApiError(409, f"Mail {mail_id} no longer waits for review.", "not_in_review")


def _review_row(engine, mail_id: int):
    with engine.connect() as conn:
        row = conn.execute(db.inbound_mail.select().where(db.inbound_mail.c.id == mail_id)).first()
    if row is None:
        raise ApiError(404, f"No received mail {mail_id}.")
    if row.state != "review":
        raise ApiError(409, f"Mail {mail_id} is {row.state}, not waiting for review.", "not_in_review")
    return row
