"""GET /api/v1/articles: the knowledge base as suppliers and tools may browse it."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..contract import read_query
from ..errors import ApiError
from ..knowledge import retriever
from ..rendering import markdown_to_html

bp = Blueprint("articles", __name__, url_prefix="/api/v1/articles")


@bp.get("")
def list_articles():
    lang = read_query("ArticlesQuery")["lang"]
    served = retriever()
    items = [
        {"id": a.id, "title": served.title(a.id, lang), "category": a.category}
        for a in sorted(served.articles.values(), key=lambda a: (a.category, a.id))
    ]
    return jsonify({"lang": lang, "version": served.version, "articles": items})


@bp.get("/<article_id>")
def get_article(article_id: str):
    lang = read_query("ArticlesQuery")["lang"]
    served = retriever()
    article = served.articles.get(article_id)
    if article is None:
        raise ApiError(404, f"No article with id {article_id!r}.")
    translation = served.translation(article_id, lang)
    shown_lang = lang if lang in article.translations else next(
        code for code, t in article.translations.items() if t is translation
    )
    return jsonify(
        {
            "id": article.id,
            "category": article.category,
            "tags": list(article.tags),
            "updated": article.updated.isoformat() if article.updated else None,
            "lang": shown_lang,
            "languages": list(article.translations),
            "title": translation.title,
            "questions": list(translation.questions),
            "body": translation.body,
            "body_html": markdown_to_html(translation.body),
        }
    )
