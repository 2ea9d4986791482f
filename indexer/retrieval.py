"""From a supplier's question to an answer, a "did you mean", or an honest "I don't know".

The pipeline:

1. detect the language and cut the message into segments (a pasted email
   is scored as a whole and sentence by sentence, see ``segments.py``);
2. the fast path: score every article by BM25 and character n-grams in the
   question's language and turn each candidate's evidence into a calibrated
   confidence (``calibration.py``).  If nothing in that language is close,
   the other languages' translations are tried too (a Korean question may
   be mostly English product terms, an article may lack a translation);
3. only when the fast path is unsure, the sentence encoder (``semantic.py``)
   adds what the words miss, and a second model weighs words and meaning.

Three outcomes: confident, the article is the answer; unsure but close,
the best candidates are offered as "did you mean"; nothing close, the
question is escalated.  ``budget`` bounds the optional work of steps 2-3.
"""
from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .analyzers import warm_up
from .articles import Article
from .calibration import Calibration, Model, margin, standard_scores
from .detect import Detection, detect
from .index import LanguageIndex, build_language_index
from .languages import CODES, LANGUAGES
from .scoring import top_k
from .segments import Segment, segments
from .semantic import EmbeddingCache, SemanticIndex, build_semantic_index, question_vector
from .validate import check_folder

MAX_CANDIDATES = 5
SEMANTIC_SECONDS = 0.15  # what an unsure question's embedding may need; not started with less budget left
_LATIN_LETTER = re.compile(r"[A-Za-z]")

ANSWERED, SUGGESTED, ESCALATED = "answered", "suggested", "escalated"


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
    outcome: str = ESCALATED
    margin: float = 0.0  # best confidence minus the runner-up's: a low one marks a doubtful answer
    semantic: bool = False  # whether the sentence encoder was consulted

    @property
    def suggestions(self) -> tuple[Candidate, ...]:
        """The "did you mean" buttons: the first three candidates, when the outcome says so."""
        return self.candidates[:3] if self.outcome == SUGGESTED else ()


@dataclass(frozen=True)
class Ranking:
    """Candidates, best first, with the model that rated them."""

    order: np.ndarray  # article positions
    confidences: np.ndarray
    model: Model

    @property
    def best(self) -> float:
        return float(self.confidences[0]) if self.order.size else 0.0

    @property
    def sure(self) -> bool:
        return self.best >= self.model.threshold


