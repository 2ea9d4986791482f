"""Drafts: an article being edited in the browser, one per article, kept until it is published or discarded.

A draft is stored only once it passes the validator (``indexer.documents.check``),
so publishing a draft never fails on its content.  ``base_revision`` is the
article's revision the editor started from: publishing a draft whose article
changed meanwhile is refused rather than silently undoing that change.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Connection

from .. import db

article_drafts = db.article_drafts


@dataclass(frozen=True)
class Draft:
    article_id: str
    content: dict  # the article in its YAML file's shape
    base_revision: int | None
    saved_at: dt.datetime
    saved_by: str


def save(engine: Engine, article_id: str, content: dict, base_revision: int | None, by: str) -> Draft:
    """Create or replace the draft of ``article_id``."""
    row = {"content": json.dumps(content, ensure_ascii=False), "base_revision": base_revision,
           "saved_at": db.utcnow(), "saved_by": by[:120]}
    with engine.begin() as conn:
        changed = conn.execute(update(article_drafts).where(article_drafts.c.article_id == article_id)
                               .values(**row)).rowcount
        if not changed:
            conn.execute(insert(article_drafts).values(article_id=article_id, **row))
    return Draft(article_id, content, base_revision, row["saved_at"], row["saved_by"])


def get(engine: Engine, article_id: str) -> Draft | None:
    with engine.connect() as conn:
        row = conn.execute(select(article_drafts).where(article_drafts.c.article_id == article_id)).first()
    return _draft(row) if row else None


def listing(engine: Engine) -> list[Draft]:
    """Every draft, the most recently saved first."""
    with engine.connect() as conn:
        rows = conn.execute(select(article_drafts).order_by(article_drafts.c.saved_at.desc())).all()
    return [_draft(row) for row in rows]


def discard(conn: Connection, article_id: str) -> bool:
    """Remove the draft (in the caller's transaction: publishing removes it with the change it makes)."""
    return bool(conn.execute(delete(article_drafts).where(article_drafts.c.article_id == article_id)).rowcount)


def _draft(row) -> Draft:
    return Draft(row.article_id, json.loads(row.content), row.base_revision, row.saved_at, row.saved_by)
