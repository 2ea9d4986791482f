"""One structured (JSON) log line per request, without personal data.

The line carries method, path, status, milliseconds and, for questions, the
answer language and whether it was answered.  Question text and email
addresses never reach the info level.
"""
from __future__ import annotations

import json
import logging
import time

from flask import Flask, g, request

log = logging.getLogger("assistant.requests")


def init_app(app: Flask) -> None:
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s [%(process)d] %(name)s %(message)s")

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response):
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
        }
        fields.update(g.get("log_fields", {}))
        log.info(json.dumps(fields, ensure_ascii=False))
        return response
