"""The ticket store: creates, reads and changes tickets, the only code that writes their tables.

Every change is one transaction that updates the ticket, appends a history
entry (actor and time), writes the outbox event(s) for the escalation hooks
and queues the supplier's email: a crash leaves all of them or none.  A
status change is a conditional UPDATE (``WHERE status = <the status we
read>``), so two agents, or an agent and the auto-close, cannot both win.
"""
from __future__ import annotations

import datetime as dt
import hmac
import logging
from dataclasses import asdict, dataclass
from collections.abc import Callable
from typing import Any
from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import db, sealing
from ..config import DEFAULTS, as_list
from ..errors import ApiError
from . import business_days, outbox
from .lifecycle import ACTIONS, PRIORITIES, Action, target
from .mail import outgoing as notifications
from .model import NO_TICKET, Attachment, HistoryEntry, NewTicket, Ticket, hash_reference, new_number, new_reference

log = logging.getLogger(__name__)

AUTO_ANSWERS = ("closed_reply", "reject_comment_needed")  # mails sent in answer to a mail, never to a person's action


@dataclass(frozen=True)
class Settings:
    """What the store needs from the configuration: links, signing key, the key sealing mail, the auto-close rule, the sender."""

    public_url: str
    secret_key: str
    mail_key: str
    autoclose_days: int = 4
    holidays: frozenset[dt.date] = frozenset()
    timezone: str = "UTC"
    mail_from: str = DEFAULTS["MAIL_FROM"]  # the domain of the mails' Message-IDs
    reply_template: str = "procuree+{number}@localhost"  # where a ticket's replies go (mail.outgoing.reply_template)
    auto_answer_minutes: float = 60  # at most one automatic answer per address and ticket in this time

    @classmethod
    def from_config(cls, config) -> Settings:
        """Settings checked at start-up: a misspelt time zone stops the server instead of auto-close."""
        zone = config["BUSINESS_TIMEZONE"]
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"BUSINESS_TIMEZONE {zone!r} is not an IANA time zone such as Europe/Paris") from None
        return cls(config["PUBLIC_URL"], config["SECRET_KEY"], config["MAIL_KEY"], int(config["AUTOCLOSE_BUSINESS_DAYS"]),
                   business_days.parse_holidays(as_list(config["HOLIDAYS"])), zone, config["MAIL_FROM"],
                   notifications.reply_template(config), float(config["AUTO_ANSWER_MINUTES"]))

    def reply_address(self, number: str) -> str:
        """The bare address a reply about ticket ``number`` goes to."""
        return parseaddr(self.reply_template.replace("{number}", number))[1]


