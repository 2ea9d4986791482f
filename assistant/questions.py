"""The question log and answer feedback: what editors learn from suppliers.

Every question the assistant receives is logged with its outcome, so the
editors' reports can show what went unanswered, in which language, and how
each article fares.  Question text is personal data: it is shown to editors
only, never with an email (suppliers appear as an opaque HMAC key), and it
is deleted after QUESTION_RETENTION_DAYS by the same job as auto-close.

The log serves the editors, the answer serves a supplier waiting at the
screen: ``QuestionLog`` hands out a question's id at once and writes the
rows from one thread, in batches, every QUESTION_LOG_FLUSH_SECONDS.  No
answer waits for the database; whatever reads the log (feedback, the
ticket mark, reports, purging) flushes first, so it sees every question
answered before it.  When the database cannot take the rows (locked, full,
unreachable) they wait in memory and are written when it can, up to
MAX_PENDING (then the oldest go, with a warning: only the editors' log
loses them).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import os
import threading
import time

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.exc import OperationalError

from flask import current_app

if TYPE_CHECKING:  # the engine is not imported by operators' commands, which only purge
    from indexer import Answer

from .db import feedback, outage, questions, utcnow, waiting_at_most

log = logging.getLogger(__name__)

LOG_WAIT_MS = 1000  # the longest an answer waits for another writer's lock to log its question


@dataclass(frozen=True)
class Feedback:
    question_id: str
    helpful: bool
    article_id: str | None
    lang: str
    offer_ticket: bool


def supplier_key(secret: str, email: str | None) -> str | None:
    """An opaque, stable key per supplier email: counts suppliers without storing who they are."""
    if not email:
        return None
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


MAX_PENDING = 10_000  # rows kept in memory while the database cannot take them


def init_app(app) -> None:
    """One question log per app; atexit writes what is still pending when the process ends."""
    import atexit

    held = QuestionLog(app.extensions["db"], float(app.config["QUESTION_LOG_FLUSH_SECONDS"]))
    app.extensions["questions"] = held
    atexit.register(held.flush)


def question_log() -> "QuestionLog":
    """The app's question log (flush it before reading the questions table)."""
    return current_app.extensions["questions"]


def row_of(answer: Answer, version: str, supplier: str | None, ticket_number: str | None, public_id: str) -> dict:
    return dict(
        public_id=public_id,
        asked_at=utcnow(),
        lang=answer.lang,
        detected_lang=answer.detected_lang,
        question=answer.question,
        answered=int(answer.answered),
        article_id=answer.article_id,
        confidence=answer.confidence,
        candidates=[[c.article_id, c.confidence] for c in answer.candidates],
        index_version=version,
        supplier_key=supplier,
        ticket_number=ticket_number,
    )


class QuestionLog:
    """The question log of one process: ids at once, rows written in batches by one thread."""

    def __init__(self, engine: Engine, flush_seconds: float):
        self.engine, self.flush_seconds = engine, flush_seconds
        self._pending: list[dict] = []
        self._lock = threading.Lock()  # guards _pending
        self._writing = threading.Lock()  # one batch written at a time
        self._writer: threading.Thread | None = None
        self._pid: int | None = None

    def record(self, answer: Answer, version: str, supplier: str | None, ticket_number: str | None) -> str:
        """Log one question and its outcome; returns the public id used for feedback."""
        public_id = secrets.token_urlsafe(12)
        with self._lock:
            self._pending.append(row_of(answer, version, supplier, ticket_number, public_id))
            if len(self._pending) > MAX_PENDING:
                del self._pending[0]
                log.warning("question log: %d rows waiting for the database; the oldest is dropped", MAX_PENDING)
        if self.flush_seconds <= 0:
            self.flush()
        else:
            self._ensure_writer()
        return public_id

    def flush(self) -> None:
        """Write every pending row now (an outage keeps them pending, with a warning)."""
        with self._writing:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return
            try:
                with self.engine.begin() as conn, waiting_at_most(conn, LOG_WAIT_MS):
                    conn.execute(questions.insert(), rows)
            except OperationalError as exc:
                with self._lock:
                    self._pending[:0] = rows[-MAX_PENDING:]
                _unlogged(exc, f"{len(rows)} question(s) answered but not logged yet")

    def followed_by_ticket(self, public_id: str, number: str) -> None:
        """Mark the answer a ticket followed (once its question is written)."""
        self.flush()
        followed_by_ticket(self.engine, public_id, number)

    def add_feedback(self, public_id: str, helpful: bool, comment: str | None) -> "Feedback | None":
        self.flush()
        return add_feedback(self.engine, public_id, helpful, comment)

    def purge(self, retention_days: float) -> int:
        self.flush()
        return purge(self.engine, retention_days)

    def _ensure_writer(self) -> None:
        """The writing thread of this process (started afresh in a forked gunicorn worker)."""
        if self._pid == os.getpid() and self._writer is not None and self._writer.is_alive():
            return
        with self._lock:
            if self._pid != os.getpid() or self._writer is None or not self._writer.is_alive():
                self._pid = os.getpid()
                self._writer = threading.Thread(target=self._loop, name="question-log", daemon=True)
                self._writer.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            try:
                self.flush()
            except Exception:  # the writer must outlive any one bad batch
                log.exception("question log: writing a batch failed")


