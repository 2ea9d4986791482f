"""The editors' JSON API, read side: the articles as served, in the YAML's shape, for the page and for scripts.

``/api/v1/editor/`` takes an editors' session (a named editor, or a sign-in
with ADMIN_TOKEN) or ``Authorization: Bearer <ADMIN_TOKEN>``.  An article
comes back in the shape of its YAML file (id, category, tags, updated, a
translation per language with title, questions, body, updated), with
``stale`` marking each translation older than the article.  Drafts,
publishing and history build on this (not yet).
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..auth import bearer_token_valid, editor_session_valid
from ..contract import read_query
from ..errors import ApiError
from ..knowledge import retriever

bp = Blueprint("editor_api", __name__, url_prefix="/api/v1/editor")


@bp.before_request
def signed_in_editor_or_token() -> None:
    if not (editor_session_valid() or bearer_token_valid("ADMIN_TOKEN")):
        raise ApiError(401, "Sign in at /editors, or send 'Authorization: Bearer <ADMIN_TOKEN>'.")


@bp.get("/articles")
def list_articles():
    """Articles filtered by words of their id or titles (q), category, a language they miss, and staleness."""
    query = read_query("EditorArticlesQuery")
    served = retriever()
    found = [a for a in sorted(served.articles.values(), key=lambda a: (a.category, a.id)) if _matches(a, query)]
    page = found[query["offset"]:query["offset"] + query["limit"]]
    return jsonify({"version": served.version, "total": len(found), "limit": query["limit"], "offset": query["offset"],
                    "articles": [_summary(a) for a in page]})


@bp.get("/articles/<article_id>")
def get_article(article_id: str):
    article = retriever().articles.get(article_id)
    if article is None:
        raise ApiError(404, f"No article with id {article_id!r}.")
    return jsonify({**_summary(article), "translations": {lang: {
        "title": t.title, "questions": list(t.questions), "body": t.body, "updated": _date(t.updated),
        "stale": t.stale(article.updated)} for lang, t in article.translations.items()}})


def _matches(article, query: dict) -> bool:
    words = (query["q"] or "").lower().split()
    searchable = " ".join([article.id, *(t.title for t in article.translations.values())]).lower()
    return (all(word in searchable for word in words)
            and (not query["category"] or article.category == query["category"])
            and (not query["missing"] or query["missing"] not in article.translations)
            and (query["stale"] is None or bool(_stale(article)) == (query["stale"] == "true")))


def _stale(article) -> list[str]:
    return [lang for lang, t in article.translations.items() if t.stale(article.updated)]


def _summary(article) -> dict:
    english = article.translations.get("en") or next(iter(article.translations.values()))
    return {"id": article.id, "category": article.category, "tags": list(article.tags), "updated": _date(article.updated),
            "title": english.title, "languages": sorted(article.translations), "stale": _stale(article)}


def _date(value) -> str | None:
    return value.isoformat() if value else None
