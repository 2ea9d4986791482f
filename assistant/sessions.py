"""Supplier sessions: prove an email address with a one-time code, then see its tickets.

The code is 6 random digits, valid SESSION_CODE_MINUTES (10), with
SESSION_CODE_ATTEMPTS (5) guesses; only its HMAC (keyed with SECRET_KEY,
so a copy of the database does not reveal it) is stored.  A proven address
is kept in Flask's session: a cookie signed by itsdangerous with
SECRET_KEY, HttpOnly and SameSite=Lax, that expires after
SUPPLIER_SESSION_MINUTES.  The cookie is signed, not encrypted: it holds
only the address its owner typed and the expiry time.  The code itself
travels only in its email, sealed under MAIL_KEY until sent (``sealing``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time

from flask import current_app, session
from sqlalchemy import Engine, func, select, update

from . import db
from .tickets.mail import outgoing as notifications
from .errors import ApiError

SESSION_KEY = "supplier"


def code_hash(secret: str, email: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{email}\n{code}".encode(), hashlib.sha256).hexdigest()


def send_code(engine: Engine, email: str, lang: str, config, now: dt.datetime | None = None) -> None:
    """Queue a new code for ``email`` (earlier codes stop working); 429 past the hourly limit."""
    now, codes = now or db.utcnow(), db.session_codes
    hour_ago = now - dt.timedelta(hours=1)
    with engine.connect() as conn:
        recent = conn.execute(select(func.count()).select_from(codes)
                              .where((codes.c.email == email) & (codes.c.created_at > hour_ago))).scalar_one()
    if recent >= int(config["SESSION_CODES_PER_HOUR"]):
        raise ApiError(429, "Too many codes were requested for this address; try again in an hour.")
    code, minutes = f"{secrets.randbelow(10**6):06d}", int(config["SESSION_CODE_MINUTES"])
    with engine.begin() as conn:
        conn.execute(update(codes).where((codes.c.email == email) & codes.c.used_at.is_(None)
                                         & (codes.c.expires_at > now)).values(expires_at=now))
        conn.execute(codes.insert().values(email=email, code_hash=code_hash(config["SECRET_KEY"], email, code),
                                           expires_at=now + dt.timedelta(minutes=minutes), attempts=0, created_at=now))
        mail = notifications.compose("session_code", lang, email, code=code, minutes=minutes)
        notifications.queue(conn, mail, now, config["MAIL_KEY"], config["MAIL_FROM"])


def check_code(engine: Engine, email: str, code: str, config, now: dt.datetime | None = None) -> None:
    """Use up ``code`` for ``email``, or raise: 401 wrong or expired, 429 out of attempts."""
    now, codes = now or db.utcnow(), db.session_codes
    limit = int(config["SESSION_CODE_ATTEMPTS"])
    with engine.connect() as conn:
        row = conn.execute(select(codes).where((codes.c.email == email) & codes.c.used_at.is_(None)
                                               & (codes.c.expires_at > now))
                           .order_by(codes.c.id.desc()).limit(1)).first()
    if row is None:
        raise ApiError(401, "There is no valid code for this address; ask for a new one.", "code_expired")
    with engine.begin() as conn:  # count the guess first, atomically: parallel guesses share the budget
        counted = conn.execute(update(codes).where((codes.c.id == row.id) & (codes.c.attempts < limit)
                                                   & codes.c.used_at.is_(None))
                               .values(attempts=codes.c.attempts + 1)).rowcount
    if not counted:
        raise ApiError(429, "Too many wrong codes; ask for a new one.", "too_many_attempts")
    if not hmac.compare_digest(code_hash(config["SECRET_KEY"], email, code), row.code_hash):
        left = limit - row.attempts - 1
        raise ApiError(401, f"Wrong code; {left} attempt(s) left.", "wrong_code", attempts_left=max(left, 0))
    with engine.begin() as conn:
        used = conn.execute(update(codes).where((codes.c.id == row.id) & codes.c.used_at.is_(None))
                            .values(used_at=now)).rowcount
    if not used:
        raise ApiError(401, "This code was already used; ask for a new one.", "code_expired")


def open_session(email: str) -> int:
    """Remember the proven address in the signed session cookie; returns its expiry (Unix time)."""
    until = int(time.time()) + 60 * int(current_app.config["SUPPLIER_SESSION_MINUTES"])
    session.clear()
    session[SESSION_KEY] = {"email": email, "until": until}
    session.permanent = True
    return until


def current_email() -> str | None:
    """The address proven in this request's session, if it has not expired."""
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict) or held.get("until", 0) < time.time():
        return None
    return held.get("email")


def close_session() -> None:
    session.pop(SESSION_KEY, None)
