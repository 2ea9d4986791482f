"""Publishing articles from the editor: the knowledge served with some articles replaced, added or removed.

Where the change goes depends on where the knowledge comes from
(KNOWLEDGE_SOURCE), in one table:

- ``database``: a new knowledge version built from the one served (only the
  languages that changed are re-indexed), stored and served in one
  transaction with the articles' new revisions (``publishing.publish``);
  every replica loads it at its next poll.  A version published meanwhile
  by someone else is built upon again, never overwritten.
- ``folder``: the article files written in KNOWLEDGE (each replaced
  atomically), then the folder reloaded; the revisions are recorded once
  it serves.  This is one host's way: several replicas need the database.

Either way the draft of each changed article is removed with the change.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from indexer import Retriever
from indexer.articles import Article
from indexer.documents import article_data

from .. import publishing
from . import drafts, folders, history

ATTEMPTS = 3  # versions published meanwhile by others, built upon again before giving up


class ChangeError(Exception):
    """A change that was not made; ``status`` is the HTTP status it means (409: try again, 422: content)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Change:
    """What a publish, rollback or import did."""

    knowledge_version: str
    revisions: dict[str, int]  # article id -> its new revision
    action: str


def publish(app: Flask, changed: dict[str, Article | None], action: str, by: str, note: str = "") -> Change:
    """Serve ``changed`` (article id -> its new content, None to remove it) and record each revision."""
    target = TARGETS[str(app.config["KNOWLEDGE_SOURCE"]).strip().lower()]
    return target(app, changed, action, by, note)


def _before(served: Retriever, changed: dict[str, Article | None]) -> dict[str, dict | None]:
    return {article_id: article_data(served.articles[article_id]) if article_id in served.articles else None
            for article_id in changed}


def _unchanged(before: dict[str, dict | None], changed: dict[str, Article | None]) -> bool:
    return all(before[i] == (article_data(a) if a else None) for i, a in changed.items())


def _recorder(changed: dict[str, Article | None], before: dict[str, dict | None], action: str, by: str, note: str,
              version: str, revisions: dict[str, int]) -> Callable:
    """What to do in the change's transaction: each article's next revision, and its draft gone."""
    def record(conn) -> None:
        for article_id, article in changed.items():
            after = article_data(article) if article else None
            revisions[article_id] = history.record(conn, article_id, before[article_id], after, action, version, by,
                                                   note)
            drafts.discard(conn, article_id)
    return record


def _to_database(app: Flask, changed: dict[str, Article | None], action: str, by: str, note: str) -> Change:
    holder, engine = app.extensions["knowledge"], app.extensions["db"]
    for attempt in range(ATTEMPTS):
        holder.reload_if_changed()  # build on the newest version published, by any replica
        served = holder.current().retriever
        before = _before(served, changed)
        if _unchanged(before, changed):
            raise ChangeError(409, "Nothing to publish: the knowledge served already reads like this.")
        built = served.rebuilt([a for a in changed.values() if a], [i for i, a in changed.items() if a is None],
                               cache=holder.embeddings)
        revisions: dict[str, int] = {}
        try:
            publishing.publish(engine, built, by, note or action, expect=served.version,
                               within=_recorder(changed, before, action, by, note, built.version, revisions))
        except publishing.Superseded:
            if attempt == ATTEMPTS - 1:
                raise ChangeError(409, "Others are publishing right now; please try again.") from None
            continue
        holder.reload_if_changed()  # this replica serves it at once; the others at their next poll
        return Change(built.version, revisions, action)
    raise AssertionError("unreachable")


def _to_folder(app: Flask, changed: dict[str, Article | None], action: str, by: str, note: str) -> Change:
    holder, engine = app.extensions["knowledge"], app.extensions["db"]
    folder = Path(app.config["KNOWLEDGE"])
    served = holder.current().retriever
    before = _before(served, changed)
    if _unchanged(before, changed):
        raise ChangeError(409, "Nothing to publish: the knowledge served already reads like this.")
    previous = {article_id: _read(folder / f"{article_id}.yaml") for article_id in changed}
    for article_id, article in changed.items():
        folders.write_article(folder, article_id, article)
    if not holder.reload_if_changed(force=True):
        for article_id, text in previous.items():  # the folder as it was: the version served stays right
            folders.write_file(folder / f"{article_id}.yaml", text)
        holder.reload_if_changed(force=True)
        problems = "; ".join(str(p) for p in holder.last_error) or "the knowledge folder did not reload"
        raise ChangeError(409, f"The knowledge folder cannot be served with this change: {problems}")
    version = holder.current().version
    revisions: dict[str, int] = {}
    with engine.begin() as conn:
        _recorder(changed, before, action, by, note, version, revisions)(conn)
    return Change(version, revisions, action)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


TARGETS: dict[str, Callable[..., Change]] = {"database": _to_database, "folder": _to_folder}

