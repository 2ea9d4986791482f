"""The database on SQLite and PostgreSQL: Alembic migrations that tolerate racing workers and adopt old
databases, the readiness check, UTC times, and the delivery lease of ``claim_due``."""
import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from assistant import create_app, db, migrations

pytestmark = pytest.mark.store

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc
T0 = dt.datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def url(database, tmp_path) -> str:
    """A database of its own for the test: an empty schema on PostgreSQL, a new file on SQLite."""
    return database.url or f"sqlite:///{tmp_path / 'own.sqlite3'}"


@pytest.fixture
def engine(url):
    made = db.make_engine(url)
    yield made
    made.dispose()


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def schema_differences(engine) -> list:
    """What Alembic's autogenerate would change to make the database match the Table objects in db.py."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": migrations.include_name})
        return compare_metadata(context, db.metadata)


# --- where the database is -------------------------------------------------------


@pytest.mark.sqlite_only
def test_the_default_database_is_sqlite_in_the_instance_folder(app, instance):
    engine = app.extensions["db"]
    assert engine.url.database == str(instance / "assistant.sqlite3")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS


def test_database_url_is_honoured(instance, built_index, tmp_path):
    target = tmp_path / "elsewhere" / "tickets.db"
    target.parent.mkdir()
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "DATABASE_URL": f"sqlite:///{target}"})
    assert target.exists() and not (instance / "assistant.sqlite3").exists()
    app.extensions["db"].dispose()


def test_the_app_uses_the_database_of_the_test(app, database):
    """The fixture's PostgreSQL schema really is where the app writes (not a SQLite file beside it)."""
    engine = app.extensions["db"]
    assert engine.dialect.name == database.name
    if database.name == "postgresql":
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_schema()")).scalar() == database.schema


# --- migrations ------------------------------------------------------------------


def test_migrations_create_the_schema_of_db_py_and_are_idempotent(engine):
    assert db.ping(engine) is False
    assert db.migrate(engine) == migrations.head()
    assert db.migrate(engine) == migrations.head()
    assert db.revision(engine) == migrations.head() and db.ping(engine) is True
    assert {"tickets", "ticket_history", "attachments", "outbox", "mail", "session_codes", "questions", "feedback",
            "alembic_version"} <= tables(engine)
    assert schema_differences(engine) == []  # the revisions and the Table objects agree


def test_every_revision_downgrades_and_upgrades_again(engine):
    db.migrate(engine)
    with db.locked(engine) as conn:
        command.downgrade(migrations.config(conn), "base")
    assert tables(engine) <= {"alembic_version"} and db.revision(engine) is None
    db.migrate(engine)
    assert schema_differences(engine) == []


def test_the_head_read_from_the_files_is_alembics():
    from alembic.script import ScriptDirectory
    assert migrations.head() == ScriptDirectory.from_config(migrations.config()).get_current_head()


def test_a_worker_at_head_never_imports_alembic(url):
    """Alembic's import costs a few hundred ms; a start on a migrated database does without it."""
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    script = ("import sys; from assistant import db; e = db.make_engine(sys.argv[1]); db.migrate(e); "
              "print(db.ping(e), any(name.startswith('alembic') for name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script, url], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "False"], done.stderr


def test_ping_means_the_schema_is_at_head(engine):
    db.migrate(engine)
    with engine.begin() as conn:  # as if the code were one revision newer than the database
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    assert db.ping(engine) is False
    db.migrate(engine)
    assert db.ping(engine) is True


def test_racing_threads_migrate_once(url):
    results, errors = [], []
    start = threading.Barrier(6)

    def boot():
        engine = db.make_engine(url)
        start.wait()
        try:
            results.append(db.migrate(engine))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=boot) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [migrations.head()] * 6
    engine = db.make_engine(url)
    assert schema_differences(engine) == []
    engine.dispose()


