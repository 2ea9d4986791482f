"""One definition per request: a JSON Schema that validates it and is its OpenAPI description.

Every JSON body and every query string the API reads is declared here
once, as JSON Schema 2020-12 (the dialect of OpenAPI 3.1).  ``read_body``
and ``read_query`` validate a request against its schema with
``jsonschema`` (about 40 µs a request, measured) and return the cleaned
values; ``openapi.py`` puts the same schemas in the document.  So the
document can never promise more or less than the server accepts.

Limits that come from configuration are written ``Setting("NAME")`` and
resolved with the app's configuration, so the document shows the
configured value.  Values are checked as sent and then cleaned: strings
trimmed (an empty optional string counts as absent), and put in the case
a property's ``x-case`` names (emails lower, country codes upper).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from flask import current_app, request

from indexer.languages import CODES

from .errors import ApiError
from .tickets.lifecycle import PRIORITIES, STATUSES
from .tickets.mail.inbox import STATES as INBOUND_STATES

# Characters no text field takes: C0 controls but tab and line breaks, DEL, NEL and the Unicode
# line and paragraph separators, written as the characters themselves (JSON carries them escaped).
# Lone surrogates are refused when the JSON is read (validation.json_body): a pattern that names
# them defeats the tools that generate requests from the document.  SPACE is what trimming removes;
# it is spelled out because "\\s" means more characters in Python's regular expressions than in
# ECMAScript's, the dialect JSON Schema patterns are written in.
_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029"
_LINE_BREAKS = "\r\n\t"
SPACE = " \t\n\r"


@dataclass(frozen=True)
class Setting:
    """A limit read from the app's configuration when a schema is resolved."""

    name: str


def text(max_chars: int | Setting, *, required: bool = False, single_line: bool = False,
         description: str | None = None) -> dict:
    """A string without control characters (nor line breaks when ``single_line``), not blank when required."""
    forbidden = _FORBIDDEN + (_LINE_BREAKS if single_line else "")
    pattern = f"^[^{forbidden}]*[^{SPACE}{forbidden}][^{forbidden}]*$" if required else f"^[^{forbidden}]*$"
    schema = {"type": "string", "maxLength": max_chars, "pattern": pattern}
    if required:
        schema["minLength"] = 1
    if description:
        schema["description"] = description
    return schema if required else {**schema, "type": ["string", "null"]}


def email(required: bool = False) -> dict:
    """An address; an optional one may also be empty (it counts as absent)."""
    part = f"[^@{SPACE}<>\"'{_FORBIDDEN}]"
    address = f"{part}{{1,64}}@{part}+\\.{part}{{2,}}"
    return {"type": "string" if required else ["string", "null"], "maxLength": 254,
            "pattern": f"^[{SPACE}]*{address}[{SPACE}]*$" if required else f"^[{SPACE}]*({address}[{SPACE}]*)?$",
            "x-message": "is not an email address",
            "x-case": "lower"}


def one_of(values, required: bool = False) -> dict:
    return {"enum": list(values) if required else [*values, None]}


def strings(max_items: int, max_chars: int) -> dict:
    """A list of short strings; a single string counts as a list of one."""
    item = text(max_chars, single_line=True) | {"type": "string"}
    return {**item, "type": ["array", "string"], "maxItems": max_items, "items": item}


def whole_number(low: int, high: int, default: int) -> dict:
    return {"type": "integer", "minimum": low, "maximum": high, "default": default}


@functools.cache
def country_codes() -> tuple[str, ...]:
    """ISO 3166 alpha-2 codes as CLDR (through Babel) knows them, upper case."""
    from babel import Locale

    return tuple(sorted(code for code in Locale("en").territories if len(code) == 2 and code.isalpha()))


LANG = one_of(CODES)
COUNTRY = {"enum": [*country_codes(), *(code.lower() for code in country_codes()), None], "description": "ISO 3166 alpha-2, the country where help is needed",
           "x-message": "must be an ISO 3166 alpha-2 country code such as FR or KR", "x-case": "upper"}