def followed_by_ticket(engine: Engine, public_id: str, number: str) -> None:
    """The supplier raised a ticket after this answer: editors see the answer as doubtful.

    Called once the ticket is committed: an outage here only loses the
    editors' mark (a warning), never turns the ticket's 201 into a 503 that
    would make the supplier raise it twice.
    """
    try:
        with engine.begin() as conn, waiting_at_most(conn, LOG_WAIT_MS):
            conn.execute(questions.update()
                         .where(and_(questions.c.public_id == public_id, questions.c.answered == 1,
                                     questions.c.ticket_number.is_(None)))
                         .values(ticket_number=number))
    except OperationalError as exc:
        _unlogged(exc, f"ticket {number} not marked on question {public_id}")


def _unlogged(exc: OperationalError, what: str) -> None:
    """Re-raise a bug; for an outage, say in one warning what the editors' log lost."""
    kind = outage(exc)
    if kind is None:
        raise exc
    log.warning("%s: the database is %s (%s)", what, kind, exc.orig)


def add_feedback(engine: Engine, public_id: str, helpful: bool, comment: str | None) -> Feedback | None:
    """Record helpful yes/no for one logged question; None when the question is unknown (or purged)."""
    with engine.begin() as conn:
        row = conn.execute(select(questions).where(questions.c.public_id == public_id)).first()
        if row is None:
            return None
        conn.execute(feedback.insert().values(question_id=row.id, helpful=int(helpful), comment=comment, created_at=utcnow()))
    return Feedback(public_id, helpful, row.article_id, row.lang, offer_ticket=not helpful)


def purge(engine: Engine, retention_days: float, now: dt.datetime | None = None) -> int:
    """Delete questions (and their feedback) older than the retention period; returns how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    with engine.begin() as conn:
        old = select(questions.c.id).where(questions.c.asked_at < cutoff)
        conn.execute(feedback.delete().where(feedback.c.question_id.in_(old)))
        return conn.execute(questions.delete().where(questions.c.asked_at < cutoff)).rowcount


def article_stats(engine: Engine, since: dt.datetime) -> dict[str, dict]:
    """Per article: answers per language, and helpful yes / no counts."""
    stats: dict[str, dict] = defaultdict(lambda: {"answers": defaultdict(int), "helpful": 0, "unhelpful": 0})
    answered = and_(questions.c.asked_at >= since, questions.c.answered == 1)
    with engine.connect() as conn:
        for article_id, lang, count in conn.execute(
            select(questions.c.article_id, questions.c.lang, func.count())
            .where(answered)
            .group_by(questions.c.article_id, questions.c.lang)
        ):
            stats[article_id]["answers"][lang] += count
        votes = (
            select(questions.c.article_id, feedback.c.helpful, func.count())
            .join(feedback, feedback.c.question_id == questions.c.id)
            .where(answered)
            .group_by(questions.c.article_id, feedback.c.helpful)
        )
        for article_id, helpful, count in conn.execute(votes):
            stats[article_id]["helpful" if helpful else "unhelpful"] += count
    return {k: {**v, "answers": dict(v["answers"])} for k, v in stats.items()}


def daily_counts(engine: Engine, since: dt.datetime) -> list[tuple[dt.date, str, int, int]]:
    """(day, language, answered, escalated) for every day and language with questions."""
    counts: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0, 0])
    with engine.connect() as conn:
        for asked_at, lang, answered in conn.execute(
            select(questions.c.asked_at, questions.c.lang, questions.c.answered).where(questions.c.asked_at >= since)
        ):
            counts[(asked_at.date(), lang)][0 if answered else 1] += 1
    return [(day, lang, a, e) for (day, lang), (a, e) in sorted(counts.items())]
