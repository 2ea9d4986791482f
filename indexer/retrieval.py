"""From a supplier's question to an answer, or an honest "I don't know".

The pipeline: detect the language, analyse the question with that
language's analyzer, score every article by BM25 and by character n-grams,
fuse the two, and turn each candidate's evidence into a calibrated
confidence (see ``calibration.py``).  Below the threshold the question is
unanswered and its best candidates become "did you mean" suggestions.  If
the question's own language finds nothing confident, every other
language's translations are tried: a Korean question may be mostly English
product terms.
"""
from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analyzers import warm_up
from .articles import Article
from .calibration import Calibration, features
from .detect import Detection, detect
from .index import LanguageIndex, build_language_index
from .languages import CODES, LANGUAGES
from .scoring import top_k
from .validate import check_folder

MAX_CANDIDATES = 5
_LATIN_LETTER = re.compile(r"[A-Za-z]")


class KnowledgeError(Exception):
    """The knowledge folder has problems; ``problems`` lists them for the editor."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the knowledge folder")


@dataclass(frozen=True)
class Candidate:
    article_id: str
    title: str
    confidence: float


@dataclass(frozen=True)
class Answer:
    """What the assistant says to one question; the web layer serialises it."""

    question: str
    answered: bool
    lang: str
    detected_lang: str | None
    confidence: float
    candidates: tuple[Candidate, ...]
    article_id: str | None = None
    title: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class Ranking:
    """One language's view of a question: article positions, best first, with confidences."""

    lang: str
    order: np.ndarray
    confidences: np.ndarray

    @property
    def best(self) -> float:
        return float(self.confidences[0]) if self.order.size else 0.0


class Retriever:
    """Answers questions from a set of articles; safe to share between threads."""

    def __init__(self, articles: Sequence[Article], indexes: dict[str, LanguageIndex], calibration: Calibration):
        self.articles = {a.id: a for a in articles}
        self.indexes = indexes
        self.calibration = calibration
        self.version = content_hash(articles)

    @classmethod
    def from_articles(cls, articles: Sequence[Article], calibration: Calibration | None = None) -> "Retriever":
        warm_up()  # Korean analysis needs Kiwi's model: load it while the other languages index
        languages = [c for c in CODES if any(c in a.translations for a in articles)]
        built = {lang: build_language_index(lang, articles) for lang in sorted(languages, key=lambda c: c == "ko")}
        indexes = {lang: built[lang] for lang in languages}
        return cls(articles, indexes, calibration or Calibration.load())

    @classmethod
    def from_directory(cls, folder: str | Path, required_languages: Sequence[str] | None = None) -> "Retriever":
        """Validate and index a knowledge folder; raise ``KnowledgeError`` if it has problems."""
        report = check_folder(folder, required_languages or CODES)
        if not report.ok:
            raise KnowledgeError(report.problems)
        return cls.from_articles(report.articles)

    def ask(self, question: str, lang: str | None = None, budget: float | None = None) -> Answer:
        """Answer ``question``; ``lang`` is the supplier's chosen language, if any.

        ``budget`` (seconds) bounds the optional work: once it is spent, no
        further fallback language is tried and the best ranking so far
        stands, so no single question can hold a worker.
        """
        deadline = time.monotonic() + budget if budget is not None else None
        detection = detect(question, lang)
        answer_lang = detection.lang if detection.lang in self.indexes else next(iter(self.indexes))
        ranking = self.rank(question, answer_lang)
        if ranking.best < self.calibration.threshold:
            for other in self.fallback_languages(question, answer_lang):
                if deadline is not None and time.monotonic() >= deadline:
                    break
                ranking = max(ranking, self.rank(question, other), key=lambda r: r.best)
        return self._answer(question, detection, answer_lang, ranking)

    def fallback_languages(self, question: str, lang: str) -> list[str]:
        """Other languages whose translations could still match the question.

        Latin letters (product terms, English words) can match any language's
        text; without them only the other languages of the same script can
        (a zh-Hant question against zh-Hans articles).
        """
        script = LANGUAGES[lang].script
        latin = bool(_LATIN_LETTER.search(question))
        return [code for code in self.indexes if code != lang and (latin or LANGUAGES[code].script == script)]

    def rank(self, question: str, lang: str) -> Ranking:
        """The ``lang`` translations' best candidates, ordered by calibrated confidence."""
        order, rows = self.evidence(question, lang)
        confidences = self.calibration.confidence(rows)
        resort = np.argsort(-confidences, kind="stable")
        return Ranking(lang, order[resort], confidences[resort])

    def evidence(self, question: str, lang: str) -> tuple[np.ndarray, np.ndarray]:
        """The top candidates by fused score and their feature rows (see ``calibration``)."""
        index = self.indexes[lang]
        tokens = index.analyzer(question)
        ceiling = index.max_bm25(tokens)
        scores, coverage = index.bm25(tokens)
        bm25 = scores / ceiling if ceiling > 0 else scores
        ngram = index.ngram_similarity(question)
        fused = self.calibration.fuse(bm25, ngram)
        order = top_k(fused, MAX_CANDIDATES)
        return order, features(bm25, ngram, fused, order, coverage[order], len(tokens))

    def _answer(self, question: str, detection: Detection, lang: str, ranking: Ranking) -> Answer:
        ids = self.indexes[ranking.lang].article_ids
        candidates = tuple(
            Candidate(ids[i], self.title(ids[i], lang), round(float(c), 4))
            for i, c in zip(ranking.order, ranking.confidences)
        )
        base = dict(
            question=question,
            lang=lang,
            detected_lang=detection.detected,
            confidence=candidates[0].confidence if candidates else 0.0,
            candidates=candidates,
        )
        if not candidates or ranking.best < self.calibration.threshold:
            return Answer(answered=False, **base)
        best = self.translation(candidates[0].article_id, lang)
        return Answer(answered=True, article_id=candidates[0].article_id, title=best.title, body=best.body, **base)

    def translation(self, article_id: str, lang: str):
        """The article in ``lang``, or in English / any language when that one is missing."""
        translations = self.articles[article_id].translations
        for code in (lang, "en", *translations):
            if code in translations:
                return translations[code]
        raise KeyError(article_id)

    def title(self, article_id: str, lang: str) -> str:
        return self.translation(article_id, lang).title


def content_hash(articles: Sequence[Article]) -> str:
    """A short hash of every article's content, naming the knowledge version served."""
    digest = hashlib.sha256()
    for article in sorted(articles, key=lambda a: a.id):
        digest.update(article.id.encode())
        for lang in sorted(article.translations):
            t = article.translations[lang]
            digest.update("\x00".join((lang, t.title, *t.questions, t.body)).encode())
    return digest.hexdigest()[:12]
