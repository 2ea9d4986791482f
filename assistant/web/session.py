"""Supplier sessions over the API: ask for a one-time code, trade it for a session, end it."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify

from .. import db, sessions
from ..contract import read_body
from ..limits import limiter
from ..validation import json_body

bp = Blueprint("session", __name__, url_prefix="/api/v1/session")


def session_limit() -> str:
    return current_app.config["RATE_LIMIT_SESSION"]


@bp.post("/code")
@limiter.limit(session_limit)
def send_code():
    """Email a 6-digit code to the address; 202 whether or not it has tickets."""
    data = read_body("SessionCode", json_body())
    email, lang = data["email"], data.get("lang") or "en"
    sessions.send_code(db.engine(), email, lang, current_app.config)
    minutes = int(current_app.config["SESSION_CODE_MINUTES"])
    return jsonify({"sent": True, "expires_in": minutes * 60}), 202


@bp.post("")
@limiter.limit(session_limit)
def open_session():
    """Check the code; on success the session cookie proves the address."""
    data = read_body("SessionOpen", json_body())
    email, code = data["email"], data["code"]
    sessions.check_code(db.engine(), email, code, current_app.config)
    until = sessions.open_session(email)
    expires = dt.datetime.fromtimestamp(until, dt.timezone.utc).isoformat(timespec="seconds")
    return jsonify({"email": email, "expires_at": expires})


@bp.delete("")
def close_session():
    sessions.close_session()
    return "", 204
