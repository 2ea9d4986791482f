"""Gunicorn settings for the assistant: ``gunicorn -c gunicorn.conf.py -w 4 -b 0.0.0.0:8000``.

Kept small on purpose; each setting says why it is here.

Preload: the master builds the app once (index, Kiwi, lingua) and forks the
workers from it, which share those pages; the master starts no thread and
closes its database connections before each fork, and each worker starts
its own threads after it (``assistant/processes.py``).

Metrics: every worker counts its own requests, so prometheus_client's
multiprocess mode is on under gunicorn (``/metrics`` then sums all workers,
whichever answers the scrape).  It needs one folder per server, given as
PROMETHEUS_MULTIPROC_DIR or, if unset, a fresh one in the temporary folder
named after this master's pid (so two servers on one host never mix their
files) and removed when the master exits.  Old ``*.db`` files in it are
removed at start: counters start from zero with the server.
"""
import os
import tempfile
from pathlib import Path

wsgi_app = "app:create_app()"  # a WSGI app named on the command line still wins
preload_app = True
os.environ.setdefault("ASSISTANT_START_THREADS", "false")  # the master's app: its workers start the threads
os.environ.setdefault("ASSISTANT_WARM_UP", "true")  # Kiwi, lingua, the encoder's weights: loaded once, in the master

# Set before the app (and prometheus_client) is imported anywhere: the library picks its
# multiprocess mode at import, in the master with preload_app, in each worker otherwise.
_made_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
METRICS_DIR = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"procuree-metrics-{os.getpid()}")))
METRICS_DIR.mkdir(parents=True, exist_ok=True)
for _stale in METRICS_DIR.glob("*.db"):  # a previous server's counts are not this one's
    _stale.unlink()


def when_ready(server):
    """A master that preloaded the app serves nothing: its gauges are no worker's."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(os.getpid())


def pre_fork(server, worker):
    """Before each fork: no pooled connection or running thread may be inherited (``processes.before_fork``)."""
    if server.cfg.preload_app:
        from assistant import processes

        processes.before_fork(server.app.wsgi())


def post_worker_init(worker):
    """Each worker starts its own threads: the knowledge watcher and embedder, the background lanes."""
    from assistant import processes

    processes.start(worker.wsgi)


def child_exit(server, worker):
    """A worker that ended (restart, crash, max_requests) no longer serves a version: drop its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder this file made; one the operator named is left in place."""
    if _made_metrics_dir:
        for path in METRICS_DIR.glob("*.db"):
            path.unlink()
        METRICS_DIR.rmdir()
