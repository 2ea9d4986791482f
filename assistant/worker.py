"""The server's background loop: deliver events, send mail, auto-close, every few seconds.

The jobs run in separate lanes, one daemon thread each: a webhook receiver
that accepts connections and never answers holds up the events lane only,
never the one-time codes and confirmations of the mail lane, nor auto-close.
Each gunicorn worker runs its own lanes; that is safe because events and
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
import time
from collections.abc import Callable

from flask import Flask

from . import db, questions
from .tickets import outbox
from .tickets.mail import inbox, incoming, outgoing as notifications
from .tickets.store import store

log = logging.getLogger(__name__)

Job = Callable[[Flask], object]

LANES: dict[str, tuple[tuple[str, Job], ...]] = {
    "mail": (("mail", lambda app: notifications.send_due(db.engine(), app.config)),),
    "events": (("outbox", lambda app: outbox.dispatch_app()),),
    "inbound": (("inbound", lambda app: incoming.process_due(app)),),
    "imap": (("imap", lambda app: poll_mailbox(app)),),
    "upkeep": (
        ("autoclose", lambda app: store().autoclose()),
        ("retention", lambda app: questions.question_log().purge(float(app.config["QUESTION_RETENTION_DAYS"]))),
    ),
}


def poll_mailbox(app: Flask):
    """Every IMAP_POLL_SECONDS (when IMAP_HOST is set), store what arrived in the mailbox, then process it.

    Each stored message leaves the mailbox (IMAP_DONE_FOLDER) only once it is
    in the database; several workers polling at once store a message twice at
    worst, which its Message-ID turns into one.
    """
    if not app.config["IMAP_HOST"]:
        return None
    now, last = time.monotonic(), app.extensions.get("imap_polled_at")
    if last is not None and now - last < float(app.config["IMAP_POLL_SECONDS"]):
        return None
    app.extensions["imap_polled_at"] = now
    from .tickets.mail import imap  # imapclient only where a mailbox is polled

    report = imap.poll(imap.ImapSettings.from_config(app.config),
                       deliver=lambda raw: inbox.store(db.engine(), app.config, raw, "imap"))
    if report.stored and app.config["INBOUND_PROCESS_AT_ONCE"]:
        incoming.process_due(app)
    return report


def run_lane(app: Flask, lane: str) -> None:
    """One round of the jobs of ``lane``; a failing job is logged and does not stop the others.

    A database outage (locked, full, unreachable) is one warning a round, not
    a traceback every few seconds: the next round simply tries again.
    """
    with app.app_context():
        for name, job in LANES[lane]:
            try:
                job(app)
            except Exception as exc:
                if kind := db.outage(exc):
                    log.warning("background job %s waits for the next round: the database is %s (%s)",
                                name, kind, getattr(exc, "orig", exc))
                else:
                    log.exception("background job %s failed", name)


def run_jobs(app: Flask) -> None:
    """One round of every lane, one after the other (mail first: it is what people wait for)."""
    for lane in LANES:
        run_lane(app, lane)


class Worker:
    """One daemon thread per lane, each running it every WORKER_INTERVAL_SECONDS; restarted after a fork."""

    def __init__(self, app: Flask):
        self.app = app
        self.interval = float(app.config["WORKER_INTERVAL_SECONDS"])
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.pid: int | None = None
        self._lock = threading.Lock()

    def running(self) -> bool:
        return self.pid == os.getpid() and bool(self.threads) and all(t.is_alive() for t in self.threads)

    def ensure_running(self) -> None:
        if self.running():
            return
        with self._lock:
            if self.running():
                return
            if self.pid == os.getpid():
                self.stop(timeout=0)  # a lane died in this process: start them all afresh
            self.pid, self.stopping = os.getpid(), threading.Event()
            self.threads = [threading.Thread(target=self._loop, args=(lane, self.stopping),
                                             name=f"assistant-{lane}", daemon=True) for lane in LANES]
            for thread in self.threads:
                thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)

    def _loop(self, lane: str, stopping: threading.Event) -> None:
        log.info("background %s lane started (every %.1f s)", lane, self.interval)
        while not stopping.is_set():
            run_lane(self.app, lane)
            stopping.wait(self.interval)


def init_app(app: Flask) -> None:
    """The lanes, unless BACKGROUND_WORKER is off; ``processes.start`` starts them in the process that
    serves (never in a gunicorn master that forks), and each request re-checks they run."""
    if not app.config["BACKGROUND_WORKER"]:
        return
    worker = Worker(app)
    app.extensions["worker"] = worker
    app.before_request(worker.ensure_running)
