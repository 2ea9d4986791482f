"""The assistant as a web service: answers, escalates and serves.

``create_app`` is the factory that ``app.py``, gunicorn and the tests use.
"""
from __future__ import annotations

import secrets
import signal
import threading
from pathlib import Path
from typing import Any

from flask import Flask

from . import cli, db, errors, limits, logs, outbox, payments, tickets, worker
from .config import DEFAULTS, instance_path
from .knowledge import Knowledge


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then ASSISTANT_* variables, then ``config``."""
    config = dict(config or {})
    app = Flask(__name__, instance_path=str(instance_path(config.pop("INSTANCE", None))))
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ASSISTANT")
    app.config.update(config)
    app.json.ensure_ascii = False  # answers are in six scripts; keep them readable
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _instance_secret(Path(app.instance_path))

    errors.init_app(app)
    logs.init_app(app)
    limits.init_app(app)
    db.init_app(app)  # migrates the schema; safe when several workers start at once
    outbox.init_app(app)
    tickets.init_app(app)
    payments.init_app(app)  # the payment/PO status provider, if one is configured
    cli.init_app(app)
    _init_knowledge(app)
    _register_blueprints(app)
    worker.init_app(app)  # last: its loop uses everything above
    return app


def _init_knowledge(app: Flask) -> None:
    held = Knowledge(
        app.config["KNOWLEDGE"],
        app.config["INDEX"] or None,
        app.config["REQUIRED_LANGUAGES"].split(),
    )
    held.load()  # a broken base with no previous good index refuses to start
    app.extensions["knowledge"] = held
    if float(app.config["RELOAD_POLL_SECONDS"]) > 0:
        held.watch(float(app.config["RELOAD_POLL_SECONDS"]))
    if app.config["RELOAD_ON_SIGHUP"] and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=held.reload_if_changed, kwargs={"force": True}).start())


def _register_blueprints(app: Flask) -> None:
    from . import openapi_chat, openapi_tickets  # noqa: F401  (add their routes to the OpenAPI document)
    from .web import admin, agent, articles, ask, chat, decisions, docs, editors, feedback, health, payments, session, tickets

    for module in (ask, articles, health, docs, tickets, session, agent, decisions, admin, feedback, editors, chat, payments):
        app.register_blueprint(module.bp)


def _instance_secret(folder: Path) -> str:
    """A per-instance signing key, created once and kept in the instance folder."""
    path = folder / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
