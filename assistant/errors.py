"""One error shape for the whole API: ``{"error": {"code", "message"}}``.

Every failure, ours or Werkzeug's, leaves as JSON with the right status;
a bug becomes a logged traceback and a plain 500 for the caller.  A
database that cannot serve right now (locked past the busy timeout, disk
full, unreachable: ``db.outage``) is the one place it becomes a 503 with
Retry-After, logged as a warning without a traceback, whatever the route.
"""
from __future__ import annotations

import errno
import logging

from flask import Flask, g, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from . import db

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error meant for the caller: a status, a stable code and a readable message."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None, **details):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.headers = headers or {}
        self.details = details

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        error.update(self.details)
        return {"error": error}


# What the caller is told per kind of outage, and how many seconds to wait before retrying.
OUTAGE_ANSWERS: dict[str, tuple[str, int]] = {
    "busy": ("The service is busy right now; nothing was saved. Please try again in a few seconds.", 5),
    "full": ("The service cannot store anything right now; nothing was saved. Please try again later.", 60),
    "unreachable": ("The service cannot reach its database right now; nothing was saved. "
                    "Please try again shortly.", 30),
}
FULL_DISK = (errno.ENOSPC, errno.EDQUOT)


def error_response(status: int, message: str, code: str | None = None, **details):
    return jsonify(ApiError(status, message, code, **details).to_dict()), status


def unavailable(kind: str, exc: BaseException):
    """The 503 for an outage of ``kind``; logged as one warning line (what failed, not a traceback)."""
    message, wait = OUTAGE_ANSWERS[kind]
    g.outage_retry_after = wait  # Flask-Limiter would put its own window's end here (``limits``)
    log.warning("%s %s answered 503: storage %s (%s: %s)", request.method, request.path, kind,
                type(exc).__name__, getattr(exc, "orig", None) or exc)
    return jsonify(ApiError(503, message).to_dict()), 503, {"Retry-After": str(wait)}


def internal_error(exc: BaseException):
    """A bug: the traceback goes to the log, a plain message to the caller."""
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "Something went wrong on our side; please try again.")


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return jsonify(exc.to_dict()), exc.status, exc.headers

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        response = error_response(status, exc.description or exc.name)
        if status == 405 and exc.valid_methods:
            response[0].headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    def database_error(exc: OperationalError):
        kind = db.outage(exc)
        return unavailable(kind, exc) if kind else internal_error(exc)

    @app.errorhandler(OSError)
    def os_error(exc: OSError):  # an attachment written to a full disk is the same outage
        return unavailable("full", exc) if exc.errno in FULL_DISK else internal_error(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        return internal_error(exc)
