"""Rate limits per client address, so one script cannot starve everyone else.

Counters live in memory by default (per worker); point RATE_LIMIT_STORAGE
at Redis to share them between gunicorn workers.  Over the limit the API
answers 429 in its usual error shape, with Retry-After.
"""
from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def ask_limit() -> str:
    return current_app.config["RATE_LIMIT_ASK"]


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
    limiter.init_app(app)


def retry_after_at_least_one_second(response):
    """Flask-Limiter rounds the wait down, so near the end of a window it says "Retry-After: 0";
    a client that believes it retries at once, is refused again, and gives up."""
    if response.status_code == 429 and response.headers.get("Retry-After", "").strip() in ("0", ""):
        response.headers["Retry-After"] = "1"
    return response
