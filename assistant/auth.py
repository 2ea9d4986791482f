"""Bearer-token guards for the staff sides of the API (agents, editors/admins).

Tokens come from configuration and are compared in constant time; an empty
token turns that side off (every request gets 401) rather than opening it.
Wrong staff credentials are counted per client address and, past
RATE_LIMIT_STAFF_FAILURES, answered 429 with Retry-After and logged; a
correct token is never counted nor refused.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, request, session
from flask_limiter.util import get_remote_address
from limits import parse_many

from .editors import accounts
from .editors.accounts import Editor
from .errors import ApiError
from .limits import count

log = logging.getLogger(__name__)


def token_matches(config_key: str, given: str) -> bool:
    """``given`` equals the configured token (never true while the token is unset)."""
    expected = str(current_app.config.get(config_key) or "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def bearer_token_valid(config_key: str) -> bool:
    """The request carries ``Bearer <config[config_key]>``; a wrong one presented counts as a failure."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token_matches(config_key, given):
        return True
    if "Authorization" in request.headers:
        count_staff_failure(config_key)
    return False


def require_bearer(config_key: str) -> Callable[[], None]:
    """A ``before_request`` hook that refuses requests without ``Bearer <config[config_key]>``."""

    def guard() -> None:
        if not bearer_token_valid(config_key):
            raise ApiError(401, f"This API needs 'Authorization: Bearer <{config_key}>'.")

    return guard


STAFF_FAILURES_SCOPE = "staff-auth-failures"


def count_staff_failure(credential: str) -> None:
    """Count one wrong staff credential from this client; raise 429 once its budget is spent.

    The counters live in the rate limiter's storage (``limits.count``): in
    Redis, shared by every worker and replica, when REDIS_URL is set; in
    this process's memory otherwise, or while Redis is down.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):  # limits turned off: count nothing
        log.warning("wrong %s from %s", credential, get_remote_address())
        return
    address = get_remote_address()
    windows = [count(item, STAFF_FAILURES_SCOPE, address)
               for item in parse_many(current_app.config["RATE_LIMIT_STAFF_FAILURES"])]
    spent = [window for window in windows if not window.allowed]
    log.warning("wrong %s from %s%s", credential, address, " (throttled)" if spent else "")
    if spent:
        wait = max(1, math.ceil(max(window.reset_at for window in spent) - time.time()))
        raise ApiError(429, f"Too many wrong credentials from this address; try again in {wait} s.",
                       headers={"Retry-After": str(wait)})


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EDITOR_SESSION = "editor"  # the session key of a signed-in editor


def refuse_cross_site_writes() -> None:
    """A browser's write from another site is refused (CSRF), whatever cookie it carries.

    Browsers send ``Origin`` with every cross-origin POST; it must name this
    host.  Clients that send no Origin (servers, curl) are not browsers
    riding on a supplier's or editor's cookie, so they pass.
    """
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if origin == "null" or urlsplit(origin).netloc.lower() != request.host.lower():
        raise ApiError(403, "Requests from another site are not accepted.", "cross_site")


def editor_fingerprint() -> str:
    """Ties an editors' session to the admin token it was opened with: changing the token ends it."""
    token = current_app.config.get("ADMIN_TOKEN") or ""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), token.encode(), hashlib.sha256).hexdigest()[:32]


def open_editor_session(editor: Editor | None = None) -> None:
    """Sign in: with ADMIN_TOKEN (``editor`` None, the page's automation identity) or as a named editor."""
    session.clear()
    if editor is None:
        session[EDITOR_SESSION] = {"token": editor_fingerprint(), "since": int(time.time())}
        return
    key = accounts.fingerprint(current_app.extensions["db"], editor.name, current_app.config["SECRET_KEY"])
    session[EDITOR_SESSION] = {"editor": editor.name, "key": key, "since": int(time.time())}


def signed_in_editor() -> Editor | None:
    """The named editor of this session, if it is fresh and their account, role and password are unchanged."""
    held = session.get(EDITOR_SESSION)
    if not isinstance(held, dict) or "editor" not in held or not _fresh(held):
        return None
    engine, name = current_app.extensions["db"], str(held["editor"])
    key = accounts.fingerprint(engine, name, current_app.config["SECRET_KEY"])
    return accounts.get(engine, name) if key and hmac.compare_digest(str(held.get("key", "")), key) else None


def _fresh(held: dict) -> bool:
    return time.time() - held.get("since", 0) < float(current_app.config["EDITOR_SESSION_HOURS"]) * 3600


def editor_session_valid() -> bool:
    """Signed in less than EDITOR_SESSION_HOURS ago, with the current admin token or as a named editor still enabled."""
    held = session.get(EDITOR_SESSION)
    if not isinstance(held, dict):
        return False
    if "editor" in held:
        return signed_in_editor() is not None
    if not current_app.config.get("ADMIN_TOKEN"):
        return False
    return _fresh(held) and hmac.compare_digest(str(held.get("token", "")), editor_fingerprint())


def init_app(app: Flask) -> None:
    app.before_request(refuse_cross_site_writes)
