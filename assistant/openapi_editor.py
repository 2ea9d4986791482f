"""The editors' API routes in the OpenAPI document (added to ``openapi.PATHS``)."""
from __future__ import annotations

from indexer.languages import CODES

from .openapi import PATHS, SCHEMAS, _error_response, _json

NS = {"type": ["string", "null"]}
STRINGS = {"type": "array", "items": {"type": "string"}}
AUTH = {"security": [{"adminToken": []}, {"editorSession": []}],
        "description": "An editors' session (signed in at /editors) or Authorization: Bearer <ADMIN_TOKEN>."}
SUMMARY = {
    "id": {"type": "string"}, "category": {"type": "string"}, "tags": STRINGS, "updated": NS,
    "title": {"type": "string", "description": "The English title (or the first translation's)"},
    "titles": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "The title in each language the article has"},
    "languages": {"type": "array", "items": {"enum": list(CODES)}},
    "stale": {"type": "array", "items": {"enum": list(CODES)}, "description": "Translations older than the article"},
}

SCHEMAS.update({
    "EditorArticleSummary": {"type": "object", "required": list(SUMMARY), "properties": SUMMARY},
    "EditorArticleList": {"type": "object", "required": ["version", "total", "limit", "offset", "articles"], "properties": {
        "version": {"type": "string"}, "total": {"type": "integer"}, "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "articles": {"type": "array", "items": {"$ref": "#/components/schemas/EditorArticleSummary"}}}},
    "EditorArticle": {"type": "object", "required": [*SUMMARY, "translations"], "properties": {
        **SUMMARY, "translations": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["title", "questions", "body", "updated", "stale"], "properties": {
                "title": {"type": "string"}, "questions": STRINGS, "body": {"type": "string"}, "updated": NS,
                "stale": {"type": "boolean"}}}}}},
})

PATHS.update({
    "/api/v1/editor/articles": {"get": {
        "summary": "The served articles, filtered for editing", **AUTH, "x-query": "EditorArticlesQuery",
        "responses": {"200": {"description": "Articles", "content": _json("EditorArticleList")},
                      "401": _error_response("Not signed in, no or wrong token")}}},
    "/api/v1/editor/articles/{article_id}": {"get": {
        "summary": "One article in the shape of its YAML file", **AUTH,
        "parameters": [{"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The article", "content": _json("EditorArticle")},
                      "401": _error_response("Not signed in, no or wrong token"),
                      "404": _error_response("No such article")}}},
})

ARTICLE_ID = {"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}}
OBJECT = {"type": "object"}
TRANSLATION = {"type": "object", "properties": {
    "title": {"type": "string"}, "questions": STRINGS, "body": {"type": "string", "description": "Markdown"},
    "updated": NS}}
DENIED = {"401": _error_response("Not signed in, no or wrong token")}
SIDE = {"type": "object", "properties": {"article_id": NS, "title": NS, "confidence": {"type": "number"}}}
COMPARED = {"type": "object", "properties": {
    "question": {"type": "string"}, "lang": {"type": "string"}, "source": {"type": "string"},
    "verdict": {"enum": ["better", "worse", "different", "same"]}, "expect": {"type": ["array", "null"]},
    "live": SIDE, "draft": SIDE}}
EFFECT = {"type": "object", "properties": {
    "total": {"type": "integer"}, "better": {"type": "integer"}, "worse": {"type": "integer"},
    "different": {"type": "integer"}, "changes": {"type": "array", "items": COMPARED}}}

SCHEMAS.update({
    "ArticleDraftBody": {"type": "object", "description": "An article in the shape of its YAML file; checked by "
                         "the indexer's validator (the same checks as `python -m indexer validate`)",
                         "properties": {"id": {"type": "string"}, "category": {"type": "string"}, "tags": STRINGS,
                                        "updated": NS, "translations": {"type": "object", "propertyNames": {
                                            "enum": list(CODES)}, "additionalProperties": TRANSLATION}}},
    "EditorDraft": {"type": "object", "properties": {
        "article_id": {"type": "string"}, "content": {"$ref": "#/components/schemas/ArticleDraftBody"},
        "base_revision": {"type": ["integer", "null"]}, "saved_at": {"type": "string"}, "saved_by": {"type": "string"}}},
    "EditorDraftList": {"type": "object", "properties": {
        "drafts": {"type": "array", "items": {"$ref": "#/components/schemas/EditorDraft"}}}},
    "EditorCheck": {"type": "object", "properties": {
        "problems": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string", "description": "in English"},
            "code": {"type": "string", "description": "the kind of problem (indexer/problems.py), for a translation"},
            "args": {"type": "object", "description": "the values its text names"}}}},
        "preview": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "Each body as the chat renders it (sanitised HTML)"}}},
    "EditorTry": {"type": "object", "properties": {
        "asked": {"type": "array", "items": COMPARED}, "labelled": EFFECT, "log": EFFECT}},
    "EditorChange": {"type": "object", "properties": {
        "knowledge_version": {"type": "string"}, "action": {"type": "string"},
        "revisions": {"type": "object", "additionalProperties": {"type": "integer"}}}},
    "EditorHistory": {"type": "object", "properties": {
        "article_id": {"type": "string"}, "revisions": {"type": "array", "items": {"type": "object", "properties": {
            "revision": {"type": "integer"}, "action": {"type": "string"}, "at": {"type": "string"},
            "by": {"type": "string"}, "note": NS, "knowledge_version": NS, "exists": {"type": "boolean"},
            "changes": {"type": ["object", "null"], "description": "From the revision before: metadata, and a "
                        "unified diff per translation"}}}}}},
})


