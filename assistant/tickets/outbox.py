"""The outbox: ticket events written with the change, delivered to every hook afterwards.

``enqueue`` runs inside the ticket's transaction, so an event exists if and
only if its change was committed, even if the process dies a moment later.
``dispatch`` claims due events with a lease of OUTBOX_LEASE_SECONDS
(``db.claim_due``: several workers and replicas never deliver the same one at
once, and one that died mid-delivery leaves it to the others), calls each hook that has not
had the event yet, and on failure schedules a retry with exponential
backoff counted from the end of the attempt.  A round claims no event
after OUTBOX_ROUND_SECONDS and skips a hook for its rest once it timed out,
so a receiver that accepts connections and never answers costs the other
events one timeout per round, not one per event (and mail, in its own
lane, nothing).  After OUTBOX_GIVE_UP_HOURS of failures the event becomes a
dead letter: ``python -m assistant outbox dead-letters`` shows it and
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

from .. import db
from . import hooks, webhooks
from ..clock import Clock, clock_for
from .hooks import TicketEvent

if TYPE_CHECKING:
    from .model import Ticket

log = logging.getLogger(__name__)

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
    skipped: int = 0  # only hooks that timed out earlier in the round were left: not attempted


def dispatch(engine: Engine, registry: hooks.Registry, config, now: dt.datetime | None = None,
             clock: Clock | None = None) -> Report:
    """Deliver due events to every hook that still needs them, for at most OUTBOX_ROUND_SECONDS.

    One claim per event, so a slow hook never outlasts another event's lease.
    A hook that timed out is skipped for the rest of the round (its other
    events wait, unattempted, for the next round), and no event is claimed
    after the budget is spent: a hanging receiver costs a round one timeout,
    not one per event.  ``now`` freezes the round's clock (tests, cron
    replays); by default it runs, so a retry counts from the attempt's end.
    """
    clock = clock_for(now, clock)
    start, budget = clock(), dt.timedelta(seconds=float(config["OUTBOX_ROUND_SECONDS"]))
    report, seen, stalled = Report(), [], set()
    while len(seen) < BATCH and clock() - start < budget:
        pending = db.outbox.c.delivered_at.is_(None) & db.outbox.c.id.not_in(seen)
        token, rows = db.claim_due(engine, db.outbox, pending, clock(), float(config["OUTBOX_LEASE_SECONDS"]), limit=1)
        if not rows:
            break
        seen.append(rows[0].id)  # skipped events stay due: never claim one twice in a round
        outcome = _deliver(engine, registry, config, rows[0], token, clock, stalled)
        setattr(report, outcome, getattr(report, outcome) + 1)
    if report.skipped:
        log.info("%d event(s) wait for the next round: %s timed out in this one",
                 report.skipped, ", ".join(sorted(stalled)))
    return report


def _deliver(engine: Engine, registry: hooks.Registry, config, row, token: str, clock: Clock,
             stalled: set[str]) -> str:
    """Call the hooks ``row`` still needs, then record the outcome as of the attempt's end."""
    done, errors, skipped = _call_hooks(registry, TicketEvent.from_dict(row.payload), list(row.done), stalled)
    outcome, values = _outcome(row, done, errors, skipped, clock(), config)
    with engine.begin() as conn:
        conn.execute(update(db.outbox).where((db.outbox.c.id == row.id) & (db.outbox.c.claim == token))
                     .values(claimed_until=None, claim=None, **values))
    _log_outcome(row, outcome, errors, values)
    return outcome


def _call_hooks(registry: hooks.Registry, event: TicketEvent, done: list[str],
                stalled: set[str]) -> tuple[list[str], dict[str, str], bool]:
    """Call each hook not in ``done``, except the ``stalled`` ones; a TimeoutError stalls its hook.

    Returns the hooks done, the errors by hook, and whether a stalled hook was skipped.
    """
    errors: dict[str, str] = {}
    skipped = False
    for name, hook in registry.items():
        if name in done:
            continue
        if name in stalled:
            skipped = True
            continue
        try:
            hook(event)
            done.append(name)
        except Exception as exc:  # any hook failure is retried, never lost
            errors[name] = str(exc)[:300] or exc.__class__.__name__
            if isinstance(exc, TimeoutError):
                stalled.add(name)
    return done, errors, skipped


def _outcome(row, done: list[str], errors: dict[str, str], skipped: bool, ended: dt.datetime,
             config) -> tuple[str, dict[str, Any]]:
    """delivered, skipped, retrying or dead, and the row's new values; a retry counts from ``ended``."""
    if not errors:
        if skipped:  # nothing failed, but a stalled hook still needs it: due again next round, as it was
            return "skipped", {"done": done}
        return "delivered", {"done": done, "delivered_at": ended, "last_error": None}
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "done": done, "attempts": attempts,
        "next_attempt_at": ended + dt.timedelta(seconds=db.retry_delay(attempts, config)),
        "last_error": "; ".join(f"{name}: {error}" for name, error in errors.items()),
    }
    if ended - row.retry_from >= dt.timedelta(hours=float(config["OUTBOX_GIVE_UP_HOURS"])):
        values["dead_at"] = ended
        return "dead", values
    return "retrying", values


def _log_outcome(row, outcome: str, errors: dict[str, str], values: dict[str, Any]) -> None:
    if outcome == "delivered":
        log.info("event %s (%s) delivered", row.event_id, row.type)
    elif outcome == "skipped":
        log.debug("event %s (%s) waits for the next round: a hook it needs timed out", row.event_id, row.type)
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


def dispatch_app(now: dt.datetime | None = None, clock: Clock | None = None) -> Report:
    """One dispatch round for the current app."""
    return dispatch(db.engine(), current_app.extensions["hooks"], current_app.config, now, clock)