class TicketStore:
    """Creates, reads and changes tickets; the only code that writes the ticket tables."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine, self.settings = engine, settings

    # --- creating ------------------------------------------------------------

    def create(self, new: NewTicket, files=(), actor: str = "supplier",
               now: dt.datetime | None = None) -> tuple[Ticket, str]:
        """A new ticket with its files; returns it and its reference code (shown only this once)."""
        now, reference = now or db.utcnow(), new_reference()
        for _ in range(20):  # a number collision is rare; the unique index catches it
            try:
                with self.engine.begin() as conn:
                    ticket_id = self._insert(conn, new, new_number(), reference, now)
                    _insert_files(conn, ticket_id, files, now)
                    ticket = self._load(conn, ticket_id)
                    self._record(conn, ticket, "created", actor, None, None, now, ("created",))
                    mail = notifications.ticket_mail("created", ticket, days=self.settings.autoclose_days,
                                                     reference=reference)
                    notifications.queue(conn, mail, now, self.settings.mail_key, self.settings.mail_from)
                return self.get(ticket.number), reference
            except IntegrityError as exc:
                if "number" not in str(exc.orig).lower():
                    raise
                log.info("ticket number collision, drawing another")
        raise RuntimeError("could not draw a free ticket number")

    def _insert(self, conn, new: NewTicket, number: str, reference: str, now: dt.datetime) -> int:
        values = {k: v for k, v in asdict(new).items() if k not in ("invoice_numbers", "po_numbers")}
        values.update(
            number=number, key_hash=hash_reference(reference), priority="normal", status="new",
            reference_sealed=sealing.seal(self.settings.mail_key, reference),
            refs={"invoice_numbers": list(new.invoice_numbers), "po_numbers": list(new.po_numbers)},
            articles_tried=list(new.articles_tried), created_at=now, updated_at=now,
        )
        return conn.execute(db.tickets.insert().values(**values)).inserted_primary_key[0]

    # --- reading -------------------------------------------------------------

    def get(self, number: str) -> Ticket | None:
        """The ticket with its attachments and history, or None (no access check: callers decide)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(db.tickets.c.id).where(db.tickets.c.number == number)).first()
            return self._load(conn, row.id, history=True) if row else None

    def find(self, number: str, reference: str | None) -> Ticket | None:
        """The ticket only if ``reference`` is its code; same work whether or not the number exists."""
        with self.engine.connect() as conn:
            row = conn.execute(select(db.tickets.c.id, db.tickets.c.key_hash)
                               .where(db.tickets.c.number == number)).first()
            given = hash_reference(reference or "")
            matches = hmac.compare_digest(given, row.key_hash if row else NO_TICKET)
            return self._load(conn, row.id, history=True) if row and matches and reference else None

    def recent_for(self, email: str, limit: int = 5) -> list[Ticket]:
        """The newest tickets raised from ``email``, newest first."""
        query = (select(db.tickets).where(db.tickets.c.email == email)
                 .order_by(db.tickets.c.created_at.desc(), db.tickets.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [_ticket(row) for row in conn.execute(query)]

    def created_since(self, email: str, since: dt.datetime) -> int:
        """How many tickets ``email`` raised since ``since`` (for the per-address cap)."""
        query = select(func.count()).select_from(db.tickets).where(
            (db.tickets.c.email == email) & (db.tickets.c.created_at >= since)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def search(self, status: str | None = None, priority: str | None = None, email: str | None = None,
               text: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Ticket], int]:
        """Tickets matching every given filter, business-critical first, then oldest first; and the total."""
        t = db.tickets
        where = []
        if status:  # "active" means every status but closed
            where.append(t.c.status != "closed" if status == "active" else t.c.status == status)
        if priority:
            where.append(t.c.priority == priority)
        if email:
            where.append(t.c.email == email)
        if text:
            where.append(or_(t.c.subject.icontains(text, autoescape=True), t.c.number == text.upper()))
        rank = case({p: i for i, p in enumerate(PRIORITIES)}, value=t.c.priority, else_=len(PRIORITIES))
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(t).where(*where)).scalar_one()
            rows = conn.execute(select(t).where(*where).order_by(rank, t.c.created_at, t.c.id).limit(limit).offset(offset))
            return [_ticket(row) for row in rows], total

    def _load(self, conn, ticket_id: int, history: bool = False) -> Ticket:
        row = conn.execute(select(db.tickets).where(db.tickets.c.id == ticket_id)).one()
        files = tuple(Attachment(r.id, r.filename, r.kind, r.content_type, r.size, r.sha256, r.stored_name)
                      for r in conn.execute(select(db.attachments).where(db.attachments.c.ticket_id == ticket_id)
                                            .order_by(db.attachments.c.id)))
        entries = ()
        if history:
            h = db.ticket_history
            entries = tuple(HistoryEntry(r.kind, r.actor, r.at, r.status_from, r.status_to, r.message, r.via)
                            for r in conn.execute(select(h).where(h.c.ticket_id == ticket_id).order_by(h.c.id)))
        return _ticket(row, files, entries)

    # --- changing ------------------------------------------------------------

    def apply(self, number: str, action_name: str, actor: str | None = None, message: str | None = None,
              priority: str | None = None, files=(), now: dt.datetime | None = None,
              proposal: dt.datetime | None = None, via: str | None = None,
              within: Callable[[Connection], None] | None = None) -> Ticket:
        """Do ``action_name`` to the ticket; 404 if it does not exist, 409 if its status forbids it.

        ``proposal``, when given, must still be the ticket's solution_proposed_at
        (auto-close and a decision by mail act on the proposal they checked, never
        on a newer one).  ``via`` ("email") is recorded with the change; ``within(conn)``
        runs in the change's transaction (an inbound mail is settled with the reply it carries).
        """
        action, now = ACTIONS[action_name], now or db.utcnow()
        if action.name == "set_priority" and priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        for _ in range(5):
            ticket = self.get(number)
            if ticket is None:
                raise ApiError(404, f"No ticket {number}.")
            if proposal is not None and ticket.solution_proposed_at != proposal:
                raise ApiError(409, f"Ticket {number} has a newer proposed solution.", "stale_proposal")
            status = target(action, ticket)
            with self.engine.begin() as conn:
                if not self._move(conn, ticket, action, status, priority, now):
                    continue  # changed under us: read it again and re-check
                _insert_files(conn, ticket.id, files, now)
                after = self._load(conn, ticket.id)
                self._record(conn, after, action.name, actor or action.actor, ticket.status, message, now,
                             action.events, via)
                self._notify(conn, after, action, message, now)
                if within is not None:
                    within(conn)
            return self.get(number)
        raise ApiError(409, f"Ticket {number} is changing right now; please try again.")

    def _move(self, conn, ticket: Ticket, action: Action, target: str, priority: str | None, now: dt.datetime) -> bool:
        values: dict[str, Any] = {"status": target, "updated_at": now}
        if action.name == "set_priority":
            values["priority"] = priority
        if target == "solution_proposed":
            values["solution_proposed_at"] = now
        if target == "closed":
            values.update(closed_at=now, resolution=action.resolution)
        changed = conn.execute(update(db.tickets).where(
            (db.tickets.c.id == ticket.id) & (db.tickets.c.status == ticket.status)
            & (db.tickets.c.updated_at == ticket.updated_at)
        ).values(**values))
        return changed.rowcount == 1

    def _record(self, conn, ticket: Ticket, kind: str, actor: str, before: str | None, message: str | None,
                now: dt.datetime, events: tuple[str, ...], via: str | None = None) -> None:
        conn.execute(db.ticket_history.insert().values(
            ticket_id=ticket.id, kind=kind, actor=actor, status_from=before, status_to=ticket.status,
            message=message, at=now, via=via,
        ))
        change = {"action": kind, "actor": actor, "from": before, "to": ticket.status, "message": message, "via": via}
        for event_type in events:
            outbox.enqueue(conn, event_type, ticket, change, now)

    def _notify(self, conn, ticket: Ticket, action: Action, message: str | None, now: dt.datetime) -> None:
        if action.mail:
            self._mail(conn, action.mail, ticket, now, message)

    def _mail(self, conn, kind: str, ticket: Ticket, now: dt.datetime, message: str | None = None) -> None:
        """Queue the ``kind`` mail about ``ticket``, with its number, code and (where they belong) decision links."""
        s, reference = self.settings, self._reference(conn, ticket.id)
        links = notifications.decision_links(s.public_url, s.secret_key, ticket, s.reply_address(ticket.number),
                                             reference) if ticket.status == "solution_proposed" else None
        mail = notifications.ticket_mail(kind, ticket, days=s.autoclose_days, reference=reference, message=message,
                                         links=links)
        notifications.queue(conn, mail, now, s.mail_key, s.mail_from)

    def _reference(self, conn, ticket_id: int) -> str | None:
        """The ticket's reference code, unsealed; None for a ticket older than sealed codes or sealed under another key."""
        sealed = conn.execute(select(db.tickets.c.reference_sealed).where(db.tickets.c.id == ticket_id)).scalar()
        try:
            return sealing.unseal(self.settings.mail_key, sealed) if sealed else None
        except sealing.Unreadable:
            log.warning("ticket %d: its reference code is sealed under another MAIL_KEY; its mails go without it", ticket_id)
            return None

    def answer_automatically(self, ticket: Ticket, kind: str, now: dt.datetime | None = None) -> bool:
        """Queue the automatic answer ``kind`` to a mail about ``ticket``, unless its address had one about it lately.

        Only ever to the ticket's own address (never to a sender who may be
        forged), and at most one per address and ticket in AUTO_ANSWER_MINUTES, whatever
        its kind: if the other side is a robot that slipped past the
        auto-reply checks, two programs still cannot keep answering each other.
        """
        now = now or db.utcnow()
        since = now - dt.timedelta(minutes=self.settings.auto_answer_minutes)
        m = db.mail.c
        with self.engine.begin() as conn:
            recent = conn.execute(select(func.count()).select_from(db.mail).where(
                (m.ticket_id == ticket.id) & (m.to_addr == ticket.email) & m.kind.in_(AUTO_ANSWERS) & (m.created_at >= since)
            )).scalar_one()
            if recent:
                return False
            self._mail(conn, kind, ticket, now)
        return True

    # --- auto-close ----------------------------------------------------------

    def deadline(self, ticket: Ticket) -> dt.datetime | None:
        """When the proposed solution on ``ticket`` closes by itself (None if none is proposed)."""
        if ticket.status != "solution_proposed" or ticket.solution_proposed_at is None:
            return None
        s = self.settings
        return business_days.autoclose_deadline(ticket.solution_proposed_at, s.autoclose_days, s.holidays, s.timezone)

    def autoclose(self, now: dt.datetime | None = None) -> list[str]:
        """Close every ticket whose proposed solution outlived its deadline; idempotent. Returns their numbers."""
        now = now or db.utcnow()
        with self.engine.connect() as conn:
            rows = conn.execute(select(db.tickets).where(
                (db.tickets.c.status == "solution_proposed") & (db.tickets.c.solution_proposed_at <= now)
            )).all()
        closed = []
        for ticket in map(_ticket, rows):
            if now < self.deadline(ticket):
                continue
            try:
                self.apply(ticket.number, "auto_close", now=now, proposal=ticket.solution_proposed_at)
                closed.append(ticket.number)
            except ApiError:  # accepted, rejected or closed meanwhile: nothing to do
                continue
        if closed:
            log.info("auto-closed %d ticket(s)", len(closed))
        return closed


def _insert_files(conn, ticket_id: int, files, now: dt.datetime) -> None:
    for f in files:
        conn.execute(db.attachments.insert().values(
            ticket_id=ticket_id, filename=f.filename, stored_name=f.stored_name, kind=f.kind,
            content_type=f.content_type, size=f.size, sha256=f.sha256, created_at=now,
        ))


def _ticket(row, files: tuple[Attachment, ...] = (), history: tuple[HistoryEntry, ...] = ()) -> Ticket:
    data = {name: getattr(row, name) for name in Ticket.__dataclass_fields__ if name in row._fields}
    data.update(references=row.refs, articles_tried=tuple(row.articles_tried or ()), attachments=files, history=history)
    return Ticket(**data)


def init_app(app: Flask) -> None:
    app.extensions["tickets"] = TicketStore(app.extensions["db"], Settings.from_config(app.config))


def store() -> TicketStore:
    """The current app's ticket store."""
    return current_app.extensions["tickets"]
