"""Rate limits per client address, so one script cannot starve everyone else.

Counters live in this process's memory by default.  With REDIS_URL set they
live in Redis and hold across every gunicorn worker and every replica: the
route limits (Flask-Limiter) and the wrong staff credentials (``count``,
for ``auth``) alike; RATE_LIMIT_STORAGE, when set, names another storage
for both.  Over a limit the API answers 429 in its usual error shape, with
Retry-After.  The other budgets (tickets per address, codes per address,
guesses per code) are counted in the database, so they are shared already.

When Redis goes down mid-service nothing fails: counting goes on in this
process's memory (logged as a warning), and Redis is tried again (with a
backoff for the route limits, at each count for staff failures) and used
again once it answers.  The storage's connect and read timeouts are short
(``REDIS_TIMEOUT_SECONDS``) so an unreachable host costs a request little.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)

REDIS_TIMEOUT_SECONDS = 0.5  # connect and read: a Redis that does not answer is "down" after this


def ask_limit() -> str:
    return current_app.config["RATE_LIMIT_ASK"]


def tickets_limit() -> str:
    return current_app.config["RATE_LIMIT_TICKETS"]


# One budget per client for everything that creates or changes a ticket, and so sends mail:
# raising one, replying, accepting, rejecting, and an unanswered question asked with an email.
tickets_budget = limiter.shared_limit(tickets_limit, scope="tickets")
asks_with_email_budget = limiter.shared_limit(tickets_limit, scope="tickets", exempt_when=lambda: not _asks_with_email())


def _asks_with_email() -> bool:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested too deeply: the view answers 400
        return False
    return isinstance(data, dict) and bool(data.get("email"))


def storage_uri(config) -> str:
    """Where counters live: RATE_LIMIT_STORAGE if set, else REDIS_URL (the one switch), else this process."""
    return str(config.get("RATE_LIMIT_STORAGE") or config.get("REDIS_URL") or "memory://")


def init_app(app: Flask) -> None:
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    if not app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                                                           "socket_timeout": REDIS_TIMEOUT_SECONDS})
    # A moving window counts only the requests it lets through, so a client that waits
    # Retry-After gets in; a fixed window also counts the refused ones and can lock a
    # retrying client out for the rest of the window.
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "")
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)  # storage down: count in this process
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # and never turn a storage error into a 500
    app.after_request(retry_after_at_least_one_second)  # registered first, so it runs after Flask-Limiter's
    app.after_request(an_outage_keeps_its_retry_after)  # likewise
    app.extensions["limits_fallback"] = MovingWindowRateLimiter(MemoryStorage())
    _forget_previous_app()
    limiter.init_app(app)


def _forget_previous_app() -> None:
    """Flask-Limiter keeps some per-app state on the one ``limiter`` every view is decorated with:
    the key prefix of the first app that set one, and "storage dead" after an outage.  A second
    app in the same process (the tests make many) must start from its own settings."""
    limiter._key_prefix = ""
    limiter._storage_dead = False


@dataclass(frozen=True)
class Window:
    """One counted hit: whether it was within the limit, and when that limit's window frees a slot."""

    allowed: bool
    reset_at: float  # Unix time; only meaningful when not allowed


def count(item: RateLimitItem, scope: str, key: str) -> Window:
    """Count one hit of ``key`` against ``item`` in the app's storage (shared through Redis when set).

    Used for counts that are not a route's limit (wrong staff credentials).  The
    key carries RATELIMIT_KEY_PREFIX like Flask-Limiter's own keys.  If the storage
    cannot be reached, the hit is counted in this process's memory instead and
    the failure logged: a Redis outage never refuses a request by itself.
    """
    identifiers = [part for part in (current_app.config.get("RATELIMIT_KEY_PREFIX"), scope, key) if part]
    try:
        return _count(limiter.limiter, item, identifiers)
    except Exception as exc:  # redis.ConnectionError, TimeoutError, limits' StorageError...
        log.warning("rate limit storage unreachable (%s: %s); counting %s in this process",
                    type(exc).__name__, exc, scope)
        return _count(current_app.extensions["limits_fallback"], item, identifiers)


def _count(strategy, item: RateLimitItem, identifiers: list[str]) -> Window:
    if strategy.hit(item, *identifiers):
        return Window(True, 0.0)
    return Window(False, strategy.get_window_stats(item, *identifiers).reset_time)


def retry_after_at_least_one_second(response):
    """Flask-Limiter rounds the wait down, so near the end of a window it says "Retry-After: 0";
    a client that believes it retries at once, is refused again, and gives up."""
    if response.status_code == 429 and response.headers.get("Retry-After", "").strip() in ("0", ""):
        response.headers["Retry-After"] = "1"
    return response


def an_outage_keeps_its_retry_after(response):
    """Flask-Limiter sets Retry-After on every limited response to the end of its window (60 s for
    "per minute"), even when the client is nowhere near the limit; a 503 for a database outage
    (``errors.unavailable``) says how long that outage is worth waiting for, and that wins."""
    wait = g.get("outage_retry_after")
    if response.status_code == 503 and wait:
        response.headers["Retry-After"] = str(wait)
    return response
