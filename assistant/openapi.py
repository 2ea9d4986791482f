"""The OpenAPI 3.1 description of the public API, served at /api/v1/openapi.json.

Schemas are JSON Schema (2020-12), so the tests validate real responses
against them with ``jsonschema``: the document cannot drift from the code
without a test failing.
"""
from __future__ import annotations

from collections.abc import Mapping

from indexer.languages import CODES

from . import contract
from .config import DEFAULTS

LANG = {"type": "string", "enum": list(CODES)}
NULLABLE_STRING = {"type": ["string", "null"]}


def _error_response(description: str) -> dict:
    return {"description": description, "content": _json("Error")}


def _json(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


ERRORS = {
    "400": _error_response("Malformed JSON or query parameter"),
    "413": _error_response("Body too large"),
    "415": _error_response("Body is not JSON"),
    "422": _error_response("A field is missing, of the wrong type, empty or too long"),
    "429": _error_response("Too many requests; see Retry-After"),
    "500": _error_response("Server error"),
}

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Candidate": {
        "type": "object",
        "required": ["article_id", "title", "confidence"],
        "properties": {
            "article_id": {"type": "string"},
            "title": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
    },
    "Answer": {
        "type": "object",
        "required": [
            "answered", "outcome", "lang", "detected_lang", "article_id", "title", "answer", "answer_html",
            "confidence", "candidates", "suggestions", "ticket", "escalation", "question_id",
        ],
        "properties": {
            "answered": {"type": "boolean"},
            "outcome": {
                "enum": ["answered", "suggested", "escalated"],
                "description": "answered: the article is the answer. suggested: unsure but close; offer `suggestions` "
                               "as \"did you mean\" and a ticket. escalated: nothing close; offer a ticket.",
            },
            "lang": {**LANG, "description": "The language the answer is in."},
            "detected_lang": {"type": ["string", "null"], "enum": [*CODES, None]},
            "article_id": NULLABLE_STRING,
            "title": NULLABLE_STRING,
            "answer": {**NULLABLE_STRING, "description": "Markdown"},
            "answer_html": {**NULLABLE_STRING, "description": "Sanitised HTML"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "candidates": {"type": "array", "maxItems": 5, "items": {"$ref": "#/components/schemas/Candidate"}},
            "suggestions": {"type": "array", "maxItems": 3, "items": {"$ref": "#/components/schemas/Candidate"},
                            "description": "The \"did you mean\" articles: set when outcome is suggested, else empty."},
            "ticket": {"type": ["object", "null"]},
            "question_id": {"type": "string", "description": "Pass to /api/v1/feedback"},
            "escalation": {
                "type": ["object", "null"],
                "properties": {"needs": {"type": "array", "items": {"type": "string"}}},
            },
        },
    },
    "Feedback": {
        "type": "object",
        "required": ["question_id", "helpful", "article_id", "lang", "offer_ticket"],
        "properties": {
            "question_id": {"type": "string"},
            "helpful": {"type": "boolean"},
            "article_id": NULLABLE_STRING,
            "lang": LANG,
            "offer_ticket": {"type": "boolean", "description": "True after a 'no': the chat offers a ticket"},
        },
    },
    "ArticleList": {
        "type": "object",
        "required": ["lang", "version", "articles"],
        "properties": {
            "lang": LANG,
            "version": {"type": "string"},
            "articles": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "category"],
                    "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "category": {"type": "string"}},
                },
            },
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "category", "lang", "languages", "title", "questions", "body", "body_html"],
        "properties": {
            "id": {"type": "string"},
            "category": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "updated": NULLABLE_STRING,
            "lang": LANG,
            "languages": {"type": "array", "items": LANG},
            "title": {"type": "string"},
            "questions": {"type": "array", "items": {"type": "string"}},
            "body": {"type": "string"},
            "body_html": {"type": "string"},
        },
    },
    "AdminStatus": {
        "type": "object",
        "required": ["version", "loaded_at", "source", "articles", "languages", "semantic", "errors", "error_at"],
        "properties": {
            "version": {"type": "string"},
            "loaded_at": {"type": "string"},
            "source": {"type": "string"},
            "articles": {"type": "integer"},
            "languages": {"type": "array", "items": LANG},
            "semantic": {"type": "boolean", "description": "The articles' embeddings are ready (else words alone answer)"},
            "errors": {"type": "array", "items": {"type": "string"}},
            "error_at": NULLABLE_STRING,
        },
    },
    "AdminReport": {
        "type": "object",
        "required": ["since", "version", "gaps", "doubtful", "articles", "daily", "languages"],
        "properties": {
            "since": {"type": "string"},
            "version": {"type": "string"},
            "languages": {"type": "array", "items": LANG},
            "gaps": {"type": "array", "items": {
                "type": "object",
                "required": ["lang", "suppliers", "questions", "examples", "wordings", "closest_article", "closest_title",
                             "confidence"],
                "properties": {
                    "lang": LANG, "suppliers": {"type": "integer"}, "questions": {"type": "integer"},
                    "examples": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                    "wordings": {"type": "array", "items": {"type": "string"}, "maxItems": 20,
                                 "description": "Distinct wordings, the central one first: an article's questions"},
                    "closest_article": NULLABLE_STRING, "closest_title": NULLABLE_STRING,
                    "confidence": {"type": "number"},
                }}},
            "doubtful": {"type": "array", "description": "Answered, maybe wrongly: newest first", "items": {
                "type": "object",
                "required": ["lang", "question", "article_id", "confidence", "runner_up", "runner_up_confidence",
                             "reasons", "asked_at"],
                "properties": {
                    "lang": LANG, "question": {"type": "string"}, "article_id": {"type": "string"},
                    "confidence": {"type": "number"}, "runner_up": NULLABLE_STRING,
                    "runner_up_confidence": {"type": "number"}, "asked_at": {"type": "string"},
                    "reasons": {"type": "array", "items": {"enum": ["low_margin", "unhelpful", "ticket"]}},
                }}},
            "articles": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "title", "category", "answers", "total", "helpful", "unhelpful", "helpful_rate", "missing", "stale"],
                "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "category": {"type": "string"},
                    "answers": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "total": {"type": "integer"}, "helpful": {"type": "integer"}, "unhelpful": {"type": "integer"},
                    "helpful_rate": {"type": ["number", "null"]},
                    "missing": {"type": "array", "items": LANG}, "stale": {"type": "array", "items": LANG},
                }}},
            "daily": {"type": "array", "items": {
                "type": "object", "required": ["day", "lang", "answered", "escalated"],
                "properties": {"day": {"type": "string"}, "lang": LANG,
                               "answered": {"type": "integer"}, "escalated": {"type": "integer"}}}},
        },
    },
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
    "Ready": {
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"enum": ["ready", "not_ready"]},
            "checks": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "knowledge_version": {"type": "string"},
            "knowledge_errors": {"type": "integer", "description": "Problems of the last failed reload; see /api/v1/admin/status"},
        },
    },
}

