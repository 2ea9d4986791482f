"""The server's background loop: deliver events, send mail, auto-close, every few seconds.

Each gunicorn worker runs its own loop; that is safe because events and
mails are claimed with an atomic UPDATE and a ticket only closes through a
conditional one, so two loops never deliver or close the same thing twice.
Turn it off with BACKGROUND_WORKER = False (the tests do) and run the
same jobs from cron with ``python -m assistant outbox dispatch`` and
``python -m assistant tickets autoclose``.
"""
from __future__ import annotations

import logging
import os
import threading

from flask import Flask

from . import db, notifications, outbox, questions, tickets

log = logging.getLogger(__name__)


def run_jobs(app: Flask) -> None:
    """One round of every job; a failing job is logged and does not stop the others."""
    with app.app_context():
        for name, job in (
            ("outbox", outbox.dispatch_app),
            ("mail", lambda: notifications.send_due(db.engine(), app.config)),
            ("autoclose", lambda: tickets.store().autoclose()),
            ("retention", lambda: questions.purge(db.engine(), float(app.config["QUESTION_RETENTION_DAYS"]))),
        ):
            try:
                job()
            except Exception:
                log.exception("background job %s failed", name)


class Worker:
    """A daemon thread running ``run_jobs`` every WORKER_INTERVAL_SECONDS; restarted after a fork."""

    def __init__(self, app: Flask):
        self.app = app
        self.interval = float(app.config["WORKER_INTERVAL_SECONDS"])
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid: int | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        if self.pid == os.getpid() and self.thread is not None and self.thread.is_alive():
            return
        with self._lock:
            if self.pid == os.getpid() and self.thread is not None and self.thread.is_alive():
                return
            self.pid, self.stopping = os.getpid(), threading.Event()
            self.thread = threading.Thread(target=self._loop, name="assistant-worker", daemon=True)
            self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self) -> None:
        log.info("background worker started (every %.1f s)", self.interval)
        while not self.stopping.is_set():
            run_jobs(self.app)
            self.stopping.wait(self.interval)


def init_app(app: Flask) -> None:
    """Start the loop unless BACKGROUND_WORKER is off; re-check in each request (gunicorn --preload forks)."""
    if not app.config["BACKGROUND_WORKER"]:
        return
    worker = Worker(app)
    app.extensions["worker"] = worker
    worker.ensure_running()
    app.before_request(worker.ensure_running)
