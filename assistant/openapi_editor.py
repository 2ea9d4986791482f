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
