"""Each article's published revisions, and readable differences between them.

Revision 0 is the article as it was before its first change from the
editor (``content`` None when it did not exist): the knowledge folder or an
import made it, and rolling back to it undoes everything since.  Every
publish, rollback and import adds the next revision with who made it; the
rows are written in the transaction of the change itself.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.engine import Connection

from indexer.languages import CODES

from .. import db

article_revisions = db.article_revisions


@dataclass(frozen=True)
class Revision:
    article_id: str
    revision: int
    content: dict | None  # the article in its file's shape; None: absent
    action: str
    knowledge_version: str | None
    at: dt.datetime
    by: str
    note: str | None


def revisions(engine: Engine, article_id: str) -> list[Revision]:
    """Every revision of ``article_id``, the newest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(article_revisions).where(article_revisions.c.article_id == article_id)
                            .order_by(article_revisions.c.revision.desc())).all()
    return [_revision(row) for row in rows]


def get(engine: Engine, article_id: str, revision: int) -> Revision | None:
    with engine.connect() as conn:
        row = conn.execute(select(article_revisions).where(article_revisions.c.article_id == article_id,
                                                           article_revisions.c.revision == revision)).first()
    return _revision(row) if row else None


def latest(conn: Connection, article_id: str) -> int | None:
    """The number of the article's newest revision (None: never changed from the editor)."""
    return conn.execute(select(func.max(article_revisions.c.revision))
                        .where(article_revisions.c.article_id == article_id)).scalar()


def record(conn: Connection, article_id: str, before: dict | None, after: dict | None, action: str,
           knowledge_version: str | None, by: str, note: str = "", now: dt.datetime | None = None) -> int:
    """Add the next revision (and, for an article's first change, revision 0 holding ``before``)."""
    now = now or db.utcnow()
    number = latest(conn, article_id)
    if number is None:
        conn.execute(insert(article_revisions).values(
            article_id=article_id, revision=0, content=_json(before), action="baseline", knowledge_version=None,
            at=now, by="before the web editor", note="as served before its first change from the editor"))
        number = 0
    conn.execute(insert(article_revisions).values(
        article_id=article_id, revision=number + 1, content=_json(after), action=action,
        knowledge_version=knowledge_version, at=now, by=by[:120], note=note or None))
    return number + 1


def changes(before: dict | None, after: dict | None) -> dict:
    """What changed from ``before`` to ``after``: the article's metadata, and a unified diff per translation."""
    old, new = before or {}, after or {}
    meta = {key: {"before": old.get(key), "after": new.get(key)}
            for key in ("category", "tags") if old.get(key) != new.get(key)}
    translations = {}
    old_t, new_t = old.get("translations", {}), new.get("translations", {})
    for lang in [code for code in CODES if code in old_t or code in new_t]:
        diff = list(difflib.unified_diff(_lines(old_t.get(lang)), _lines(new_t.get(lang)), lineterm="", n=2,
                                         fromfile=f"{lang} before", tofile=f"{lang} after"))
        if diff:
            translations[lang] = "\n".join(diff[2:])  # without the ---/+++ header: the page names the sides
    return {"metadata": meta, "translations": translations}


def _lines(translation: dict | None) -> list[str]:
    """A translation as lines to compare: its title, each question, then the body's lines."""
    if not translation:
        return []
    return ([f"title: {translation.get('title', '')}"]
            + [f"question: {q}" for q in translation.get("questions", [])]
            + ["body:"] + str(translation.get("body", "")).splitlines())


def _json(content: dict | None) -> str | None:
    return json.dumps(content, ensure_ascii=False) if content is not None else None


def _revision(row) -> Revision:
    return Revision(row.article_id, row.revision, json.loads(row.content) if row.content else None, row.action,
                    row.knowledge_version, row.at, row.by, row.note)
