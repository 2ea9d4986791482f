"""The knowledge the server answers from, and its atomic replacement.

The web layer asks ``current()`` for the retriever once per request and
keeps that reference until the request ends, so a reload that swaps in a
new index never disturbs a question in flight.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
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
    """Loads the knowledge folder (or a prebuilt index) and holds the version served.

    ``load`` swaps a new version in atomically; when the new base has
    problems the old version keeps serving and ``last_error`` says why.
    ``watch`` polls the folder and reloads on change, which also works with
    several gunicorn workers: each process notices within the interval.
    """

    def __init__(self, folder: str | Path, index_folder: str | Path | None = None, required_languages=()):
        self.folder = Path(folder)
        self.index_folder = Path(index_folder) if index_folder else None
        self.required_languages = tuple(required_languages)
        self._loaded: Loaded | None = None
        self.last_error: tuple[Problem, ...] = ()
        self.last_error_at: dt.datetime | None = None
        self._lock = threading.Lock()
        self._signature = self.signature()

    def current(self) -> Loaded:
        if self._loaded is None:
            raise RuntimeError("knowledge not loaded")
        return self._loaded

    @property
    def ready(self) -> bool:
        return self._loaded is not None

    def load(self, from_folder: bool = False) -> Loaded:
        """Build a new version and swap it in; on problems keep the old one and raise KnowledgeError."""
        with self._lock:
            signature = self.signature()
            try:
                retriever = self._build(from_folder)
            except KnowledgeError as exc:
                self._signature = signature
                self.last_error = tuple(exc.problems)
                self.last_error_at = _now()
                for problem in exc.problems:
                    log.error("knowledge problem: %s", problem)
                raise
            source = str(self.index_folder if self.index_folder and not from_folder else self.folder)
            self._loaded = Loaded(retriever, retriever.version, _now(), source)
            self._signature = signature
            self.last_error, self.last_error_at = (), None
            log.info("knowledge version %s loaded from %s", retriever.version, source)
            return self._loaded

    def reload_if_changed(self, force: bool = False) -> bool:
        """Reload when the folder's files changed since the last attempt (or ``force``); True if a new version serves."""
        if not force and self.signature() == self._signature:
            return False
        try:
            self.load(from_folder=True)
        except KnowledgeError:
            return False
        return True

    def watch(self, interval: float) -> threading.Thread:
        """Poll the folder every ``interval`` seconds in a daemon thread."""

        def loop() -> None:
            while True:
                time.sleep(interval)
                try:
                    self.reload_if_changed()
                except Exception:  # the watcher must outlive any one bad reload
                    log.exception("knowledge reload failed")

        thread = threading.Thread(target=loop, name="knowledge-watch", daemon=True)
        thread.start()
        return thread

    def signature(self) -> tuple:
        """Names, sizes and modification times of the article files: cheap to compare."""
        try:
            files = sorted(p for p in self.folder.iterdir() if p.suffix in (".yaml", ".yml"))
            return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        except OSError:
            return ()

    def _build(self, from_folder: bool) -> Retriever:
        if self.index_folder is not None and not from_folder:
            from indexer import store

            try:
                return store.load(self.index_folder)
            except store.IndexFormatError as exc:
                raise KnowledgeError([Problem(str(self.index_folder), 0, str(exc))]) from None
        return Retriever.from_directory(self.folder, self.required_languages or None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def knowledge() -> Knowledge:
    """The app's knowledge holder."""
    return current_app.extensions["knowledge"]


def retriever() -> Retriever:
    """The retriever for this request, fixed at first use so a reload cannot change it mid-request."""
    if "retriever" not in g:
        g.retriever = knowledge().current().retriever
    return g.retriever
