"""Reading request input strictly, with an ``ApiError`` for every kind of bad input."""
from __future__ import annotations

import functools
import json
import re
from typing import Any

from flask import current_app, request

from indexer.languages import CODES, LANGUAGES

from .errors import ApiError

EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")


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
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")
_LINE_BREAK = re.compile("[\r\n\t]")


def text_field(
    data: dict, name: str, max_chars: int, required: bool = False, single_line: bool = False
) -> str | None:
    """A string field, trimmed; 422 if missing (when required), not text, empty or too long.

    Control characters are refused everywhere, and line breaks in
    ``single_line`` fields (names, subjects): they would end up in email
    headers.  Lone surrogates are refused: they are not text.
    """
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(422, f"'{name}' is required.", field=name)
        return None
    if not isinstance(value, str):
        raise ApiError(422, f"'{name}' must be a string.", field=name)
    value = value.strip()
    if required and not value:
        raise ApiError(422, f"'{name}' must not be empty.", field=name)
    if len(value) > max_chars:
        raise ApiError(422, f"'{name}' is longer than {max_chars} characters.", field=name)
    if _SURROGATE.search(value) or _CONTROL.search(value) or (single_line and _LINE_BREAK.search(value)):
        raise ApiError(422, f"'{name}' contains characters that are not allowed here.", field=name)
    return value or None


def language(value: Any, status: int = 422, name: str = "lang") -> str | None:
    """One of the six language codes, or None; anything else is an error."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in LANGUAGES:
        raise ApiError(status, f"Unknown language {value!r}; use one of: {', '.join(CODES)}.", "unknown_language", field=name)
    return value


def email_field(data: dict, name: str = "email", required: bool = False) -> str | None:
    value = text_field(data, name, 254, required)
    if value is not None and not EMAIL.match(value):
        raise ApiError(422, f"'{name}' is not an email address.", field=name)
    return value.lower() if value else None


def country_field(data: dict, name: str = "country") -> str | None:
    """An ISO 3166 alpha-2 code (upper case), checked against CLDR's territory list."""
    value = text_field(data, name, 2)
    if value is None:
        return None
    value = value.upper()
    if value not in countries():
        raise ApiError(422, f"'{name}' must be an ISO 3166 alpha-2 country code such as FR or KR.", field=name)
    return value


@functools.cache
def countries() -> frozenset[str]:
    from babel import Locale

    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


def choice_field(data: dict, name: str, choices: tuple[str, ...], required: bool = False) -> str | None:
    """One of ``choices``; 422 naming them otherwise."""
    value = text_field(data, name, max(len(c) for c in choices), required)
    if value is not None and value not in choices:
        raise ApiError(422, f"'{name}' must be one of: {', '.join(choices)}.", field=name)
    return value


def string_list(data: dict, name: str, max_items: int, max_chars: int) -> tuple[str, ...]:
    """A list of short strings (a single string counts as one); empty items are dropped."""
    value = data.get(name)
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ApiError(422, f"'{name}' must be a list of strings.", field=name)
    items = [item.strip() for item in items if item.strip()]
    if len(items) > max_items or any(len(item) > max_chars for item in items):
        raise ApiError(422, f"'{name}' takes at most {max_items} items of {max_chars} characters.", field=name)
    return tuple(items)