MESSAGE = 5000

BODIES: dict[str, dict] = {
    "AskRequest": {"required": ["question"], "properties": {
        "question": text(Setting("MAX_QUESTION_CHARS"), required=True, description="The supplier's words, as typed"),
        "lang": LANG | {"description": "The supplier's chosen language; decides only when the text cannot"},
        "email": email() | {"description": "With an email an unanswered question becomes a ticket at once"},
        "name": text(200, single_line=True),
        "country": COUNTRY,
    }},
    "FeedbackRequest": {"required": ["question_id", "helpful"], "properties": {
        "question_id": text(64, required=True, single_line=True),
        "helpful": {"type": "boolean"},
        "comment": text(1000),
    }},
    "NewTicket": {"required": ["email", "subject", "description"], "properties": {
        "email": email(required=True),
        "name": text(200, single_line=True),
        "subject": text(200, required=True, single_line=True),
        "description": text(MESSAGE, required=True),
        "lang": LANG,
        "country": COUNTRY,
        "supplier_name": text(200, single_line=True),
        "supplier_number": text(64, single_line=True),
        "category": text(64, single_line=True),
        "invoice_numbers": strings(20, 64),
        "po_numbers": strings(20, 64),
        "previous_number": {"type": ["string", "null"], "pattern": f"^[{SPACE}]*[Cc][Ss][0-9]{{7}}[{SPACE}]*$",
                            "description": "A closed ticket this one follows up", "x-message": "must look like CS0012345",
                            "x-case": "upper"},
        "question_id": text(24, single_line=True) | {
            "description": "The answer the supplier saw before raising this (from POST /api/v1/ask): "
                           "editors see it as answered, maybe wrongly"},
    }},
    "Reply": {"required": ["message"], "properties": {"message": text(MESSAGE, required=True)}},  # + attachments
    "Comment": {"properties": {"comment": text(MESSAGE)}},
    "RequiredComment": {"required": ["comment"], "properties": {"comment": text(MESSAGE, required=True)}},
    "SessionCode": {"required": ["email"], "properties": {"email": email(required=True), "lang": LANG}},
    "SessionOpen": {"required": ["email", "code"], "properties": {
        "email": email(required=True),
        "code": {"type": "string", "pattern": f"^[{SPACE}]*[0-9]{{6}}[{SPACE}]*$",
                 "x-message": "must be the 6 digits of the email"},
    }},
    "Priority": {"required": ["priority"], "properties": {"priority": one_of(PRIORITIES, required=True)}},
    "AgentMessage": {"required": ["message"], "properties": {
        "message": text(MESSAGE, required=True), "agent": text(80, single_line=True)}},
    "AgentNote": {"properties": {"message": text(MESSAGE), "agent": text(80, single_line=True)}},
    "TryDraft": {"properties": {
        "questions": strings(Setting("EDITOR_TRY_QUESTIONS"), Setting("MAX_QUESTION_CHARS")) | {
            "description": "Questions to ask of the live knowledge and of the draft's"},
        "sets": {"type": "boolean", "description": "Also the labelled sets and the recent log (default true)"}}},
    "PublishDraft": {"properties": {
        "confirm": {"type": "boolean", "description": "Publish even if a labelled question would go wrong"},
        "note": text(500, single_line=True)}},
    "RollbackArticle": {"required": ["version"], "properties": {
        "version": {"type": "integer", "minimum": 0, "maximum": 2147483647,
                    "description": "The article's revision to serve again (0: as before the editor)"},
        "note": text(500, single_line=True)}},
    "InboundApply": {"required": ["number"], "properties": {
        "number": {"type": "string", "pattern": "^[Cc][Ss][0-9]{7}$", "description": "The ticket the mail is a reply to"},
        "agent": text(80, single_line=True)}},
}

