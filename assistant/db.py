"""The database: one SQLAlchemy Core engine per app, its tables and versioned migrations.

SQLite in the instance folder by default; any SQLAlchemy URL in
``DATABASE_URL`` (PostgreSQL, say) works the same, because nothing outside
the SQLite connect hook is dialect-specific SQL.  Migrations run at start:
each is claimed by inserting its row into ``schema_version`` before it runs,
in the same transaction, so several gunicorn workers starting at once apply
it exactly once (the losers hit the primary key, roll back, and move on).
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import (
    JSON, Column, DateTime, Engine, Float, ForeignKey, Integer, MetaData, String, Table, Text,
    create_engine, event, func, inspect, or_, select, text, update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.types import TypeDecorator

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


metadata = MetaData()

tickets = Table(
    "tickets", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(9), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),  # SHA-256 of the reference code
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
    *_delivery_columns(),
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


def _v1_tickets(conn: Connection) -> None:
    """Tickets, history, attachments, the event outbox, the mail queue, session codes."""
    metadata.create_all(conn, tables=[tickets, ticket_history, attachments, outbox, mail, session_codes])


# Append-only: never edit a step that has shipped.  A schema change adds a
# step (ALTER, new table) and updates the Table objects above to match.
def _v2_questions(conn: Connection) -> None:
    """The question log and answer feedback, for the editors' reports."""
    metadata.create_all(conn, tables=[questions, feedback])


def _v3_sealed_mail(conn: Connection) -> None:
    """Mail bodies become Fernet tokens: rows already there are marked clear text (``notifications`` seals them).

    A database created by this version got the column from ``_v1_tickets``
    (it creates the tables as defined above), so it is only added when missing.
    """
    if "sealed" not in {column["name"] for column in inspect(conn).get_columns("mail")}:
        conn.execute(text("ALTER TABLE mail ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0"))


MIGRATIONS: list[Callable[[Connection], None]] = [_v1_tickets, _v2_questions, _v3_sealed_mail]

_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)"
schema_version = Table(
    "schema_version", MetaData(), Column("version", Integer, primary_key=True), Column("applied_at", String(40))
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


def current_version(engine: Engine) -> int:
    """The highest migration applied (0 for a new database)."""
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one()


def migrate(engine: Engine) -> int:
    """Bring the schema to the latest version; idempotent and safe to race.  Returns the version."""
    for attempt in range(5):
        try:
            return _migrate_once(engine)
        except DBAPIError as exc:  # e.g. two workers creating schema_version at the same instant
            if attempt == 4:
                raise
            log.warning("migration raced another process, retrying: %s", exc.__class__.__name__)
    raise AssertionError("unreachable")


def _migrate_once(engine: Engine) -> int:
    with engine.begin() as conn:
        conn.execute(text(_VERSION_TABLE))
    for version, step in enumerate(MIGRATIONS, start=1):
        if version <= current_version(engine):
            continue
        try:
            with engine.begin() as conn:  # the INSERT takes the write lock before any DDL
                conn.execute(schema_version.insert().values(version=version, applied_at=utcnow().isoformat()))
                step(conn)
            log.info("database migrated to version %d (%s)", version, step.__name__)
        except IntegrityError:
            log.info("migration %d was applied by another process", version)
    return current_version(engine)


def claim_due(engine: Engine, table: Table, pending, now: dt.datetime, lease_seconds: float, limit: int = 50,
              first=None):
    """Rows of a delivery table that are ``pending`` and due, each claimed by one atomic UPDATE.

    Several processes may poll the same table: a row is only handed to the
    caller whose UPDATE changed it, so no two workers deliver it at once.
    Oldest first, after ordering by ``first`` when given (urgent kinds).
    """
    token = secrets.token_hex(8)
    due = (
        pending
        & table.c.dead_at.is_(None)
        & (table.c.next_attempt_at <= now)
        & or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
    )
    with engine.connect() as conn:
        order = (table.c.id,) if first is None else (first, table.c.id)
        ids = conn.execute(select(table.c.id).where(due).order_by(*order).limit(limit)).scalars().all()
    until = now + dt.timedelta(seconds=lease_seconds)
    claimed = []
    for row_id in ids:
        with engine.begin() as conn:
            won = conn.execute(update(table).where(due & (table.c.id == row_id)).values(claimed_until=until, claim=token))
        if won.rowcount == 1:
            claimed.append(row_id)
    if not claimed:
        return token, []
    with engine.connect() as conn:
        return token, conn.execute(select(table).where(table.c.id.in_(claimed)).order_by(*order)).all()


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
    """True when the database answers and carries our schema (for /readyz)."""
    try:
        return current_version(bind or engine()) >= len(MIGRATIONS)
    except SQLAlchemyError as exc:
        log.warning("database unreachable: %s", exc.__class__.__name__)
        return False
