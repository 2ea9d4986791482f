"""One error shape for the whole API: ``{"error": {"code", "message"}}``.

Every failure, ours or Werkzeug's, leaves as JSON with the right status;
a bug becomes a logged traceback and a plain 500 for the caller.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

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


def error_response(status: int, message: str, code: str | None = None, **details):
    return jsonify(ApiError(status, message, code, **details).to_dict()), status


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

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "Something went wrong on our side; please try again.")
