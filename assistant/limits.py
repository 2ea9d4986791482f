"""Rate limits per client address, so one script cannot starve everyone else.

Counters live in memory by default (per worker); point RATE_LIMIT_STORAGE
at Redis to share them between gunicorn workers.  Over the limit the API
answers 429 in its usual error shape, with Retry-After.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


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


def init_app(app: Flask) -> None:
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATE_LIMIT_STORAGE"]
    # A moving window counts only the requests it lets through, so a client that waits
    # Retry-After gets in; a fixed window also counts the refused ones and can lock a
    # retrying client out for the rest of the window.
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.after_request(retry_after_at_least_one_second)  # registered first, so it runs after Flask-Limiter's
    app.after_request(an_outage_keeps_its_retry_after)  # likewise
    limiter.init_app(app)


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
