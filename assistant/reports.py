"""The editors' report: what went unanswered, how each article fares, questions per day.

Shared by ``GET /api/v1/admin/report`` and the editors' page.  Question text
appears here for editors only; suppliers are counted, never named.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from indexer import Retriever
from indexer.gaps import find_gaps, read_doubtful, read_unanswered
from indexer.languages import CODES

from .questions import article_stats, daily_counts

MAX_CLUSTERED = 2000  # per report: clustering is quadratic, and the newest questions matter most
MAX_DOUBTFUL = 200  # the newest doubtful answers a report lists


def report(engine: Engine, retriever: Retriever, since: dt.datetime, lang: str | None = None) -> dict:
    asked = read_unanswered(engine, since, lang)[-MAX_CLUSTERED:]
    return {
        "since": since.isoformat(timespec="seconds"),
        "version": retriever.version,
        "gaps": [
            {
                "lang": c.lang,
                "suppliers": c.suppliers,
                "questions": c.size,
                "examples": c.examples,
                "wordings": c.wordings,
                "closest_article": c.closest_article,
                "closest_title": c.closest_title,
                "confidence": c.confidence,
            }
            for c in find_gaps(asked, retriever)
        ],
        "doubtful": [
            {"lang": d.lang, "question": d.text, "article_id": d.article_id, "confidence": round(d.confidence, 4),
             "runner_up": d.runner_up, "runner_up_confidence": round(d.runner_up_confidence, 4),
             "reasons": list(d.reasons), "asked_at": d.asked_at.isoformat(timespec="seconds")}
            for d in reversed(read_doubtful(engine, since, lang)[-MAX_DOUBTFUL:])
        ],
        "articles": articles(engine, retriever, since),
        "daily": [
            {"day": day.isoformat(), "lang": day_lang, "answered": answered, "escalated": escalated}
            for day, day_lang, answered, escalated in daily_counts(engine, since)
            if lang is None or day_lang == lang
        ],
    }


def articles(engine: Engine, retriever: Retriever, since: dt.datetime) -> list[dict]:
    """Per article: answers per language, helpful rate, missing and stale translations."""
    stats = article_stats(engine, since)
    rows = []
    for article in sorted(retriever.articles.values(), key=lambda a: a.id):
        own = stats.get(article.id, {"answers": {}, "helpful": 0, "unhelpful": 0})
        votes = own["helpful"] + own["unhelpful"]
        rows.append({
            "id": article.id,
            "title": retriever.title(article.id, "en"),
            "category": article.category,
            "answers": own["answers"],
            "total": sum(own["answers"].values()),
            "helpful": own["helpful"],
            "unhelpful": own["unhelpful"],
            "helpful_rate": round(own["helpful"] / votes, 3) if votes else None,
            "missing": [code for code in CODES if code not in article.translations],
            "stale": [code for code, t in article.translations.items() if t.stale(article.updated)],
        })
    return sorted(rows, key=lambda r: (-r["total"], r["id"]))
