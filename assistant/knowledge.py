"""The knowledge the server answers from, and its atomic replacement.

The web layer asks ``current()`` for the retriever once per request and
keeps that reference until the request ends, so a reload that swaps in a
new index never disturbs a question in flight.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g

from indexer import KnowledgeError, Retriever
from indexer.articles import Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """One version of the knowledge base, as served."""

    retriever: Retriever
    version: str
    loaded_at: dt.datetime
    source: str


class Knowledge:
    """Loads the knowledge folder (or a prebuilt index) and holds the version served."""

    def __init__(self, folder: str | Path, index_folder: str | Path | None = None, required_languages=()):
        self.folder = Path(folder)
        self.index_folder = Path(index_folder) if index_folder else None
        self.required_languages = tuple(required_languages)
        self._loaded: Loaded | None = None
        self.last_error: tuple[Problem, ...] = ()
        self._lock = threading.Lock()

    def current(self) -> Loaded:
        if self._loaded is None:
            raise RuntimeError("knowledge not loaded")
        return self._loaded

    @property
    def ready(self) -> bool:
        return self._loaded is not None

    def load(self) -> Loaded:
        """Build (or read) a new version and swap it in; on problems keep the old one and raise."""
        with self._lock:
            try:
                retriever = self._build()
            except KnowledgeError as exc:
                self.last_error = tuple(exc.problems)
                for problem in exc.problems:
                    log.error("knowledge problem: %s", problem)
                raise
            self._loaded = Loaded(retriever, retriever.version, dt.datetime.now(dt.timezone.utc), str(self.folder))
            self.last_error = ()
            log.info("knowledge version %s loaded from %s", retriever.version, self._loaded.source)
            return self._loaded

    def _build(self) -> Retriever:
        if self.index_folder is not None:
            from indexer import store

            return store.load(self.index_folder)
        return Retriever.from_directory(self.folder, self.required_languages or None)


def knowledge() -> Knowledge:
    """The app's knowledge holder."""
    return current_app.extensions["knowledge"]


def retriever() -> Retriever:
    """The retriever for this request, fixed at first use so a reload cannot change it mid-request."""
    if "retriever" not in g:
        g.retriever = knowledge().current().retriever
    return g.retriever
