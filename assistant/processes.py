"""The app in processes that fork: what a serving process starts itself, what a parent does before a fork.

gunicorn with ``preload_app`` (see ``gunicorn.conf.py``) builds the app once in
its master, with the index, Kiwi and lingua loaded, and forks the workers from
it: they share those pages copy-on-write instead of each loading its own.
Threads do not survive a fork, and a database connection must never be shared
by two processes, so the master runs no thread (START_THREADS off), closes its
connections before each fork, and each worker starts its own threads after it
(gunicorn's ``post_worker_init``, or at the latest its first request).
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time

from flask import Flask

log = logging.getLogger(__name__)

_starting = threading.Lock()


def start(app: Flask) -> None:
    """Start this process's threads once: the knowledge watcher and embedder, the background worker's lanes.

    Idempotent per process and cheap to call again (each request does); a
    process forked from one that had started them starts its own.
    """
    if app.extensions.get("threads_started_in") == os.getpid():
        return
    with _starting:
        if app.extensions.get("threads_started_in") == os.getpid():
            return
        held = app.extensions.get("knowledge")
        if held is not None:
            held.start(float(app.config["RELOAD_POLL_SECONDS"]))
            if app.config["RELOAD_ON_SIGHUP"] and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGHUP, lambda *_: threading.Thread(
                    target=held.reload_if_changed, kwargs={"force": True}, name="knowledge-sighup").start())
        if "worker" in app.extensions:
            app.extensions["worker"].ensure_running()
        app.extensions["threads_started_in"] = os.getpid()


def before_fork(app: Flask) -> None:
    """In a parent about to fork a worker: close its pooled database connections, freeze its objects.

    A connection the child inherited would be one socket or SQLite handle used
    by two processes.  ``gc.freeze`` moves every object into the permanent
    generation, so the children's collections never write to (and so copy)
    the pages of the index and models they share with the master.
    """
    _join_other_threads()
    engine = app.extensions.get("db")
    if engine is not None:
        engine.dispose()
    gc.freeze()


def _join_other_threads(seconds: float = 60.0) -> None:
    """Let the master's model warm-ups end, and name any other thread still running at the fork.

    A thread alive at the fork leaves the locks it holds held in the child,
    and the child does not have the thread: the master should run none.
    """
    deadline = time.monotonic() + seconds
    for thread in threading.enumerate():
        if thread is threading.current_thread():
            continue
        if "warm-up" in thread.name:
            thread.join(max(deadline - time.monotonic(), 0))
        if thread.is_alive():
            log.warning("thread %s still runs in the master at the fork; the worker will not have it", thread.name)


def init_app(app: Flask) -> None:
    """Start the threads now (START_THREADS) or leave them to the serving process; each request checks."""
    if app.config["START_THREADS"]:
        start(app)
    app.before_request(lambda: start(app))