@dataclass
class Evidence:
    """Per-article feature columns for one question (see ``calibration.FEATURES``)."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    fused: np.ndarray | None = None  # the word ranking score
    semantic: bool = False


class Retriever:
    """Answers questions from a set of articles; safe to share between threads."""

    def __init__(self, articles: Sequence[Article], indexes: dict[str, LanguageIndex], calibration: Calibration,
                 semantic_index: SemanticIndex | None = None):
        ordered = sorted(articles, key=lambda a: a.id)
        self.articles = {a.id: a for a in ordered}
        self.article_ids = [a.id for a in ordered]
        self.indexes = indexes
        self.calibration = calibration
        self.semantic_index = semantic_index
        self.version = content_hash(ordered)
        position = {article_id: i for i, article_id in enumerate(self.article_ids)}
        self._positions = {lang: np.asarray([position[a] for a in index.article_ids], dtype=np.int64)
                           for lang, index in indexes.items()}

    @classmethod
    def from_articles(cls, articles: Sequence[Article], calibration: Calibration | None = None,
                      semantic: bool = False, cache: EmbeddingCache | None = None) -> "Retriever":
        """Index ``articles``; with ``semantic`` also embed them (cached in ``cache``)."""
        warm_up()  # Korean analysis needs Kiwi's model: load it while the other languages index
        languages = [c for c in CODES if any(c in a.translations for a in articles)]
        built = {lang: build_language_index(lang, articles) for lang in sorted(languages, key=lambda c: c == "ko")}
        retriever = cls(articles, {lang: built[lang] for lang in languages}, calibration or Calibration.load())
        return retriever.with_semantic(cache) if semantic else retriever

    @classmethod
    def from_directory(cls, folder: str | Path, required_languages: Sequence[str] | None = None,
                       semantic: bool = False, cache: EmbeddingCache | None = None) -> "Retriever":
        """Validate and index a knowledge folder; raise ``KnowledgeError`` if it has problems."""
        report = check_folder(folder, required_languages or CODES)
        if not report.ok:
            raise KnowledgeError(report.problems)
        return cls.from_articles(report.articles, semantic=semantic, cache=cache)

    def with_semantic(self, cache: EmbeddingCache | None = None) -> "Retriever":
        """The same retriever with its articles embedded (the words' indexes are shared, not rebuilt)."""
        articles = [self.articles[a] for a in self.article_ids]
        return Retriever(articles, self.indexes, self.calibration, build_semantic_index(articles, cache))

    def rebuilt(self, changed: Sequence[Article], removed_ids: Sequence[str] = (),
                cache: EmbeddingCache | None = None) -> "Retriever":
        """A new retriever with ``changed`` articles added or replaced and ``removed_ids`` gone.

        Only the languages whose translations differ are re-indexed (an
        editor's fix to the English text re-indexes English alone); every
        other language's index is shared with this retriever, unchanged.
        The result equals ``from_articles`` over the new set of articles.
        This retriever is left as it was, so it can go on serving until the
        new one replaces it.
        """
        removed = set(removed_ids)
        articles = {a.id: a for a in self.articles.values() if a.id not in removed}
        touched = {lang for a in removed if a in self.articles for lang in self.articles[a].translations}
        for article in changed:
            old = self.articles.get(article.id)
            before = old.translations if old else {}
            touched |= {lang for lang in {*before, *article.translations}
                        if before.get(lang) != article.translations.get(lang)}
            articles[article.id] = article
        ordered = sorted(articles.values(), key=lambda a: a.id)  # rows in id order, as ``from_directory`` builds
        languages = [c for c in CODES if any(c in a.translations for a in ordered)]
        built = {lang: build_language_index(lang, ordered) for lang in languages
                 if lang in touched or lang not in self.indexes}
        indexes = {lang: built.get(lang) or self.indexes[lang] for lang in languages}
        retriever = Retriever(ordered, indexes, self.calibration)
        return retriever.with_semantic(cache) if self.semantic_index is not None else retriever

    def with_calibration(self, calibration: Calibration) -> "Retriever":
        return Retriever(list(self.articles.values()), self.indexes, calibration, self.semantic_index)

    # --- asking -------------------------------------------------------------

    def ask(self, question: str, lang: str | None = None, budget: float | None = None,
            semantic: bool = True) -> Answer:
        """Answer ``question``; ``lang`` is the supplier's chosen language, if any.

        ``budget`` (seconds) bounds the optional work: once it is spent, no
        further language is tried and the encoder is not started, and the
        best ranking so far stands, so no single question can hold a worker.
        """
        deadline = time.monotonic() + budget if budget is not None else float("inf")
        detection = detect(question, lang)
        answer_lang = detection.lang if detection.lang in self.indexes else next(iter(self.indexes))
        evidence, ranking = self.fast_ranking(question, answer_lang, deadline)
        if semantic and self.semantic_index is not None and ranking.best < self.calibration.fast_sure \
                and deadline - time.monotonic() > SEMANTIC_SECONDS:
            ranking = self.full_ranking(question, evidence)
        return self._answer(question, detection, answer_lang, ranking, evidence.semantic)

    def fast_ranking(self, question: str, lang: str, deadline: float = float("inf")) -> tuple[Evidence, Ranking]:
        """Words only, in ``lang``; when unsure, also in the languages that could still match."""
        message = segments(question)
        evidence = self.word_evidence(message, [lang])
        ranking = self.rank(evidence, self.calibration.fast)
        others = self.fallback_languages(question, lang)
        if not ranking.sure and others and time.monotonic() < deadline:
            wider = self.word_evidence(message, [lang, *others])
            widened = self.rank(wider, self.calibration.fast)
            if widened.best > ranking.best:
                return wider, widened
        return evidence, ranking

    def full_ranking(self, question: str, evidence: Evidence) -> Ranking:
        """Words and meaning: the encoder's similarities join the word evidence."""
        vector = question_vector(question)
        units, paragraphs = self.semantic_index.similarities(vector)
        evidence.columns.update(e5=units, e5_margin=margin(units), e5_z=standard_scores(units), e5_body=paragraphs,
                                e5_body_margin=margin(paragraphs))
        evidence.semantic = True
        return self.rank(evidence, self.calibration.full)

    def fallback_languages(self, question: str, lang: str) -> list[str]:
        """Other languages whose translations could still match the question.

        Latin letters (product terms, English words) can match any language's
        text; without them only the other languages of the same script can
        (a zh-Hant question against zh-Hans articles).
        """
        script = LANGUAGES[lang].script
        latin = bool(_LATIN_LETTER.search(question))
        return [code for code in self.indexes if code != lang and (latin or LANGUAGES[code].script == script)]

    def rank(self, evidence: Evidence, model: Model) -> Ranking:
        """The best candidates by ranking score, then ordered by ``model``'s confidence."""
        order = top_k(self.ranking_score(evidence), MAX_CANDIDATES)
        rows = np.column_stack([evidence.columns[name][order] for name in model.features])
        confidences = model.confidence(rows)
        resort = np.argsort(-confidences, kind="stable")
        return Ranking(order[resort], confidences[resort], model)

    def ranking_score(self, evidence: Evidence) -> np.ndarray:
        """Word score, moved by meaning when the encoder was consulted (both on a 0..1 scale)."""
        fused = evidence.fused
        if not evidence.semantic:
            return fused
        words = fused / fused.max() if fused.max() > 0 else fused
        units = evidence.columns["e5"]
        return words + self.calibration.semantic_weight * (units - units.max()) + 1.0

    def word_evidence(self, message: list[Segment], languages: Sequence[str]) -> Evidence:
        """The word features of every article: the whole message in every one of ``languages``
        (best of them), its sentences in the first (the question's) only, so the work stays
        linear in the message, whatever the number of languages tried."""
        bm25, ngram, coverage, terms = self._segment_words(message[0].text, languages)
        per_segment = [(bm25, ngram, coverage)]
        per_segment += [self._segment_words(segment.text, languages[:1])[:3] for segment in message[1:]]
        stacked = np.stack([np.stack(columns) for columns in per_segment])  # segments x 3 x articles
        fused = self.calibration.fuse(bm25, ngram)
        columns = {
            "bm25": bm25, "ngram": ngram, "coverage": coverage, "lex_margin": margin(fused),
            "seg_bm25": stacked[:, 0].max(axis=0), "seg_ngram": stacked[:, 1].max(axis=0),
            "seg_coverage": stacked[:, 2].max(axis=0),
            "sentences": np.full(len(self.article_ids), float(len(message) > 1)),
            "terms": np.full(len(self.article_ids), min(terms, 10) / 10),
        }
        return Evidence(columns, fused)

    def _segment_words(self, text: str, languages: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Normalised BM25, n-gram cosine and term coverage of one text, per article, best over ``languages``;
        and how many distinct terms the text has in the first language."""
        n = len(self.article_ids)
        bm25, ngram, coverage, terms = np.zeros(n), np.zeros(n), np.zeros(n), None
        for lang in languages:
            index, at = self.indexes[lang], self._positions[lang]
            tokens = index.analyzer(text)
            terms = len(set(tokens)) if terms is None else terms
            ceiling = index.max_bm25(tokens)
            scores, covered = index.bm25(tokens)
            # ``at`` names each article once, so a fancy-indexed maximum is exact
            bm25[at] = np.maximum(bm25[at], scores / ceiling if ceiling > 0 else scores)
            ngram[at] = np.maximum(ngram[at], index.ngram_similarity(text))
            coverage[at] = np.maximum(coverage[at], covered)
        return bm25, ngram, coverage, terms or 0

    def _answer(self, question: str, detection: Detection, lang: str, ranking: Ranking, semantic: bool) -> Answer:
        candidates = tuple(
            Candidate(self.article_ids[i], self.title(self.article_ids[i], lang), round(float(c), 4))
            for i, c in zip(ranking.order, ranking.confidences)
        )
        best = candidates[0].confidence if candidates else 0.0
        runner_up = candidates[1].confidence if len(candidates) > 1 else 0.0
        base = dict(question=question, lang=lang, detected_lang=detection.detected, confidence=best,
                    candidates=candidates, margin=round(best - runner_up, 4), semantic=semantic)
        if not candidates or not ranking.sure:
            outcome = SUGGESTED if candidates and best >= self.calibration.suggest else ESCALATED
            return Answer(answered=False, outcome=outcome, **base)
        top = self.translation(candidates[0].article_id, lang)
        return Answer(answered=True, outcome=ANSWERED, article_id=candidates[0].article_id, title=top.title,
                      body=top.body, **base)

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
    """A short hash of every article's content and metadata, naming the knowledge version served.

    Metadata counts: an editor who only fixes a category or marks a translation
    as checked (its date) publishes a new version, not the one already served.
    """
    digest = hashlib.sha256()
    for article in sorted(articles, key=lambda a: a.id):
        digest.update("\x00".join((article.id, article.category, *article.tags, str(article.updated))).encode())
        for lang in sorted(article.translations):
            t = article.translations[lang]
            digest.update("\x00".join((lang, t.title, *t.questions, t.body, str(t.updated))).encode())
    return digest.hexdigest()[:12]