QUERIES: dict[str, dict] = {
    "ArticlesQuery": {"properties": {"lang": one_of(CODES, required=True) | {"default": "en"}}},
    "ReportQuery": {"properties": {
        "since": {"type": "string", "default": "30d",
                  "pattern": f"^[{SPACE}]*([0-9]{{1,6}}[hdw]|[1-9][0-9]{{3}}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))[{SPACE}]*$",
                  "description": "30d, 12h, 2w, or an ISO date", "x-message": "must look like 30d, 12h, 2w or 2026-11-01"},
        "lang": one_of(CODES, required=True),
    }},
    "AgentTicketsQuery": {"properties": {
        "status": one_of((*STATUSES, "active"), required=True),
        "priority": one_of(PRIORITIES, required=True),
        "email": email(required=True),
        "q": text(200, single_line=True) | {"type": "string"},
        "limit": whole_number(1, 200, 50),
        "offset": whole_number(0, 10**9, 0),
    }},
    "EditorArticlesQuery": {"properties": {
        "q": text(200, single_line=True) | {"type": "string", "description": "words of the id or a title"},
        "category": text(64, single_line=True) | {"type": "string"},
        "missing": one_of(CODES, required=True) | {"description": "only articles without this language"},
        "stale": one_of(("true", "false"), required=True) | {"description": "only articles with (or without) a stale translation"},
        "limit": whole_number(1, 500, 100),
        "offset": whole_number(0, 10**9, 0),
    }},
    "InboundQuery": {"properties": {
        "state": one_of(INBOUND_STATES, required=True),
        "limit": whole_number(1, 200, 50),
        "offset": whole_number(0, 10**9, 0),
    }},
    "PaymentsQuery": {"properties": {"invoice": text(64, single_line=True) | {"type": "string"},
                                     "po": text(64, single_line=True) | {"type": "string"}}},
}


def resolve(schema: Any, config: Mapping) -> Any:
    """``schema`` with every ``Setting`` replaced by its configured value."""
    if isinstance(schema, Setting):
        return int(config[schema.name])
    if isinstance(schema, dict):
        return {key: resolve(value, config) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolve(value, config) for value in schema]
    return schema


def body_schema(name: str, config: Mapping) -> dict:
    return {"type": "object", **resolve(BODIES[name], config)}


def query_parameters(name: str, config: Mapping) -> list[dict]:
    """OpenAPI parameters of a query schema (one per property)."""
    schema = resolve(QUERIES[name], config)
    return [{"name": key, "in": "query", "required": key in schema.get("required", ()), "schema": value}
            for key, value in schema["properties"].items()]


# --- reading requests -------------------------------------------------------


def read_body(name: str, data: dict) -> dict:
    """``data`` (a parsed JSON object or form) checked against ``name``; 422 naming the field, else clean values."""
    _check(_validator("body", name), data, status=422)
    return _clean(BODIES[name]["properties"], data)


def read_query(name: str) -> dict:
    """The query string checked against ``name``; 400 naming the parameter (an unknown one too: a
    misspelt filter must not silently list everything), else clean values with defaults."""
    properties = QUERIES[name]["properties"]
    unknown = sorted(set(request.args) - set(properties))
    if unknown:
        raise ApiError(400, f"Unknown query parameter {unknown[0]!r}; this takes: {', '.join(properties)}.",
                       field=unknown[0])
    data = {key: _number(request.args[key]) if properties[key].get("type") == "integer" else request.args[key]
            for key in request.args}
    _check(_validator("query", name), data, status=400)
    return {key: value.get("default") for key, value in properties.items()} | _clean(properties, data)


def _number(raw: str) -> int | str:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else raw


@functools.cache
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _ecma_pattern(validator, pattern: str, instance, schema):
    """``pattern`` as ECMAScript reads it, where ``$`` is the very end: Python's ``$`` also matches
    before a final line break, which would let "name\n" through a single-line field."""
    if not validator.is_type(instance, "string"):
        return
    match = _regex(pattern).search(instance)
    if match is None or (pattern.endswith("$") and match.end() != len(instance)):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})


