"""The database: one SQLAlchemy Core engine per app, its tables, migrations and the delivery lease.

SQLite in the instance folder by default; any SQLAlchemy URL in
``DATABASE_URL`` works the same, and the suite runs every store test on
both SQLite and PostgreSQL (psycopg 3).  The schema is migrated at start by
Alembic (revisions in ``assistant/migrations``) under a lock, so several
gunicorn workers and replicas starting at once apply each revision once.
Outbox events and mail are claimed with a lease (``claim_due``), so several
dispatchers deliver each row once at a time.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import (
    JSON, BigInteger, Column, DateTime, Engine, Float, ForeignKey, Integer, LargeBinary, MetaData, String, Table,
    Text, UniqueConstraint, create_engine, event, or_, select, text, update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from . import migrations

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000  # the default of DATABASE_BUSY_TIMEOUT_MS

# What drivers say when the database is there but cannot serve right now
# (SQLite, PostgreSQL): matched on the driver's lower-cased message.  These
# are outages worth a retry (a 503), not bugs; ``outage`` names the kind.
OUTAGES: dict[str, tuple[str, ...]] = {
    "busy": ("database is locked", "database table is locked", "lock timeout", "could not obtain lock",
             "deadlock detected"),
    "full": ("database or disk is full", "no space left on device", "disk quota exceeded", "could not extend file"),
    "unreachable": ("unable to open database file", "disk i/o error", "could not connect", "connection refused",
                    "connection to server", "server closed the connection", "terminating connection",
                    "the database system is"),
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


# The tables as the code uses them.  A schema change is a new Alembic revision in
# assistant/migrations/versions (``alembic revision --rev-id 0004 -m "..."``) plus the
# same change here; test_db checks the two agree on SQLite and PostgreSQL.
metadata = MetaData()

tickets = Table(
    "tickets", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(9), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),  # SHA-256 of the reference code
    Column("reference_sealed", Text),  # the code sealed under MAIL_KEY, so every later mail can repeat it
    Column("email", String(254), nullable=False, index=True),
    Column("name", String(200)),
    Column("supplier_name", String(200)),
    Column("supplier_number", String(64)),
    Column("country", String(2)),
    Column("lang", String(8), nullable=False),
    Column("category", String(64)),
    Column("subject", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("refs", JSON, nullable=False),  # {"invoice_numbers": [...], "po_numbers": [...]}
    Column("priority", String(20), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("resolution", String(20)),
    Column("question", Text),  # the question the assistant could not answer
    Column("detected_lang", String(8)),
    Column("articles_tried", JSON, nullable=False),
    Column("previous_number", String(9)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("solution_proposed_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
)

ticket_history = Table(
    "ticket_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("status_from", String(20)),
    Column("status_to", String(20), nullable=False),
    Column("message", Text),
    Column("at", UtcDateTime, nullable=False),
    Column("via", String(16)),  # "email" when the change came by mail; empty: the web or the API
)

attachments = Table(
    "attachments", metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("filename", String(255), nullable=False),  # as the supplier named it, for display
    Column("stored_name", String(64), nullable=False, unique=True),  # random, on disk
    Column("kind", String(8), nullable=False),  # pdf, png, jpg, csv, xlsx, docx, txt
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


def _delivery_columns() -> list[Column]:
    """The retry bookkeeping shared by the event outbox and the mail queue."""
    return [
        Column("created_at", UtcDateTime, nullable=False),
        Column("retry_from", UtcDateTime, nullable=False),  # creation, or the last replay
        Column("next_attempt_at", UtcDateTime, nullable=False, index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("claimed_until", UtcDateTime),
        Column("claim", String(32)),
        Column("last_error", Text),
        Column("dead_at", UtcDateTime),
    ]


outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="SET NULL"), index=True),
    Column("payload", JSON, nullable=False),
    Column("done", JSON, nullable=False),  # names of the hooks that already have it
    Column("delivered_at", UtcDateTime),
    *_delivery_columns(),
)

mail = Table(
    "mail", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("to_addr", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),  # a Fernet token under MAIL_KEY when sealed; "" once sent
    Column("ticket_id", ForeignKey("tickets.id", ondelete="SET NULL"), index=True),
    Column("sealed", Integer, nullable=False, server_default="0"),  # 1: body is sealed; 0: clear text of an older version
    Column("sent_at", UtcDateTime),  # handed to the SMTP server
    Column("kept_at", UtcDateTime),  # no SMTP configured: kept here and logged
    Column("message_id", String(255), unique=True, index=True),  # drawn when queued: a retry re-sends the same one
    Column("in_reply_to", String(255)),  # the Message-ID of the ticket's first mail: one thread per ticket
    *_delivery_columns(),
)

inbound_mail = Table(
    "inbound_mail", metadata,
    Column("id", Integer, primary_key=True),
    Column("dedup_key", String(300), nullable=False, unique=True),  # the Message-ID, else the raw bytes' SHA-256
    Column("message_id", String(255)),
    Column("via", String(8), nullable=False),  # http, smtp, lmtp, imap
    Column("recipients", JSON, nullable=False),  # the envelope's RCPT TO, when the transport gives it
    Column("raw", LargeBinary, nullable=False),  # the whole message, sealed under MAIL_KEY (it quotes reference codes)
    Column("size", Integer, nullable=False),
    Column("state", String(16), nullable=False, index=True),  # received, applied, review, automated, answered, dismissed
    Column("reason", String(40)),  # why it waits for review or changed nothing
    Column("from_addr", String(254)),
    Column("subject", String(300)),  # reference codes blanked out
    Column("text", Text),  # the supplier's new text, without quotes and signature, codes blanked out
    Column("ticket_id", ForeignKey("tickets.id", ondelete="SET NULL"), index=True),
    Column("action", String(32)),  # what it did to the ticket: reply, accept, reject
    Column("processed_at", UtcDateTime),
    *_delivery_columns(),
)

editors = Table(
    "editors", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),  # Argon2id (argon2-cffi), never the password
    Column("role", String(16), nullable=False),  # editor, publisher, admin
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
)

session_codes = Table(
    "session_codes", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),  # HMAC of email and code
    Column("expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)


questions = Table(
    "questions", metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(24), nullable=False, unique=True),  # what the API hands out, unguessable
    Column("asked_at", UtcDateTime, nullable=False, index=True),
    Column("lang", String(8), nullable=False),
    Column("detected_lang", String(8)),
    Column("question", Text, nullable=False),  # personal data: purged after QUESTION_RETENTION_DAYS
    Column("answered", Integer, nullable=False),  # 1 or 0, for plain SUM() on every backend
    Column("article_id", String(120), index=True),
    Column("confidence", Float, nullable=False),
    Column("candidates", JSON, nullable=False),  # [[article_id, confidence], ...]
    Column("index_version", String(32), nullable=False),
    Column("supplier_key", String(32)),  # HMAC of the email, never the email itself
    Column("ticket_number", String(9)),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("helpful", Integer, nullable=False),
    Column("comment", Text),
    Column("created_at", UtcDateTime, nullable=False),
)


# Published knowledge versions (assistant/publishing.py): every replica serves the one knowledge_served names.
knowledge_versions = Table(
    "knowledge_versions", metadata,
    Column("version", String(32), primary_key=True),  # the index's content hash
    Column("sha256", String(64), nullable=False),  # of the archive's bytes
    Column("size", BigInteger, nullable=False),
    Column("archive", LargeBinary, nullable=False),  # the built index folder as one archive (index_archive)
    Column("index_format", String(40), nullable=False),  # indexer.store's format, e.g. "procuree-index v2"
    Column("semantic", Integer, nullable=False),  # 1: the articles' embeddings are in the archive
    Column("articles", Integer, nullable=False),
    Column("built_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    Column("published_by", String(120), nullable=False),
    Column("note", Text),
)

knowledge_served = Table(
    "knowledge_served", metadata,
    Column("id", Integer, primary_key=True),  # one row, id 1
    Column("version", ForeignKey("knowledge_versions.version"), nullable=False),
    Column("sha256", String(64), nullable=False),  # the archive served: replicas compare it with what they hold
    Column("since", UtcDateTime, nullable=False),
    Column("by", String(120), nullable=False),
)

knowledge_changes = Table(
    "knowledge_changes", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("by", String(120), nullable=False),
    Column("action", String(16), nullable=False),  # publish, republish, rollback
    Column("version", String(32), nullable=False),
    Column("note", Text),
)


# The editors' web editor (assistant/editors/): one draft per article, and every published change of an article.
article_drafts = Table(
    "article_drafts", metadata,
    Column("article_id", String(120), primary_key=True),
    Column("content", Text, nullable=False),  # the article as JSON, in the shape of its YAML file
    Column("base_revision", Integer),  # the article's revision the draft started from (None: a new article)
    Column("saved_at", UtcDateTime, nullable=False),
    Column("saved_by", String(120), nullable=False),
)

article_revisions = Table(
    "article_revisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", String(120), nullable=False),
    Column("revision", Integer, nullable=False),  # 0: the article as it was before its first change from the editor
    Column("content", Text),  # JSON in the YAML file's shape; None: the article did not exist (or was removed)
    Column("action", String(16), nullable=False),  # baseline, publish, rollback, import
    Column("knowledge_version", String(32)),  # the knowledge version this change made (None for a baseline)
    Column("at", UtcDateTime, nullable=False),
    Column("by", String(120), nullable=False),
    Column("note", Text),
    UniqueConstraint("article_id", "revision"),
)


def database_url(config, instance: str | Path) -> str:
    """DATABASE_URL, or SQLite in the instance folder when it is empty."""
    return config.get("DATABASE_URL") or f"sqlite:///{Path(instance) / 'assistant.sqlite3'}"


def make_engine(url: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """An engine for ``url``; SQLite connections get WAL, a busy timeout and foreign keys.

    ``busy_timeout_ms`` is how long a write waits for another connection's
    lock before it fails with "database is locked" (a 503 for the caller).
    """
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_timeout_ms=int(busy_timeout_ms)))
    return engine


def _sqlite_pragmas(dbapi_connection, _record, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")  # first: the WAL switch may wait
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe with WAL
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA secure_delete = ON")  # deleted and overwritten content is zeroed, not left in free space
    cursor.close()


def outage(exc: BaseException) -> str | None:
    """"busy", "full" or "unreachable" when ``exc`` says the database cannot serve right now; None otherwise.

    The one classification of driver errors: the API answers these with a
    503 and Retry-After (``errors``), optional writes skip them with a
    warning (``questions.record``); any other error is a bug and stays one.
    """
    if not isinstance(exc, OperationalError):
        return None
    if exc.connection_invalidated:
        return "unreachable"
    message = str(exc.orig).lower()
    return next((kind for kind, phrases in OUTAGES.items() if any(p in message for p in phrases)), None)


@contextmanager
def waiting_at_most(conn: Connection, milliseconds: int) -> Iterator[Connection]:
    """On SQLite, let ``conn`` wait at most ``milliseconds`` for a lock inside the block, then restore its timeout.

    For optional writes (the question log) that must not hold an answer for
    the whole busy timeout.  Other backends: ``conn`` unchanged.
    """
    if conn.dialect.name != "sqlite":
        yield conn
        return
    usual = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        yield conn
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(usual)}")


def checkpoint(engine: Engine) -> None:
    """SQLite: move the WAL into the database file and truncate it, so overwritten bytes stay in neither.

    With ``secure_delete`` the database file then holds only the new content;
    other backends have no such files.  Best effort: busy readers postpone it.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    if busy and busy[0]:
        log.warning("WAL checkpoint postponed by readers; old bytes stay in the -wal file until the next one")


def revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None for a new or a pre-Alembic database)."""
    with engine.connect() as conn:
        return migrations.current(conn)


def migrate(engine: Engine) -> str:
    """Bring the schema to the newest revision; idempotent and safe to race.  Returns the revision.

    Every gunicorn worker of every replica calls this at start: when the
    schema is already at head (the usual start) it only reads one row; else
    the first to take the migration lock (``locked``) upgrades and the others,
    once they hold it, find nothing left to do.  A database made by the
    hand-rolled ``schema_version`` scheme is adopted first (``migrations.adopt``).
    """
    head = migrations.head()
    for attempt in range(5):
        try:
            if revision(engine) == head:
                return head
            with locked(engine) as conn:
                started = migrations.upgrade(conn)
            break
        except OperationalError as exc:  # workers opening a new SQLite file at once: its switch to WAL may be refused
            if attempt == 4 or outage(exc) != "busy":
                raise
            log.warning("migration waited for another process (%s); trying again", exc.orig)
            time.sleep(0.2 * (attempt + 1))
    if started != head:
        log.info("database migrated from %s to %s", started or "nothing", head)
    return head


@contextmanager
def locked(engine: Engine) -> Iterator[Connection]:
    """One transaction holding the migration lock, for upgrading the schema.

    PostgreSQL: a transaction-level advisory lock named after the current
    schema (DDL is transactional there, so a worker sees all of a migration
    or none).  SQLite: ``BEGIN IMMEDIATE`` on a connection of its own, which
    takes the database's write lock before the first statement; the others
    wait up to MIGRATION_LOCK_TIMEOUT_MS for it.  Other backends: a plain
    transaction (run migrations from one place there).
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name || current_schema()))"),
                             {"name": "procuree-assistant migrations in "})
            yield conn
        return
    exclusive = create_engine(engine.url, poolclass=NullPool)
    event.listen(exclusive, "connect", _sqlite_driver_transactions)
    event.listen(exclusive, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    try:
        with exclusive.begin() as conn:
            yield conn
    finally:
        exclusive.dispose()


MIGRATION_LOCK_TIMEOUT_MS = 120_000  # SQLite: how long a starting worker waits for another's migration


def _sqlite_driver_transactions(dbapi_connection, _record) -> None:
    """Let SQLAlchemy, not the sqlite3 module, say where a transaction begins (so DDL is inside it)."""
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout = {MIGRATION_LOCK_TIMEOUT_MS}")
    dbapi_connection.execute("PRAGMA journal_mode = WAL")


def claim_due(engine: Engine, table: Table, pending, now: dt.datetime, lease_seconds: float, limit: int = 50,
              first=None):
    """Up to ``limit`` rows of a delivery table that are ``pending`` and due, claimed in one statement.

    The claim is a lease: ``claim`` gets a fresh token and ``claimed_until``
    ``now + lease_seconds``; until then no other dispatcher (thread, worker,
    replica) is handed the row, and after it, if its dispatcher died, the
    next one is.  Results are recorded only ``where claim = token``.  On
    PostgreSQL the candidates are picked with ``FOR UPDATE SKIP LOCKED``,
    so concurrent dispatchers claim different rows instead of queueing on
    the same ones; SQLite has one writer at a time, so the same UPDATE is
    atomic there.  Oldest first, after ordering by ``first`` (urgent kinds).
    Returns the token and the claimed rows in that order.
    """
    token = secrets.token_hex(8)
    due = (
        pending
        & table.c.dead_at.is_(None)
        & (table.c.next_attempt_at <= now)
        & or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
    )
    order = (table.c.id,) if first is None else (first, table.c.id)
    candidates = select(table.c.id).where(due).order_by(*order).limit(limit)
    if engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # A CTE is run once; as a plain IN subquery PostgreSQL may re-run it per row and claim past the limit.
    picked = candidates.cte("picked")
    until = now + dt.timedelta(seconds=lease_seconds)
    with engine.begin() as conn:
        claimed = conn.execute(update(table).where(table.c.id.in_(select(picked.c.id)) & due)
                               .values(claimed_until=until, claim=token)).rowcount
        if not claimed:
            return token, []
        return token, conn.execute(select(table).where(table.c.claim == token).order_by(*order)).all()


def retry_delay(attempts: int, config) -> float:
    """Seconds before the next attempt: OUTBOX_RETRY_SECONDS doubled per attempt, capped."""
    first, cap = float(config["OUTBOX_RETRY_SECONDS"]), float(config["OUTBOX_RETRY_MAX_SECONDS"])
    return min(first * 2 ** max(attempts - 1, 0), cap)


def init_app(app: Flask) -> None:
    """Create the app's engine and bring its schema up to date."""
    url = database_url(app.config, app.instance_path)
    engine = make_engine(url, int(app.config["DATABASE_BUSY_TIMEOUT_MS"]))
    migrate(engine)
    app.extensions["db"] = engine


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["db"]


def ping(bind: Engine | None = None) -> bool:
    """True when the database answers and its schema is at the newest revision (for /readyz)."""
    try:
        return revision(bind or engine()) == migrations.head()
    except SQLAlchemyError as exc:
        log.warning("database unreachable: %s", exc.__class__.__name__)
        return False
