"""The database: SQLite settings, versioned migrations that tolerate racing workers, the readiness check."""
import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text

from assistant import create_app, db

ROOT = Path(__file__).resolve().parents[2]


def version_rows(engine) -> list[int]:
    with engine.connect() as conn:
        return conn.execute(select(db.schema_version.c.version)).scalars().all()


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


def test_migrations_are_idempotent(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert db.migrate(engine) == len(db.MIGRATIONS)
    assert db.migrate(engine) == len(db.MIGRATIONS)
    assert version_rows(engine) == list(range(1, len(db.MIGRATIONS) + 1))
    with engine.connect() as conn:
        tables = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
    assert {"tickets", "ticket_history", "attachments", "outbox", "mail", "session_codes", "schema_version"} <= tables
    engine.dispose()


def test_racing_threads_migrate_once(tmp_path):
    url, results, errors = f"sqlite:///{tmp_path / 'race.sqlite3'}", [], []
    start = threading.Barrier(8)

    def boot():
        engine = db.make_engine(url)
        start.wait()
        try:
            results.append(db.migrate(engine))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=boot) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [len(db.MIGRATIONS)] * 8
    engine = db.make_engine(url)
    assert version_rows(engine) == list(range(1, len(db.MIGRATIONS) + 1))
    engine.dispose()


def test_racing_processes_migrate_once(tmp_path):
    """Like gunicorn workers starting together on a fresh database."""
    path = tmp_path / "workers.sqlite3"
    script = ("import sys; from assistant import db; "
              "print(db.migrate(db.make_engine(sys.argv[1])))")
    processes = [subprocess.Popen([sys.executable, "-c", script, f"sqlite:///{path}"], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, outputs
    assert [out.strip() for out, _ in outputs] == [str(len(db.MIGRATIONS))] * 4
    engine = db.make_engine(f"sqlite:///{path}")
    assert version_rows(engine) == list(range(1, len(db.MIGRATIONS) + 1))
    engine.dispose()


def test_times_are_stored_and_read_as_utc(app):
    engine = app.extensions["db"]
    paris = dt.datetime(2025, 6, 6, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with engine.begin() as conn:
        conn.execute(db.session_codes.insert().values(email="a@example.com", code_hash="x", expires_at=paris,
                                                      attempts=0, created_at=paris))
    with engine.connect() as conn:
        stored = conn.execute(select(db.session_codes.c.expires_at)).scalar_one()
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


def test_ping_needs_our_schema(tmp_path):
    empty = db.make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert db.ping(empty) is False
    db.migrate(empty)
    assert db.ping(empty) is True
    empty.dispose()