SECURITY_SCHEMES: dict[str, dict] = {
    "adminToken": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN from configuration"},
    "agentToken": {"type": "http", "scheme": "bearer", "description": "AGENT_TOKEN from configuration"},
    "inboundToken": {"type": "http", "scheme": "bearer", "description": "INBOUND_TOKEN from configuration"},
    "editorSession": {"type": "apiKey", "in": "cookie", "name": "session",
                      "description": "Set by /editors/login; read-only access to the report"},
}

PAGE_LANGUAGE = {"name": "lang", "in": "query", "schema": {"type": "string"},
                 "description": "the page's language as a language tag (fr, fr-BE, zh-TW…), kept for the session; "
                                "one that names none of the six is ignored (the browser's languages decide)"}
_EDITOR_PAGE = {"200": {"description": "The page", "content": {"text/html": {}}},
                "401": {"description": "The sign-in form, leading back here", "content": {"text/html": {}}}}


PATHS: dict[str, dict] = {
    "/api/v1/ask": {
        "post": {
            "summary": "Answer a supplier's question, or escalate it",
            "x-body": "AskRequest",
            "responses": {"200": {"description": "An answer or an escalation", "content": _json("Answer")}, **ERRORS},
        }
    },
    "/api/v1/feedback": {
        "post": {
            "summary": "Record whether an answer helped",
            "x-body": "FeedbackRequest",
            "responses": {
                "201": {"description": "Recorded", "content": _json("Feedback")},
                "404": _error_response("No such question (or purged)"),
                **ERRORS,
            },
        }
    },
    "/api/v1/articles": {
        "get": {
            "summary": "List the articles (id, title, category) in one language",
            "x-query": "ArticlesQuery",
            "responses": {"200": {"description": "Articles", "content": _json("ArticleList")}},
        }
    },
    "/api/v1/articles/{article_id}": {
        "get": {
            "summary": "One article in one language",
            "parameters": [{"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "x-query": "ArticlesQuery",
            "responses": {
                "200": {"description": "The article", "content": _json("Article")},
                "404": _error_response("No such article"),
            },
        }
    },
    "/healthz": {"get": {"summary": "Alive", "responses": {"200": {"description": "Alive", "content": _json("Health")}}}},
    "/readyz": {
        "get": {
            "summary": "Index loaded and database reachable",
            "responses": {
                "200": {"description": "Ready", "content": _json("Ready")},
                "503": {"description": "Not ready", "content": _json("Ready")},
            },
        }
    },
    "/api/v1/admin/status": {
        "get": {
            "summary": "Knowledge version served, when it was loaded, and the last reload's problems",
            "security": [{"adminToken": []}],
            "responses": {"200": {"description": "Status", "content": _json("AdminStatus")}, "401": _error_response("No or wrong admin token")},
        }
    },
    "/api/v1/admin/report": {
        "get": {
            "summary": "Editors' report: unanswered-question clusters, article statistics, questions per day",
            "security": [{"adminToken": []}, {"editorSession": []}],
            "x-query": "ReportQuery",
            "responses": {
                "200": {"description": "The report", "content": _json("AdminReport")},
                "401": _error_response("No or wrong admin token"),
            },
        }
    },
    "/editors": {
        "get": {
            "summary": "The editors' questions report (HTML); the sign-in form (401) until signed in",
            "parameters": [PAGE_LANGUAGE],
            "responses": _EDITOR_PAGE,
        }
    },
    "/editors/articles": {
        "get": {"summary": "The editors' articles: list and search (HTML)", "parameters": [PAGE_LANGUAGE],
                "responses": _EDITOR_PAGE}
    },
    "/editors/articles/new": {
        "get": {
            "summary": "A new article in the editor (HTML), optionally prefilled with a cluster of unanswered questions",
            "parameters": [PAGE_LANGUAGE,
                           {"name": "for", "in": "query", "schema": LANG, "description": "the questions' language"},
                           {"name": "question", "in": "query", "schema": {"type": "array", "items": {"type": "string"}},
                            "style": "form", "explode": True, "description": "alternative questions to start from"}],
            "responses": _EDITOR_PAGE,
        }
    },
    "/editors/articles/{article_id}": {
        "get": {"summary": "One article in the editor (HTML)",
                "parameters": [PAGE_LANGUAGE, {"name": "article_id", "in": "path", "required": True,
                                               "schema": {"type": "string"}}],
                "responses": _EDITOR_PAGE}
    },
    "/editors/login": {
        "get": {"summary": "The editors' sign-in form (HTML)", "parameters": [PAGE_LANGUAGE],
                "responses": {"200": {"description": "The form", "content": {"text/html": {}}}}},
        "post": {
            "summary": "Sign in to the editors' pages by name and password, or with the admin token (form fields)",
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object", "properties": {
                    "name": {"type": "string"}, "password": {"type": "string"}, "token": {"type": "string"},
                    "next": {"type": "string", "description": "an editors' page to go to once signed in"}}}}}},
            "responses": {"303": {"description": "Signed in; to `next` or /editors/articles"},
                          "401": {"description": "Wrong name and password, or token", "content": {"text/html": {}}},
                          "429": {"description": "Too many failed sign-ins", "content": {"text/html": {}}}},
        }
    },
    "/editors/logout": {
        "post": {"summary": "Sign out of the editors' pages", "responses": {"303": {"description": "To /editors"}}}
    },
    "/api/v1/admin/reload": {
        "post": {
            "summary": "Validate the knowledge folder and swap the index in; the old one keeps serving on problems",
            "security": [{"adminToken": []}],
            "responses": {
                "200": {"description": "Reloaded", "content": _json("AdminStatus")},
                "401": _error_response("No or wrong admin token"),
                "422": _error_response("The knowledge folder has problems (listed in error.problems)"),
            },
        }
    },
    "/api/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
}


