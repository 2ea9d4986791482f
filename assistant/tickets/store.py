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
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app
from sqlalchemy import Engine, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import db
from ..config import DEFAULTS, as_list
from ..errors import ApiError
from . import business_days, outbox
from .lifecycle import ACTIONS, PRIORITIES, Action, target
from .mail import outgoing as notifications
from .model import NO_TICKET, Attachment, HistoryEntry, NewTicket, Ticket, hash_reference, new_number, new_reference

log = logging.getLogger(__name__)


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

    @classmethod
    def from_config(cls, config) -> Settings:
        """Settings checked at start-up: a misspelt time zone stops the server instead of auto-close."""
        zone = config["BUSINESS_TIMEZONE"]
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"BUSINESS_TIMEZONE {zone!r} is not an IANA time zone such as Europe/Paris") from None
        return cls(config["PUBLIC_URL"], config["SECRET_KEY"], config["MAIL_KEY"], int(config["AUTOCLOSE_BUSINESS_DAYS"]),
                   business_days.parse_holidays(as_list(config["HOLIDAYS"])), zone, config["MAIL_FROM"])


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
            entries = tuple(HistoryEntry(r.kind, r.actor, r.at, r.status_from, r.status_to, r.message)
                            for r in conn.execute(select(h).where(h.c.ticket_id == ticket_id).order_by(h.c.id)))
        return _ticket(row, files, entries)

    # --- changing ------------------------------------------------------------

    def apply(self, number: str, action_name: str, actor: str | None = None, message: str | None = None,
              priority: str | None = None, files=(), now: dt.datetime | None = None,
              proposal: dt.datetime | None = None) -> Ticket:
        """Do ``action_name`` to the ticket; 404 if it does not exist, 409 if its status forbids it.

        ``proposal``, when given, must still be the ticket's solution_proposed_at
        (auto-close acts on the proposal it checked, never on a newer one).
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
                self._record(conn, after, action.name, actor or action.actor, ticket.status, message, now, action.events)
                self._notify(conn, after, action, message, now)
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
                now: dt.datetime, events: tuple[str, ...]) -> None:
        conn.execute(db.ticket_history.insert().values(
            ticket_id=ticket.id, kind=kind, actor=actor, status_from=before, status_to=ticket.status,
            message=message, at=now,
        ))
        change = {"action": kind, "actor": actor, "from": before, "to": ticket.status, "message": message}
        for event_type in events:
            outbox.enqueue(conn, event_type, ticket, change, now)

    def _notify(self, conn, ticket: Ticket, action: Action, message: str | None, now: dt.datetime) -> None:
        if not action.mail:
            return
        links = None
        if action.mail == "solution_proposed":
            links = notifications.decision_links(self.settings.public_url, self.settings.secret_key, ticket)
        mail = notifications.ticket_mail(action.mail, ticket, days=self.settings.autoclose_days, message=message, links=links)
        notifications.queue(conn, mail, now, self.settings.mail_key, self.settings.mail_from)

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
