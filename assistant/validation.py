"""Reading a JSON body strictly: the right media type, a bounded size, an object.

What each body may contain is the contract's (``contract.py``).
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import current_app, request

from .errors import ApiError

_SURROGATE = re.compile("[\ud800-\udfff]")

def json_body() -> dict[str, Any]:
    """The request's JSON object; 415 for another media type, 413 if too big, 400 if malformed."""
    if not request.is_json:
        raise ApiError(415, "Send the body as JSON with Content-Type: application/json.")
    limit = current_app.config["MAX_JSON_BYTES"]
    if (request.content_length or 0) > limit:
        raise ApiError(413, f"The JSON body is larger than {limit} bytes.")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(413, f"The JSON body is larger than {limit} bytes.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}", "bad_json") from None
    except RecursionError:
        raise ApiError(400, "The body is not valid JSON: nested too deeply.", "bad_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The JSON body must be an object.", "bad_json")
    if _has_lone_surrogate(data):
        raise ApiError(400, "The body is not valid JSON text: it escapes a lone surrogate (\\ud800-\\udfff).",
                       "bad_json")
    return data


def _has_lone_surrogate(value: Any) -> bool:
    """A \\udXXX escape without its pair: JSON parsers accept it, but it is not text (RFC 8259, 8.2)."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False