def document(config: Mapping | None = None) -> dict:
    """The whole OpenAPI document; other modules add paths and schemas to PATHS / SCHEMAS.

    Request bodies and query strings come from ``contract.py`` (an operation
    names its body with ``x-body`` and its query with ``x-query``), resolved
    with ``config`` so configured limits appear with their values; each gets
    the error responses its validation can give.
    """
    config = config or DEFAULTS
    schemas = {**SCHEMAS, **{name: contract.body_schema(name, config) for name in contract.BODIES}}
    for name in MULTIPART:  # the same fields as a form, and the files
        form = schemas[name]
        schemas[f"{name}Form"] = {**form, "properties": {**form["properties"], "attachments": ATTACHMENTS}}
    paths = {path: {method: _with_contract(operation, config) for method, operation in operations.items()}
             for path, operations in PATHS.items()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Procuree supplier-help assistant",
            "version": "1",
            "description": "Answers supplier questions in en, fr, de, ko, zh-Hans and zh-Hant; "
            "escalates what the knowledge base cannot answer into tickets.",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


ATTACHMENTS = {"type": "array", "maxItems": 5, "items": {"type": "string", "format": "binary"},
               "description": "pdf, png, jpg, csv, xlsx, docx or txt, 10 MB each"}
MULTIPART = ("NewTicket", "Reply")  # bodies also taken as multipart/form-data with attachments
BODY_ERRORS = ("400", "413", "415", "422")


def _with_contract(operation: dict, config: Mapping) -> dict:
    """``operation`` with its contract's request body, query parameters and their error responses."""
    body, query = operation.get("x-body"), operation.get("x-query")
    result = {key: value for key, value in operation.items() if not key.startswith("x-")}
    responses = dict(result["responses"])
    if body:
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}
        if operation.get("x-multipart"):
            content["multipart/form-data"] = {"schema": {"$ref": f"#/components/schemas/{body}Form"}}
        result["requestBody"] = {"required": not operation.get("x-optional-body"), "content": content}
        responses.update({code: responses.get(code, ERRORS[code]) for code in BODY_ERRORS})
    if query:
        result["parameters"] = [*result.get("parameters", []), *contract.query_parameters(query, config)]
        responses.setdefault("400", ERRORS["400"])
    if result.get("security"):
        responses.setdefault("429", _error_response("Too many wrong credentials from this address; see Retry-After"))
    result["responses"] = responses
    return result
