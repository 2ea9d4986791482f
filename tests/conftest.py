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
    return create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "TESTING": True})


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
