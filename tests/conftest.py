"""Shared fixtures: the app over a temporary instance folder and database, its client and CLI runner.

The shipped knowledge base is indexed once per test session into a
temporary folder (the same ``python -m indexer build`` format the server can
load), so each app starts in milliseconds yet answers from the real
articles.  Its embeddings go to one cache for the whole session
(ASSISTANT_EMBEDDING_CACHE, also seen by the servers the tests start), so
an app or server that indexes a knowledge folder embeds only what is new.

Store tests (modules marked ``pytestmark = pytest.mark.store``) run twice,
on SQLite and on PostgreSQL: the ``database`` fixture, which the ``app``
fixture uses, is parametrised over both.  Each PostgreSQL test gets a
schema of its own, dropped afterwards, and ASSISTANT_DATABASE_URL points at
it, so every app the test creates (and every server it starts) uses it.
ASSISTANT_TEST_DATABASE_URL names the PostgreSQL database (empty or "off":
none); without a reachable one those tests are skipped, saying how to run
them, unless ASSISTANT_TEST_REQUIRE_POSTGRESQL=1 (CI) makes that a failure.
"""
from __future__ import annotations

import functools
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from assistant import create_app
from indexer import Retriever, store
from indexer.semantic import EmbeddingCache

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DATA = Path(__file__).resolve().parent / "data"
EMBEDDINGS = os.environ.setdefault("ASSISTANT_EMBEDDING_CACHE", tempfile.mkdtemp(prefix="procuree-embeddings-"))


@pytest.fixture(scope="session", autouse=True)
def retriever() -> Retriever:
    """Built first, before any app: it fills the session's embedding cache that every app reads."""
    return Retriever.from_directory(KNOWLEDGE, semantic=True, cache=EmbeddingCache(EMBEDDINGS))


@pytest.fixture(scope="session")
def words_only(retriever) -> Retriever:
    """The fast path alone: the same indexes without the sentence encoder."""
    return Retriever(list(retriever.articles.values()), retriever.indexes, retriever.calibration)


@pytest.fixture(scope="session")
def built_index(retriever, tmp_path_factory) -> Path:
    return store.save(retriever, tmp_path_factory.mktemp("index"))


@pytest.fixture
def instance(tmp_path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path


POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HOW_TO_RUN = ("start PostgreSQL with a database `test` that user postgres may use, or point "
              "ASSISTANT_TEST_DATABASE_URL at one (postgresql+psycopg://user@host:port/db); 'off' turns these tests off")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "store: runs on SQLite and on PostgreSQL (through the `database` fixture)")
    config.addinivalue_line("markers", "sqlite_only: a store test about SQLite itself (files, locks, pragmas)")


def pytest_generate_tests(metafunc) -> None:
    """Store tests that use a database run once per backend; ids end in [sqlite] and [postgresql]."""
    if "database" in metafunc.fixturenames and metafunc.definition.get_closest_marker("store"):
        backends = ["sqlite"] if metafunc.definition.get_closest_marker("sqlite_only") else ["sqlite", "postgresql"]
        metafunc.parametrize("database", backends, indirect=True)


@dataclass(frozen=True)
class Database:
    """The backend a test runs on; ``url`` is empty for SQLite (the default file in the instance folder)."""

    name: str
    url: str = ""
    schema: str = ""


@functools.cache
def postgresql_admin():
    """An autocommit engine on ASSISTANT_TEST_DATABASE_URL, or the reason there is none."""
    url = os.environ.get("ASSISTANT_TEST_DATABASE_URL", POSTGRESQL_URL).strip()
    if url.lower() in ("", "off"):
        return None, f"PostgreSQL tests are off (ASSISTANT_TEST_DATABASE_URL={url!r}); to run them: {HOW_TO_RUN}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        first_line = str(exc.orig).strip().splitlines()[0]
        return None, f"PostgreSQL at {engine.url.render_as_string(hide_password=True)} is not reachable ({first_line}); {HOW_TO_RUN}"
    return engine, ""


@contextmanager
def postgresql_schema() -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL schema (the URL with its search_path, and its name), dropped afterwards.

    Skips when PostgreSQL is not reachable, or fails under ASSISTANT_TEST_REQUIRE_POSTGRESQL=1 (CI).
    """
    admin, why_not = postgresql_admin()
    if admin is None:
        if os.environ.get("ASSISTANT_TEST_REQUIRE_POSTGRESQL") == "1":
            pytest.fail(f"ASSISTANT_TEST_REQUIRE_POSTGRESQL=1 but {why_not}", pytrace=False)
        pytest.skip(why_not)
    schema = f"test_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
    try:
        yield url.render_as_string(hide_password=False), schema
    finally:
        with admin.connect() as conn:  # connections a test or server left open would hold locks on its tables
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = :schema AND pid <> pg_backend_pid()"), {"schema": schema})
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def database(request, monkeypatch) -> Database:
    """SQLite, or a fresh PostgreSQL schema (its own search_path) dropped after the test."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield Database("sqlite")
        return
    with postgresql_schema() as (url, schema):
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", url)
        yield Database("postgresql", url, schema)


@pytest.fixture
def app(instance, built_index, database):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "TESTING": True, "BACKGROUND_WORKER": False})
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


REPLICAS_TOKEN = "replicas-admin-token"


@pytest.fixture
def replicas(instance, built_index, tmp_path):
    """Two replicas serving the database's knowledge version, sharing one SQLite file and nothing else."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    apps = [create_app({"INSTANCE": str(instance if n == 0 else tmp_path / "second"), "INDEX": str(built_index),
                        "TESTING": True, "BACKGROUND_WORKER": False, "DATABASE_URL": url, "ADMIN_TOKEN": REPLICAS_TOKEN,
                        "KNOWLEDGE_SOURCE": "database", "RELOAD_POLL_SECONDS": 0, "ANSWER_CACHE_SIZE": 0,
                        "EDITOR_EVAL_SETS": "", "EDITOR_TRY_LOG_QUESTIONS": 0}) for n in range(2)]
    yield apps
    for app in apps:
        app.extensions["db"].dispose()


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    """A writable copy of the shipped knowledge folder."""
    return Path(shutil.copytree(KNOWLEDGE, tmp_path / "knowledge"))


AGENT_TOKEN = "agent-token-for-tests"


@pytest.fixture
def agent_headers(app) -> dict[str, str]:
    """Turns the agent API on and returns the headers that pass its bearer check."""
    app.config["AGENT_TOKEN"] = AGENT_TOKEN
    return {"Authorization": f"Bearer {AGENT_TOKEN}"}


@pytest.fixture
def ticket_store(app):
    """The app's ticket store (same SQLite file as the client's)."""
    return app.extensions["tickets"]


@pytest.fixture
def raise_ticket(client):
    """POST /api/v1/tickets with sensible defaults; returns (number, reference, response JSON)."""

    def raise_(**fields):
        body = {"email": "supplier@example.com", "name": "Ana Lima", "subject": "Invoice INV-7 unpaid",
                "description": "Our invoice INV-7 from March is still unpaid.", "lang": "en", **fields}
        response = client.post("/api/v1/tickets", json=body)
        assert response.status_code == 201, response.get_json()
        data = response.get_json()
        return data["number"], data["reference"], data

    return raise_
