"""Trying a draft before publishing: the same questions asked of the live knowledge and of the draft's.

The draft's knowledge is the served one with the draft's article in place
(``Retriever.rebuilt``: only the languages it changes are re-indexed), kept
for the few drafts tried last.  Besides the editor's own questions, a try
asks the labelled question sets (EDITOR_EVAL_SETS: each question with the
article that should answer it) and the most recent questions of the log
(EDITOR_TRY_LOG_QUESTIONS), and lists only those whose answer changes:
better (now right), worse (was right), or just different (no label).
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from indexer import Retriever
from indexer.articles import Article
from indexer.evaluation import Item, load_items
from indexer.retrieval import Answer

from .. import db

KEPT = 4  # draft retrievers kept: an editor tries the same draft several times in a row
_lock = threading.Lock()
_answers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # retriever -> {(question, lang): Answer}


@dataclass(frozen=True)
class Outcome:
    """What one side answers: the article (None: it would become a ticket) and its title."""

    article_id: str | None
    title: str | None
    confidence: float

    def to_dict(self) -> dict:
        return {"article_id": self.article_id, "title": self.title, "confidence": round(self.confidence, 3)}


@dataclass(frozen=True)
class Compared:
    question: str
    lang: str
    live: Outcome
    draft: Outcome
    expect: frozenset[str] | None = None  # the labelled answer (empty: must become a ticket); None: unlabelled
    source: str = "asked"  # asked, a set's file name, or "log"

    @property
    def changed(self) -> bool:
        return self.live.article_id != self.draft.article_id

    @property
    def verdict(self) -> str:
        """better, worse, different or same: judged by the label when there is one."""
        if not self.changed:
            return "same"
        if self.expect is None:
            return "different"
        right = lambda o: (o.article_id in self.expect) if self.expect else o.article_id is None  # noqa: E731
        return "better" if right(self.draft) and not right(self.live) else \
            "worse" if right(self.live) and not right(self.draft) else "different"

    def to_dict(self) -> dict:
        return {"question": self.question, "lang": self.lang, "source": self.source, "verdict": self.verdict,
                "expect": sorted(self.expect) if self.expect is not None else None,
                "live": self.live.to_dict(), "draft": self.draft.to_dict()}


def draft_retriever(app: Flask, served: Retriever, article: Article) -> Retriever:
    """The served knowledge with ``article`` in place (the same draft tried again costs nothing)."""
    kept: OrderedDict = app.extensions.setdefault("draft_retrievers", OrderedDict())
    key = (served.version, repr(article))
    with _lock:
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    built = served.rebuilt([article], cache=app.extensions["knowledge"].embeddings)
    with _lock:
        kept[key] = built
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return built


def outcome(answer: Answer) -> Outcome:
    return Outcome(answer.article_id if answer.answered else None, answer.title if answer.answered else None,
                   answer.confidence)


def compare(live: Retriever, draft: Retriever, questions: list[tuple[str, str | None, frozenset | None, str]],
            budget: float) -> list[Compared]:
    """Each (question, lang, label, source) asked of both sides."""
    found = []
    for question, lang, expect, source in questions:
        before, after = asked(live, question, lang, budget), asked(draft, question, lang, budget)
        found.append(Compared(question, before.lang, outcome(before), outcome(after), expect, source))
    return found


def asked(retriever: Retriever, question: str, lang: str | None, budget: float) -> Answer:
    """``retriever``'s answer, remembered while it lives: the labelled sets are asked at every try and again
    before publishing, of the same live knowledge and, for the same draft, of the same draft's."""
    with _lock:
        known = _answers.setdefault(retriever, {})
        if (question, lang) in known:
            return known[(question, lang)]
    answer = retriever.ask(question, lang, budget=budget)
    with _lock:
        known[(question, lang)] = answer
    return answer


def labelled(app: Flask) -> list[tuple[str, str, frozenset, str]]:
    """The questions of EDITOR_EVAL_SETS (files in the format of ``../shared/eval/dev.yaml``)."""
    found = []
    for name in str(app.config["EDITOR_EVAL_SETS"]).split():
        path = Path(name)
        items: list[Item] = load_items(path) if path.is_file() else []
        found += [(item.question, item.lang, item.expect, path.name) for item in items]
    return found


def logged(app: Flask) -> list[tuple[str, str, None, str]]:
    """The most recent distinct questions suppliers asked (EDITOR_TRY_LOG_QUESTIONS of them)."""
    limit = int(app.config["EDITOR_TRY_LOG_QUESTIONS"])
    if limit <= 0:
        return []
    questions = db.questions
    with app.extensions["db"].connect() as conn:
        rows = conn.execute(select(questions.c.question, questions.c.lang)
                            .order_by(questions.c.asked_at.desc()).limit(limit * 3)).all()
    seen, found = set(), []
    for row in rows:
        if row.question.casefold() not in seen and len(found) < limit:
            seen.add(row.question.casefold())
            found.append((row.question, row.lang, None, "log"))
    return found
