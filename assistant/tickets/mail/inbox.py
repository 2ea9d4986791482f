"""The inbox: every received email stored raw and durably before anything is done with it.

``store`` is all a receiver (the HTTP endpoint, the SMTP/LMTP listener, the
IMAP poller) does before it answers: one INSERT, committed, of the sealed
raw bytes (a reply quotes its ticket's reference code, so, like queued mail,
it is never kept in clear).  The same Message-ID twice is stored once (a
mail server retrying after a lost answer, an IMAP move that failed after
delivery).  Processing comes after, from the same rows: a message stored by a
process that died before processing it is claimed by the next processing
round of any process (``claim``, the leased claim of the other queues).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from ... import db, sealing
from .reading import message_id_of

STATES = ("received", "applied", "review", "automated", "declined", "dismissed")
VIAS = ("http", "smtp", "lmtp", "imap")


class TooLarge(ValueError):
    """A message larger than MAX_CONTENT_LENGTH: refused before it is stored."""


@dataclass(frozen=True)
class Stored:
    """What storing one message did: its row, and whether that row was already there."""

    id: int
    duplicate: bool


def dedup_key(raw: bytes) -> str:
    """The Message-ID, else (a message without one) the SHA-256 of its bytes."""
    message_id = message_id_of(raw)
    if message_id and len(message_id) <= 250:
        return "id:" + message_id
    return "sha256:" + hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()


def store(engine: Engine, config, raw: bytes, via: str, recipients: tuple[str, ...] = (),
          now: dt.datetime | None = None) -> Stored:
    """Store ``raw`` sealed, committed before this returns; the existing row for a Message-ID seen before."""
    if via not in VIAS:
        raise ValueError(f"unknown way in {via!r}")
    limit = int(config["MAX_CONTENT_LENGTH"])
    if len(raw) > limit:
        raise TooLarge(f"the message is {len(raw)} bytes; at most {limit} are accepted")
    key, now = dedup_key(raw), now or db.utcnow()
    try:
        with engine.begin() as conn:
            row_id = conn.execute(db.inbound_mail.insert().values(
                dedup_key=key, message_id=message_id_of(raw), via=via, recipients=[r.lower() for r in recipients],
                raw=sealing.seal_bytes(config["MAIL_KEY"], raw), size=len(raw), state="received",
                created_at=now, retry_from=now, next_attempt_at=now, attempts=0,
            )).inserted_primary_key[0]
        return Stored(row_id, duplicate=False)
    except IntegrityError:
        with engine.connect() as conn:
            existing = conn.execute(select(db.inbound_mail.c.id).where(db.inbound_mail.c.dedup_key == key)).scalar()
        if existing is None:
            raise
        return Stored(existing, duplicate=True)


def claim(engine: Engine, config, now: dt.datetime, ids: tuple[int, ...] | None = None, limit: int = 20):
    """Lease up to ``limit`` unprocessed messages (only ``ids``, if given); returns the token and the rows."""
    pending = db.inbound_mail.c.processed_at.is_(None)
    if ids is not None:
        pending = pending & db.inbound_mail.c.id.in_(ids)
    return db.claim_due(engine, db.inbound_mail, pending, now, float(config["OUTBOX_LEASE_SECONDS"]), limit=limit)


def raw_of(row, key: str) -> bytes:
    return sealing.unseal_bytes(key, row.raw)


def failed(engine: Engine, row, token: str, now: dt.datetime, config, error: str) -> None:
    """Count a failed processing attempt; retried with the outbox's backoff, a dead letter after OUTBOX_GIVE_UP_HOURS."""
    attempts = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": error[:300], "claimed_until": None, "claim": None,
                              "next_attempt_at": now + dt.timedelta(seconds=db.retry_delay(attempts, config))}
    if now - row.retry_from >= dt.timedelta(hours=float(config["OUTBOX_GIVE_UP_HOURS"])):
        values["dead_at"] = now
    with engine.begin() as conn:
        conn.execute(update(db.inbound_mail).where((db.inbound_mail.c.id == row.id) & (db.inbound_mail.c.claim == token))
                     .values(**values))


# --- what agents read ---------------------------------------------------------------


@dataclass(frozen=True)
class InboundMail:
    """One received email as agents see it (never the raw bytes)."""

    id: int
    received_at: dt.datetime
    via: str
    state: str
    reason: str | None
    sender: str | None
    subject: str | None
    text: str | None
    ticket_number: str | None
    action: str | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "received_at": self.received_at.isoformat(timespec="seconds"), "via": self.via,
                "state": self.state, "reason": self.reason, "from": self.sender, "subject": self.subject,
                "text": self.text, "ticket_number": self.ticket_number, "action": self.action, "error": self.error}


def _query():
    m, t = db.inbound_mail, db.tickets
    return select(m, t.c.number).select_from(m.outerjoin(t, m.c.ticket_id == t.c.id))


def _mail(row) -> InboundMail:
    return InboundMail(row.id, row.created_at, row.via, row.state, row.reason, row.from_addr, row.subject, row.text,
                       row.number, row.action, row.last_error)


def listing(engine: Engine, state: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[InboundMail], int]:
    """Received mails (in ``state`` only, if given), oldest first; and their total."""
    where = [db.inbound_mail.c.state == state] if state else []
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(db.inbound_mail).where(*where)).scalar_one()
        rows = conn.execute(_query().where(*where).order_by(db.inbound_mail.c.id).limit(limit).offset(offset))
        return [_mail(row) for row in rows], total


def get(engine: Engine, mail_id: int) -> InboundMail | None:
    with engine.connect() as conn:
        row = conn.execute(_query().where(db.inbound_mail.c.id == mail_id)).first()
    return _mail(row) if row else None


def for_ticket(engine: Engine, ticket_id: int) -> list[InboundMail]:
    """Every mail matched to one ticket, oldest first: the agents' view of its email history."""
    with engine.connect() as conn:
        rows = conn.execute(_query().where(db.inbound_mail.c.ticket_id == ticket_id).order_by(db.inbound_mail.c.id))
        return [_mail(row) for row in rows]


def settle(engine: Engine, mail_id: int, state: str, now: dt.datetime, from_states: tuple[str, ...] = ("review",),
           **values: Any) -> bool:
    """Move a reviewed mail to ``state`` (applied or dismissed by an agent); False if it was no longer waiting."""
    with engine.begin() as conn:
        changed = conn.execute(update(db.inbound_mail).where(
            (db.inbound_mail.c.id == mail_id) & db.inbound_mail.c.state.in_(from_states)
        ).values(state=state, processed_at=now, **values))
    return changed.rowcount == 1
