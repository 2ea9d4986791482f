"""Probes for load balancers: /healthz (alive) and /readyz (able to answer)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .. import db
from ..knowledge import knowledge

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    held = knowledge()
    checks = {"index": held.ready, "database": db.ping()}
    body = {"status": "ready" if all(checks.values()) else "not_ready", "checks": checks}
    if held.ready:
        body["knowledge_version"] = held.current().version
    if held.last_error:  # details (file paths, editors' text) are for /api/v1/admin/status only
        body["knowledge_errors"] = len(held.last_error)
    return jsonify(body), 200 if all(checks.values()) else 503