def _validator(kind: str, name: str):
    """Compiled once per app and schema (limits come from the app's configuration)."""
    cache = current_app.extensions.setdefault("contract", {})
    if (kind, name) not in cache:
        source = BODIES[name] if kind == "body" else QUERIES[name]
        cache[(kind, name)] = Validator({"type": "object", **resolve(source, current_app.config)})
    return cache[(kind, name)]


def _check(validator, data: dict, status: int) -> None:
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: len(e.path))), None)
    if error is None:
        return
    field = _field(error)
    if field is None:
        raise ApiError(status, error.message)
    if field == "lang" and error.validator in ("enum", "type"):
        raise ApiError(status, f"Unknown language {error.instance!r}; use one of: {', '.join(CODES)}.",
                       "unknown_language", field=field)
    raise ApiError(status, _message(field, error), field=field)


def _field(error: jsonschema.ValidationError) -> str | None:
    if error.path:
        return str(error.path[0])
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return missing[0] if missing else None
    return None


def _message(field: str, error: jsonschema.ValidationError) -> str:
    schema, value = error.schema, error.instance
    if error.validator == "required":
        return f"'{field}' is required."
    if error.validator == "type":
        wanted = {"string": "a string", "boolean": "true or false", "integer": "a whole number", "array": "a list",
                  "object": "an object"}
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"'{field}' must be {' or '.join(wanted.get(k, k) for k in kinds if k != 'null')}."
    if schema.get("x-message") and error.validator in ("enum", "pattern"):
        return f"'{field}' {schema['x-message']}."
    if error.validator == "enum":
        return f"'{field}' must be one of: {', '.join(str(v) for v in error.validator_value if v is not None)}."
    if error.validator == "maxLength":
        return f"'{field}' is longer than {error.validator_value} characters."
    if error.validator == "minLength":
        return f"'{field}' must not be empty."
    if error.validator == "maxItems":
        return f"'{field}' takes at most {error.validator_value} items."
    if error.validator in ("minimum", "maximum"):
        return f"'{field}' must be a whole number from {schema.get('minimum')} to {schema.get('maximum')}."
    if error.validator == "pattern":
        blank = isinstance(value, str) and not value.strip()
        return f"'{field}' must not be empty." if blank else f"'{field}' contains characters that are not allowed here."
    return f"'{field}': {error.message}"


def _clean(properties: dict, data: dict) -> dict:
    """Trimmed strings (empty ones absent), emails lower case, countries upper case, lists trimmed."""
    clean = {}
    for key, value in data.items():
        if key not in properties:
            continue
        if isinstance(value, str):
            value = value.strip(SPACE) or None
            case = properties[key].get("x-case")  # the one spelling the server keeps
            if value and case:
                value = value.upper() if case == "upper" else value.lower()
        if properties[key].get("items") and not isinstance(value, (list, tuple)):  # a single string: one item
            value = () if value is None else (value,)
        if isinstance(value, (list, tuple)):
            value = tuple(item.strip(SPACE) for item in value if isinstance(item, str) and item.strip(SPACE))
        clean[key] = value
    return clean


def form_data(name: str) -> dict:
    """A multipart form in the shape of body ``name``: list fields as lists, the others as one value.

    A form has no null: clients that send one write the word "null"; where that word is not a
    valid value of the field (a ticket number, a language) it means the field is absent.
    """
    properties = BODIES[name]["properties"]
    form = {}
    for key in request.form:
        schema = properties.get(key, {})
        if "items" in schema:
            form[key] = request.form.getlist(key)
        else:
            value = request.form.get(key)
            form[key] = None if value == "null" and not Validator(resolve(schema, current_app.config)).is_valid(value) \
                else value
    return form