def test_racing_processes_migrate_once(url):
    """Like gunicorn workers of several replicas starting together on a new database."""
    script = "import sys; from assistant import db; print(db.migrate(db.make_engine(sys.argv[1])))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 3, outputs
    assert [out.strip() for out, _ in outputs] == [migrations.head()] * 3
    engine = db.make_engine(url)
    assert schema_differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_the_alembic_command_works_from_the_repository(url, tmp_path):
    """Developers' `alembic` reads pyproject.toml; `check` says the revisions match db.py."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def alembic(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "alembic", "-x", f"url={url}", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    alembic("upgrade", "head")
    assert migrations.head() in alembic("current")
    assert "No new upgrade operations detected" in alembic("check")


# --- adopting a database of the hand-rolled schema_version scheme -----------------

# What the code before Alembic ran (db.py's MIGRATIONS), frozen: {id}, {time} and {json} per backend.
OLD_SCHEME = {
    1: [
        "CREATE TABLE tickets ({id}, number VARCHAR(9) NOT NULL, key_hash VARCHAR(64) NOT NULL, email VARCHAR(254) NOT NULL,"
        " name VARCHAR(200), supplier_name VARCHAR(200), supplier_number VARCHAR(64), country VARCHAR(2),"
        " lang VARCHAR(8) NOT NULL, category VARCHAR(64), subject VARCHAR(200) NOT NULL, description TEXT NOT NULL,"
        " refs {json} NOT NULL, priority VARCHAR(20) NOT NULL, status VARCHAR(20) NOT NULL, resolution VARCHAR(20),"
        " question TEXT, detected_lang VARCHAR(8), articles_tried {json} NOT NULL, previous_number VARCHAR(9),"
        " created_at {time} NOT NULL, updated_at {time} NOT NULL, solution_proposed_at {time}, closed_at {time},"
        " PRIMARY KEY (id), UNIQUE (number))",
        "CREATE INDEX ix_tickets_status ON tickets (status)",
        "CREATE INDEX ix_tickets_email ON tickets (email)",
        "CREATE TABLE session_codes ({id}, email VARCHAR(254) NOT NULL, code_hash VARCHAR(64) NOT NULL,"
        " expires_at {time} NOT NULL, attempts INTEGER NOT NULL, used_at {time}, created_at {time} NOT NULL,"
        " PRIMARY KEY (id))",
        "CREATE INDEX ix_session_codes_email ON session_codes (email)",
        "CREATE TABLE ticket_history ({id}, ticket_id INTEGER NOT NULL, kind VARCHAR(32) NOT NULL,"
        " actor VARCHAR(120) NOT NULL, status_from VARCHAR(20), status_to VARCHAR(20) NOT NULL, message TEXT,"
        " at {time} NOT NULL, PRIMARY KEY (id), FOREIGN KEY(ticket_id) REFERENCES tickets (id) ON DELETE CASCADE)",
        "CREATE INDEX ix_ticket_history_ticket_id ON ticket_history (ticket_id)",
        "CREATE TABLE attachments ({id}, ticket_id INTEGER NOT NULL, filename VARCHAR(255) NOT NULL,"
        " stored_name VARCHAR(64) NOT NULL, kind VARCHAR(8) NOT NULL, content_type VARCHAR(100) NOT NULL,"
        " size INTEGER NOT NULL, sha256 VARCHAR(64) NOT NULL, created_at {time} NOT NULL, PRIMARY KEY (id),"
        " FOREIGN KEY(ticket_id) REFERENCES tickets (id) ON DELETE CASCADE, UNIQUE (stored_name))",
        "CREATE INDEX ix_attachments_ticket_id ON attachments (ticket_id)",
        "CREATE TABLE outbox ({id}, event_id VARCHAR(36) NOT NULL, type VARCHAR(32) NOT NULL, ticket_id INTEGER,"
        " payload {json} NOT NULL, done {json} NOT NULL, delivered_at {time}, created_at {time} NOT NULL,"
        " retry_from {time} NOT NULL, next_attempt_at {time} NOT NULL, attempts INTEGER NOT NULL,"
        " claimed_until {time}, claim VARCHAR(32), last_error TEXT, dead_at {time}, PRIMARY KEY (id),"
        " UNIQUE (event_id), FOREIGN KEY(ticket_id) REFERENCES tickets (id) ON DELETE SET NULL)",
        "CREATE INDEX ix_outbox_next_attempt_at ON outbox (next_attempt_at)",
        "CREATE INDEX ix_outbox_ticket_id ON outbox (ticket_id)",
        "CREATE TABLE mail ({id}, kind VARCHAR(32) NOT NULL, lang VARCHAR(8) NOT NULL, to_addr VARCHAR(254) NOT NULL,"
        " subject VARCHAR(300) NOT NULL, body TEXT NOT NULL, ticket_id INTEGER, sent_at {time}, kept_at {time},"
        " created_at {time} NOT NULL, retry_from {time} NOT NULL, next_attempt_at {time} NOT NULL,"
        " attempts INTEGER NOT NULL, claimed_until {time}, claim VARCHAR(32), last_error TEXT, dead_at {time},"
        " PRIMARY KEY (id), FOREIGN KEY(ticket_id) REFERENCES tickets (id) ON DELETE SET NULL)",
        "CREATE INDEX ix_mail_next_attempt_at ON mail (next_attempt_at)",
        "CREATE INDEX ix_mail_ticket_id ON mail (ticket_id)",
    ],
    2: [
        "CREATE TABLE questions ({id}, public_id VARCHAR(24) NOT NULL, asked_at {time} NOT NULL,"
        " lang VARCHAR(8) NOT NULL, detected_lang VARCHAR(8), question TEXT NOT NULL, answered INTEGER NOT NULL,"
        " article_id VARCHAR(120), confidence FLOAT NOT NULL, candidates {json} NOT NULL,"
        " index_version VARCHAR(32) NOT NULL, supplier_key VARCHAR(32), ticket_number VARCHAR(9), PRIMARY KEY (id),"
        " UNIQUE (public_id))",
        "CREATE INDEX ix_questions_asked_at ON questions (asked_at)",
        "CREATE INDEX ix_questions_article_id ON questions (article_id)",
        "CREATE TABLE feedback ({id}, question_id INTEGER NOT NULL, helpful INTEGER NOT NULL, comment TEXT,"
        " created_at {time} NOT NULL, PRIMARY KEY (id),"
        " FOREIGN KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE)",
        "CREATE INDEX ix_feedback_question_id ON feedback (question_id)",
    ],
    3: ["ALTER TABLE mail ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0"],
}
OLD_TYPES = {
    "sqlite": {"id": "id INTEGER NOT NULL", "time": "DATETIME", "json": "JSON"},
    "postgresql": {"id": "id SERIAL NOT NULL", "time": "TIMESTAMP WITHOUT TIME ZONE", "json": "JSON"},
}


def build_old_database(engine, version: int) -> None:
    """A database as the schema_version scheme left it at ``version``, with a ticket, an event and a mail in it."""
    types = OLD_TYPES[engine.dialect.name]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)"))
        for step in range(1, version + 1):
            for statement in OLD_SCHEME[step]:
                conn.execute(text(statement.format(**types)))
            conn.execute(text("INSERT INTO schema_version VALUES (:v, :at)"), {"v": step, "at": T0.isoformat()})
        at = {"at": T0.replace(tzinfo=None)}
        conn.execute(text(
            "INSERT INTO tickets (number, key_hash, email, lang, subject, description, refs, priority, status,"
            " articles_tried, created_at, updated_at) VALUES ('T-0000001', 'k', 'ana@example.com', 'en', 'Old',"
            " 'From before Alembic', '{}', 'normal', 'open', '[]', :at, :at)"), at)
        conn.execute(text(
            "INSERT INTO outbox (event_id, type, ticket_id, payload, done, created_at, retry_from, next_attempt_at,"
            " attempts) VALUES ('old-event', 'created', 1, '{}', '[]', :at, :at, :at, 0)"), at)
        conn.execute(text(
            "INSERT INTO mail (kind, lang, to_addr, subject, body, created_at, retry_from, next_attempt_at,"
            " attempts) VALUES ('created', 'en', 'ana@example.com', 'Hi', 'clear body', :at, :at, :at, 0)"), at)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_a_database_of_the_old_scheme_is_adopted_without_losing_rows(engine, version):
    build_old_database(engine, version)
    assert db.ping(engine) is False  # not at head until migrated
    assert db.migrate(engine) == migrations.head()
    assert schema_differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(db.tickets.c.number, db.tickets.c.subject)).all() == [("T-0000001", "Old")]
        assert conn.execute(select(db.outbox.c.event_id)).scalars().all() == ["old-event"]
        mail = conn.execute(select(db.mail)).one()
        assert (mail.body, mail.sealed) == ("clear body", 0)  # marked clear text: notifications seals it
        assert conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() == version  # left as it was
    with engine.begin() as conn:  # ids go on after the old rows (PostgreSQL's sequences included)
        conn.execute(db.tickets.insert().values(
            number="T-0000002", key_hash="k", email="bo@example.com", lang="fr", subject="New", description="d",
            refs={}, priority="normal", status="open", articles_tried=[], created_at=T0, updated_at=T0))
        assert conn.execute(select(func.max(db.tickets.c.id))).scalar() == 2


def test_an_app_starts_on_an_old_database_and_seals_its_clear_mail(database, instance, built_index):
    engine = db.make_engine(database.url or db.database_url({}, instance))
    build_old_database(engine, 3)
    engine.dispose()
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False})
    try:
        assert db.ping(app.extensions["db"]) is True
        with app.extensions["db"].connect() as conn:
            mail = conn.execute(select(db.mail)).one()
        assert mail.sealed == 1 and mail.body != "clear body"
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        app.extensions["db"].dispose()


# --- times and readiness ---------------------------------------------------------


def test_times_are_stored_and_read_as_utc(app):
    engine = app.extensions["db"]
    paris = dt.datetime(2025, 6, 6, 17, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with engine.begin() as conn:
        conn.execute(db.session_codes.insert().values(email="a@example.com", code_hash="x", expires_at=paris,
                                                      attempts=0, created_at=paris))
    with engine.connect() as conn:
        stored = conn.execute(select(db.session_codes.c.expires_at)).scalar_one()
        assert conn.execute(select(func.count()).where(db.session_codes.c.expires_at < paris)).scalar() == 0
    assert stored == paris and stored.tzinfo == dt.timezone.utc
    with pytest.raises(Exception, match="naive"):
        with engine.begin() as conn:
            conn.execute(db.session_codes.insert().values(email="b@example.com", code_hash="y", attempts=0,
                                                          expires_at=dt.datetime(2025, 1, 1), created_at=paris))


def test_readyz_reports_the_database(app, client):
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"] is True
    working = app.extensions["db"]
    app.extensions["db"] = db.make_engine("sqlite:////nonexistent-folder/assistant.sqlite3")
    try:
        broken = client.get("/readyz")
    finally:
        app.extensions["db"] = working
    assert broken.status_code == 503
    assert broken.get_json()["status"] == "not_ready" and broken.get_json()["checks"]["database"] is False


# --- the delivery lease ----------------------------------------------------------


def add_mail(engine, count: int, at: dt.datetime = T0) -> None:
    with engine.begin() as conn:
        conn.execute(db.mail.insert(), [
            {"kind": "created", "lang": "en", "to_addr": f"s{i}@example.com", "subject": "Hi", "body": "sealed",
             "sealed": 1, "created_at": at, "retry_from": at, "next_attempt_at": at, "attempts": 0}
            for i in range(count)])


def unsent(table=db.mail):
    return table.c.sent_at.is_(None)


def test_a_claim_is_a_lease_that_another_dispatcher_gets_once_it_expires(engine):
    db.migrate(engine)
    add_mail(engine, 3)
    token, rows = db.claim_due(engine, db.mail, unsent(), T0, lease_seconds=60, limit=2)
    assert [row.id for row in rows] == [1, 2]
    assert all(row.claim == token and row.claimed_until == T0 + dt.timedelta(seconds=60) for row in rows)
    second, rest = db.claim_due(engine, db.mail, unsent(), T0 + dt.timedelta(seconds=59), 60)
    assert [row.id for row in rest] == [3] and second != token  # the lease holds: only the unclaimed one
    assert db.claim_due(engine, db.mail, unsent(), T0 + dt.timedelta(seconds=59), 60)[1] == []
    later, again = db.claim_due(engine, db.mail, unsent(), T0 + dt.timedelta(seconds=61), 60)
    assert [row.id for row in again] == [1, 2] and later not in (token, second)  # expired: claimed afresh
    with engine.begin() as conn:  # the first dispatcher, late, finishes: its token no longer matches
        late = conn.execute(db.mail.update().where((db.mail.c.id == 1) & (db.mail.c.claim == token))
                            .values(sent_at=T0)).rowcount
    assert late == 0


def test_urgent_kinds_are_claimed_first(engine):
    from sqlalchemy import case
    db.migrate(engine)
    add_mail(engine, 2)
    with engine.begin() as conn:
        conn.execute(db.mail.update().where(db.mail.c.id == 2).values(kind="session_code"))
    codes_first = case((db.mail.c.kind == "session_code", 0), else_=1)
    _, rows = db.claim_due(engine, db.mail, unsent(), T0, 60, limit=2, first=codes_first)
    assert [row.id for row in rows] == [2, 1]


def test_concurrent_claimers_with_their_own_engines_get_disjoint_rows(url):
    """Four dispatchers (own engine, own connection pool) race over 60 rows: each row is claimed exactly once."""
    setup = db.make_engine(url)
    db.migrate(setup)
    add_mail(setup, 60)
    claimed: list[list[int]] = [[] for _ in range(4)]
    batches, errors = [], []
    start = threading.Barrier(4)

    def claimer(mine: list[int]) -> None:
        engine = db.make_engine(url)
        try:
            start.wait()
            while rows := db.claim_due(engine, db.mail, unsent(), T0, 300, limit=3)[1]:
                mine.extend(row.id for row in rows)
                batches.append(len(rows))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=claimer, args=(mine,)) for mine in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    every = [row_id for mine in claimed for row_id in mine]
    assert sorted(every) == list(range(1, 61))  # all claimed, none twice
    assert max(batches) == 3  # never more than the limit in one claim
    with setup.connect() as conn:  # one token per claim
        assert conn.execute(select(func.count(func.distinct(db.mail.c.claim)))).scalar() == len(batches)
    setup.dispose()
