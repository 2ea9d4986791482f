"""Shared fixtures: the app over a temporary instance folder, its client and CLI runner.

The shipped knowledge base is indexed once per test session into a
temporary folder (the same ``python -m indexer build`` format the server can
load), so each app starts in milliseconds yet answers from the real
articles.  Its embeddings go to one cache for the whole session
(ASSISTANT_EMBEDDING_CACHE, also seen by the servers the tests start), so
an app or server that indexes a knowledge folder embeds only what is new.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

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


@pytest.fixture
def app(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "TESTING": True, "BACKGROUND_WORKER": False})
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


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
