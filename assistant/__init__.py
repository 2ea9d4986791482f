"""The assistant as a web service: answers, escalates and serves.

``create_app`` is the factory that ``app.py``, gunicorn and the tests use.
"""
from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from . import auth, cli, db, errors, limits, logs, payments, processes, questions, sealing, worker
from .tickets import outbox, store as ticket_store
from .tickets.mail import outgoing as notifications
from .config import DEFAULTS, instance_path


SECRET_SETTINGS = ("SECRET_KEY", "MAIL_KEY", "ADMIN_TOKEN", "AGENT_TOKEN", "WEBHOOK_SECRET", "SMTP_PASSWORD",
                   "SMTP_USERNAME")


def create_app(config: dict[str, Any] | None = None, serving: bool = True) -> Flask:
    """Build the app: defaults, then instance/config.py, then ASSISTANT_* variables, then ``config``.

    ``serving=False`` is the app of the operators' commands that need no knowledge
    (``python -m assistant tickets|outbox|mail``): database, tickets, mail and events,
    but no knowledge, routes or threads, so a cron job starts in a fraction of a second
    instead of loading (and importing the engine of) an index it never reads.
    """
    config = dict(config or {})
    app = Flask(__name__, instance_path=str(instance_path(config.pop("INSTANCE", None))))
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ASSISTANT")
    app.config.update(config)
    app.json.ensure_ascii = False  # answers are in six scripts; keep them readable
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    for key in SECRET_SETTINGS:  # ASSISTANT_AGENT_TOKEN=123 arrives as a number: a secret is text
        if app.config.get(key) is not None and not isinstance(app.config[key], str):
            app.config[key] = str(app.config[key])
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _instance_secret(Path(app.instance_path))
    app.config["MAIL_KEY"] = (app.config["MAIL_KEY"]
                              or _instance_secret(Path(app.instance_path), "mail_key", sealing.new_key))

    errors.init_app(app)
    logs.init_app(app)
    auth.init_app(app)  # refuses cross-site writes before anything else reads the request
    limits.init_app(app)
    db.init_app(app)  # migrates the schema; safe when several workers start at once
    questions.init_app(app)  # the question log's writer
    notifications.init_app(app)  # checks MAIL_KEY, seals mail an older version kept in clear
    outbox.init_app(app)
    ticket_store.init_app(app)
    payments.init_app(app)  # the payment/PO status provider, if one is configured
    if not serving:
        return app
    cli.init_app(app)
    init_knowledge(app)
    _register_blueprints(app)
    from . import metrics  # a serving app's: the operators' commands need no prometheus_client

    metrics.init_app(app)  # after the knowledge: it watches the version served and failed reloads
    worker.init_app(app)  # its loop uses everything above
    processes.init_app(app)  # last: starts the threads, here or in each forked worker
    return app


def init_knowledge(app: Flask) -> None:
    """Load the knowledge the app serves (KNOWLEDGE_SOURCE); also what the editors' import command publishes onto."""
    from indexer.semantic import EmbeddingCache  # the engine: imported by an app that serves, not by cron

    from . import sources
    from .knowledge import Knowledge, warm_up

    embeddings = None
    if app.config["SEMANTIC"]:
        if int(app.config["SEMANTIC_THREADS"] or 0):  # read when the encoder first loads in this process
            os.environ.setdefault("ASSISTANT_SEMANTIC_THREADS", str(app.config["SEMANTIC_THREADS"]))
        embeddings = EmbeddingCache(app.config["EMBEDDING_CACHE"] or Path(app.instance_path) / "embeddings")
    held = Knowledge(
        app.config["KNOWLEDGE"],
        app.config["INDEX"] or None,
        app.config["REQUIRED_LANGUAGES"].split(),
        embeddings,
        int(app.config["ANSWER_CACHE_SIZE"]),
        source=sources.from_config(app, embeddings),  # KNOWLEDGE_SOURCE: the folder, or the database's version
    )
    held.load()  # a broken base with no previous good index refuses to start
    app.extensions["knowledge"] = held
    if app.config["WARM_UP"]:  # a gunicorn master: its workers share the models instead of each loading them
        warm_up(bool(app.config["SEMANTIC"]))


def _register_blueprints(app: Flask) -> None:
    from . import openapi_chat, openapi_editor, openapi_tickets  # noqa: F401  (add their routes to the OpenAPI document)
    from .web import (admin, agent, articles, ask, chat, decisions, docs, editor_api, editors, feedback, health, inbound,
                      payments, session, tickets)

    for module in (ask, articles, health, docs, tickets, session, agent, decisions, admin, feedback, editors, chat, payments,
                   inbound, editor_api):
        app.register_blueprint(module.bp)


def _instance_secret(folder: Path, name: str = "secret_key",
                     make: Callable[[], str] = lambda: secrets.token_hex(32)) -> str:
    """A per-instance key (the signing key, the mail key), created once and kept in the instance folder.

    Several gunicorn workers may start on a new instance at once: the file
    is created exclusively (O_EXCL) by one of them, fully written, and the
    others wait until they can read a non-empty key.
    """
    path = folder / name
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return _wait_for_secret(path)
    with os.fdopen(handle, "w") as file:
        file.write(make())
        file.flush()
        os.fsync(file.fileno())
    return path.read_text().strip()


def _wait_for_secret(path: Path, seconds: float = 10.0) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.05)
    raise RuntimeError(f"{path} stays empty; delete it and start again")
