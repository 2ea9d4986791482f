"""The knowledge the server answers from, and its atomic replacement.

The web layer asks ``current()`` for the retriever once per request and
keeps that reference until the request ends, so a reload that swaps in a
new index never disturbs a question in flight.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

from flask import current_app, g

from indexer import KnowledgeError, Retriever
from indexer.articles import Problem
from indexer.semantic import EmbeddingCache

log = logging.getLogger(__name__)

_INHERITED_MODELS: list = []  # models a forked process set aside (see ``Knowledge._own_kiwi``)


class AnswerCache:
    """The latest answers of one served version, by question: a repeated question costs a lookup.

    Suppliers ask the same few things in the same words ("2fa off", "who pays me"); an answer
    depends only on the question, the chosen language and the version served, so it is kept
    (least recently used out) for as long as that version serves.  Each ``Loaded`` has its own.
    """

    def __init__(self, size: int):
        self.size = size
        self._answers: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key, compute, within: float = float("inf")):
        """The cached answer, or ``compute()``'s, kept only if it took less than ``within`` seconds
        (an answer cut short by the ask budget is not worth keeping)."""
        if self.size <= 0:
            return compute()
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                self.hits += 1
                return self._answers[key]
            self.misses += 1
        start = time.monotonic()
        answer = compute()
        if time.monotonic() - start >= within:
            return answer
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer


@dataclass(frozen=True)
class Loaded:
    """One version of the knowledge base, as served (with meaning or not: each has its answers)."""

    retriever: Retriever
    version: str
    loaded_at: dt.datetime
    source: str
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(0), compare=False)


class Knowledge:
    """Loads the knowledge folder (or a prebuilt index) and holds the version served.

    ``load`` swaps a new version in atomically; when the new base has
    problems the old version keeps serving and ``last_error`` says why.
    ``watch`` polls the folder and reloads on change, which also works with
    several gunicorn workers: each process notices within the interval.

    With ``embeddings`` (a cache) the articles are also embedded for the
    sentence encoder, in a background thread: a version serves at once on
    words alone and gains meaning when its embeddings are ready (a built
    index that has them serves with them from the start).
    """

    def __init__(self, folder: str | Path, index_folder: str | Path | None = None, required_languages=(),
                 embeddings: EmbeddingCache | None = None, answer_cache_size: int = 0, source=None):
        self.folder = Path(folder)
        self.source = source  # e.g. sources.DatabaseSource: signature() and retriever() instead of the folder's
        self.index_folder = Path(index_folder) if index_folder else None
        self.required_languages = tuple(required_languages)
        self.embeddings = embeddings
        self.answer_cache_size = answer_cache_size
        self._embedding_lock = threading.Lock()
        self._embedding_wanted = False
        self._embedder: threading.Thread | None = None
        self._serving_pid: int | None = None  # the process whose threads serve this holder (see ``start``)
        self._kiwi_pid = os.getpid()  # the process whose Kiwi (and its thread pool) a folder build may use
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
                if self.source is None and (from_folder or self.index_folder is None):
                    self._own_kiwi()
                retriever = self._build(from_folder)
            except KnowledgeError as exc:
                self._signature = signature
                self.last_error = tuple(exc.problems)
                self.last_error_at = _now()
                for problem in exc.problems:
                    log.error("knowledge problem: %s", problem)
                raise
            source = self.source.name if self.source is not None else str(
                self.index_folder if self.index_folder and not from_folder else self.folder)
            self._loaded = Loaded(retriever, retriever.version, _now(), source, AnswerCache(self.answer_cache_size))
            self._signature = signature
            self.last_error, self.last_error_at = (), None
            if self._serving_pid == os.getpid():
                log.info("knowledge version %s loaded from %s", retriever.version, source)
            else:  # e.g. a gunicorn master with preload_app: its workers say when they serve it
                log.info("knowledge version %s read from %s, before serving", retriever.version, source)
            if self.embeddings is not None and retriever.semantic_index is None:
                self._embed_in_background(self._loaded)
            return self._loaded

    def _embed_in_background(self, loaded: Loaded) -> None:
        """Embed the version being served, then serve it with meaning too.

        One embedding thread per holder: a reload while it works only makes
        it look again when it is done (the cache makes the second pass cost
        only what changed), so reloads never pile up threads.
        """
        with self._embedding_lock:
            self._embedding_wanted = True
            if self._serving_pid != os.getpid():  # a master that forks runs no thread: ``start`` embeds
                return
            if self._embedder is not None and self._embedder.is_alive():
                return
            self._embedder = threading.Thread(target=self._embed_latest, name="knowledge-embed", daemon=True)
            self._embedder.start()

    def _embed_latest(self) -> None:
        while True:
            with self._embedding_lock:
                if not self._embedding_wanted:
                    self._embedder = None
                    return
                self._embedding_wanted = False
            loaded = self._loaded
            if loaded is None or loaded.retriever.semantic_index is not None:
                continue
            try:
                semantic = loaded.retriever.with_semantic(self.embeddings)
            except Exception:  # words alone keep serving
                log.exception("embedding knowledge version %s failed", loaded.version)
                continue
            with self._lock:
                if self._loaded is loaded:
                    self._loaded = replace(loaded, retriever=semantic, answers=AnswerCache(self.answer_cache_size))
                    log.info("knowledge version %s now answers with meaning too", loaded.version)

    def reload_if_changed(self, force: bool = False) -> bool:
        """Reload when the folder's files changed since the last attempt (or ``force``); True if a new version serves."""
        if not force and self.signature() == self._signature:
            return False
        try:
            self.load(from_folder=True)
        except KnowledgeError:
            return False
        return True

    def _own_kiwi(self) -> None:
        """Stopgap until ``analyzers.kiwi`` is fork-safe (see /work/notes/kiwi-pool-fork-hang.md).

        Kiwi (num_workers=-1) starts its thread pool when it is built; in a
        worker forked from the master that built it the pool threads are
        gone, and a build's batch tokenize would wait for them forever.  So
        the first folder build in a forked process sets the inherited model
        aside (kept, never destroyed: its destructor would join the missing
        threads) and loads its own (~1.7 s, ~310 MB); answering alone never
        needs that.
        """
        if self._kiwi_pid != os.getpid():
            from indexer import analyzers

            if analyzers.kiwi.cache_info().currsize:
                _INHERITED_MODELS.append(analyzers.kiwi())
                analyzers.kiwi.cache_clear()
            self._kiwi_pid = os.getpid()

    def start(self, poll_seconds: float) -> None:
        """Serve from this process: start its watcher and, if a version waits for meaning, its embedder.

        Called once per process that serves (``processes.start``): at once by
        ``python app.py``, after the fork by each gunicorn worker of a master
        that loaded the knowledge (threads do not survive a fork).
        """
        if self._serving_pid == os.getpid():
            return
        self._serving_pid = os.getpid()
        loaded = self.current()
        log.info("knowledge version %s loaded from %s serves in this process", loaded.version, loaded.source)
        if poll_seconds > 0:
            self.watch(poll_seconds)
        if self.embeddings is not None and loaded.retriever.semantic_index is None:
            self._embed_in_background(loaded)

    def watch(self, interval: float) -> threading.Thread:
        """Poll the folder every ``interval`` seconds in a daemon thread, the first time at once.

        At once: a worker forked long after its master loaded (a restarted
        one) may hold an older version than its siblings.
        """

        # The thread holds the holder only weakly, so a holder nobody else holds (an app that
        # is gone, as in the tests) is freed with its mapped index files and the thread ends.
        holder = weakref.ref(self)

        def loop() -> None:
            while (held := holder()) is not None:
                try:
                    held.reload_if_changed()
                except Exception:  # the watcher must outlive any one bad reload
                    log.exception("knowledge reload failed")
                del held
                time.sleep(interval)

        thread = threading.Thread(target=loop, name="knowledge-watch", daemon=True)
        thread.start()
        return thread

    def signature(self) -> tuple:
        """Names, sizes and modification times of the article files: cheap to compare."""
        if self.source is not None:
            return self.source.signature()
        try:
            files = sorted(p for p in self.folder.iterdir() if p.suffix in (".yaml", ".yml"))
            return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        except OSError:
            return ()

    def _build(self, from_folder: bool) -> Retriever:
        if self.source is not None:
            return self.source.retriever()
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


def served() -> Loaded:
    """The version for this request, fixed at first use so a reload cannot change it mid-request."""
    if "served" not in g:
        g.served = knowledge().current()
    return g.served


def retriever() -> Retriever:
    return served().retriever


# --- start-up: the models a first question needs --------------------------------------------


def warm_up(semantic: bool) -> None:
    """Load now the models that questions would load on first use: Kiwi, lingua, OpenCC, the encoder's weights.

    For a process that forks its workers (gunicorn with preload_app and
    WARM_UP): loaded once there, the workers share them copy-on-write instead
    of each loading its own (Kiwi ~310 MB, lingua ~110 MB) on its first
    Korean or Latin question.  Loaded one after the other: Kiwi and lingua
    hold the GIL while they load, so threads would not overlap them.  The
    encoder is loaded, never run, here: its OpenMP threads would not survive
    the fork (a worker would hang on its first encoding).
    """
    from indexer import analyzers, detect, semantic as meaning

    analyzers.kiwi()
    detect.lingua_ranking("warm up the detector")
    detect.chinese_forms("繁體中文")
    analyzers.fold_chinese("中文")
    if semantic:
        meaning.encoder()