def _operation(summary: str, schema: str | None, ok: str = "Done", body: str | None = None, **errors) -> dict:
    responses = {"200": {"description": ok, **({"content": _json(schema)} if schema else {})}, **DENIED,
                 **{status.lstrip("_"): _error_response(text) for status, text in errors.items()}}
    operation = {"summary": summary, **AUTH, "parameters": [ARTICLE_ID], "responses": responses}
    if body:
        operation["x-body"] = body
    return operation


DRAFT_BODY = {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/ArticleDraftBody"}}}}

PATHS.update({
    "/api/v1/editor/drafts": {"get": {
        "summary": "Every saved draft, the most recent first", **AUTH,
        "responses": {"200": {"description": "Drafts", "content": _json("EditorDraftList")}, **DENIED}}},
    "/api/v1/editor/drafts/{article_id}": {
        "get": _operation("The saved draft of an article", "EditorDraft", _404="No draft"),
        "put": {**_operation("Save a draft (only when it passes the validator)", "EditorDraft",
                             _415="Not JSON", _413="Too large", _400="Malformed JSON",
                             _422="The validator's problems, each with its field path (nothing saved)"),
                "requestBody": DRAFT_BODY},
        "delete": {**_operation("Discard the draft", None, _404="No draft"),
                   "responses": {"204": {"description": "Discarded"}, **DENIED,
                                 "404": _error_response("No draft")}}},
    "/api/v1/editor/drafts/{article_id}/check": {"post": {
        **_operation("The validator's problems and the chat's rendering, as the editor types (nothing saved)",
                     "EditorCheck", _415="Not JSON", _413="Too large", _400="Malformed JSON"),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "description": "An article draft in any state, in the shape of ArticleDraftBody: "
            "whatever is wrong comes back as problems"}}}}}},
    "/api/v1/editor/drafts/{article_id}/try": {"post": _operation(
        "Ask questions of the live knowledge and of the draft's; the labelled sets and the recent log too",
        "EditorTry", body="TryDraft", _404="No draft", _422="Invalid body", _415="Not JSON", _400="Malformed JSON")},
    "/api/v1/editor/drafts/{article_id}/publish": {"post": _operation(
        "Publish the draft as a new knowledge version (publishers)", "EditorChange", body="PublishDraft",
        _403="Not a publisher", _404="No draft", _409="Outdated draft, nothing changed, or confirmation needed",
        _422="Invalid body", _415="Not JSON", _400="Malformed JSON")},
    "/api/v1/editor/articles/{article_id}/history": {"get": _operation(
        "The article's revisions with a diff per translation", "EditorHistory", _404="No such article")},
    "/api/v1/editor/articles/{article_id}/rollback": {"post": _operation(
        "Serve an earlier revision again (publishers)", "EditorChange", body="RollbackArticle",
        _403="Not a publisher", _404="No such revision", _409="Nothing changed",
        _422="Invalid body", _415="Not JSON", _400="Malformed JSON")},
})
