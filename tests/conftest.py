"""Shared fixtures: the app over a temporary instance folder, its client and CLI runner.

The shipped knowledge base is indexed once per test session into a
temporary folder (the same ``python -m indexer build`` format the server can
load), so each app starts in milliseconds yet answers from the real
articles.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import create_app
from indexer import Retriever, store

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def retriever() -> Retriever:
    return Retriever.from_directory(KNOWLEDGE)


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
