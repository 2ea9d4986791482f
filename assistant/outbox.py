"""The outbox: ticket events written with the change, delivered to every hook afterwards.

``enqueue`` runs inside the ticket's transaction, so an event exists if and
only if its change was committed, even if the process dies a moment later.
``dispatch`` claims due events (an atomic conditional UPDATE, so several
workers never deliver the same one at once), calls each hook that has not
had the event yet, and on failure schedules a retry with exponential
backoff.  After OUTBOX_GIVE_UP_HOURS of failures the event becomes a dead
letter: ``python -m assistant outbox dead-letters`` shows it and
``outbox replay ID`` gives it a fresh retry window.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import Engine, or_, select, update

from . import db, hooks, webhooks
from .hooks import TicketEvent

if TYPE_CHECKING:
    from .tickets import Ticket

log = logging.getLogger(__name__)

LEASE_SECONDS = 300  # a claimed event is left alone this long, even if its worker died
BATCH = 100  # events per dispatch round at most


def enqueue(conn, type_: str, ticket: Ticket, change: dict[str, Any], now: dt.datetime) -> str:
    """Write one event for ``ticket`` in the caller's transaction; returns the event id."""
    if type_ not in hooks.EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    event = TicketEvent(
        id=str(uuid.uuid4()),
        type=type_,
        time=now.isoformat(timespec="seconds"),
        ticket=ticket.snapshot(),
        language=ticket.lang,
        country=ticket.country,
        question=ticket.question,
        articles_tried=list(ticket.articles_tried),
        change=change,
    )
    conn.execute(db.outbox.insert().values(
        event_id=event.id, type=type_, ticket_id=ticket.id, payload=event.to_dict(), done=[],
        created_at=now, retry_from=now, next_attempt_at=now, attempts=0,
    ))
    return event.id


@dataclass
class Report:
    """What one dispatch round did."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0


def dispatch(engine: Engine, registry: hooks.Registry, config, now: dt.datetime | None = None) -> Report:
    """Deliver every due event once to every hook that still needs it."""
    now = now or db.utcnow()
    report = Report()
    for _ in range(BATCH):  # one claim per event: a slow hook never outlasts another event's lease
        token, rows = db.claim_due(engine, db.outbox, db.outbox.c.delivered_at.is_(None), now, LEASE_SECONDS, limit=1)
        if not rows:
            break
        outcome = _deliver(engine, registry, config, rows[0], token, now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _deliver(engine: Engine, registry: hooks.Registry, config, row, token: str, now: dt.datetime) -> str:
    event = TicketEvent.from_dict(row.payload)
    done, errors = list(row.done), {}
    for name, hook in registry.items():
        if name in done:
            continue
        try:
            hook(event)
            done.append(name)
        except Exception as exc:  # any hook failure is retried, never lost
            errors[name] = str(exc)[:300] or exc.__class__.__name__
    values: dict[str, Any] = {"done": done, "claimed_until": None, "claim": None}
    if not errors:
        values.update(delivered_at=now, last_error=None)
        outcome = "delivered"
    else:
        attempts = row.attempts + 1
        delay = db.retry_delay(attempts, config)
        values.update(attempts=attempts, next_attempt_at=now + dt.timedelta(seconds=delay),
                      last_error="; ".join(f"{name}: {error}" for name, error in errors.items()))
        outcome = "retrying"
        if now - row.retry_from >= dt.timedelta(hours=float(config["OUTBOX_GIVE_UP_HOURS"])):
            values["dead_at"], outcome = now, "dead"
    with engine.begin() as conn:
        conn.execute(update(db.outbox).where((db.outbox.c.id == row.id) & (db.outbox.c.claim == token)).values(**values))
    _log_outcome(row, outcome, errors, values)
    return outcome


def _log_outcome(row, outcome: str, errors: dict[str, str], values: dict[str, Any]) -> None:
    if outcome == "delivered":
        log.info("event %s (%s) delivered", row.event_id, row.type)
    elif outcome == "dead":
        log.error("event %s (%s) is a dead letter after %d attempts: %s", row.event_id, row.type, values["attempts"], values["last_error"])
    else:
        log.warning("event %s (%s) attempt %d failed, next at %s: %s", row.event_id, row.type,
                    values["attempts"], values["next_attempt_at"].isoformat(timespec="seconds"), values["last_error"])


def dead_letters(engine: Engine) -> list:
    """Events that were given up on, oldest first."""
    with engine.connect() as conn:
        return conn.execute(select(db.outbox).where(db.outbox.c.dead_at.is_not(None)).order_by(db.outbox.c.id)).all()


def replay(engine: Engine, ident: str, now: dt.datetime | None = None) -> int:
    """Put a dead letter (by outbox id or event id) back in line with a fresh retry window.

    Returns how many events were replayed (0 when ``ident`` names no dead letter).
    """
    now = now or db.utcnow()
    match = db.outbox.c.event_id == ident
    if ident.isdigit():
        match = or_(match, db.outbox.c.id == int(ident))
    with engine.begin() as conn:
        result = conn.execute(
            update(db.outbox).where(match & db.outbox.c.dead_at.is_not(None)).values(
                dead_at=None, attempts=0, retry_from=now, next_attempt_at=now, claimed_until=None, claim=None
            )
        )
    return result.rowcount


def build_registry(config) -> hooks.Registry:
    """The built-in webhooks, then every installed ``assistant.escalation`` entry point."""
    registry = hooks.Registry()
    for name, hook in webhooks.from_config(config):
        registry.register(name, hook)
    registry.load_entry_points()
    return registry


def init_app(app: Flask) -> None:
    app.extensions["hooks"] = build_registry(app.config)


def dispatch_app(now: dt.datetime | None = None) -> Report:
    """One dispatch round for the current app."""
    return dispatch(db.engine(), current_app.extensions["hooks"], current_app.config, now)
