"""The search index: per language, a BM25 matrix and a character n-gram matrix.

Each language's translations form their own small collection, analysed by
that language's analyzer.  BM25 runs over title, alternative questions and
body with integer field weights (a title word counts as three body words).
Character n-grams (TF-IDF, cosine) compare the question with each title and
alternative question, which forgives typos and unsplit compounds.
"""
from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from . import kernels
from .analyzers import Analyzer, analyzer_for, fold_for_matching, lexicon_of
from .articles import Article
from .scoring import B, K1, bm25_scores_and_matches, bm25_weights, document_frequencies, idf_function

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

FIELD_WEIGHTS = {"title": 3, "questions": 2, "body": 1}
NGRAM_RANGE = (1, 4)
MAX_NGRAM_POSTINGS = 5000  # n-grams in more titles and questions than this are too common to read


@dataclass
class LanguageIndex:
    """Everything needed to score one language's translations against a question.

    Vocabularies are sorted arrays of strings looked up by binary search,
    not dicts: a Chinese n-gram vocabulary of 650,000 terms is then one
    ~10 MB array that forked workers share from a memory-mapped file,
    instead of ~80 MB of Python objects in every worker.
    """

    lang: str
    article_ids: list[str]
    terms: np.ndarray  # BM25 terms, sorted; a term's position is its column
    idf: np.ndarray
    weights: sparse.csc_matrix  # documents x terms, BM25 contributions
    ngram_terms: np.ndarray  # character n-grams, sorted
    ngram_idf: np.ndarray
    unit_matrix: sparse.spmatrix  # titles and questions x n-grams, L2-normalised (kept CSC)
    unit_starts: np.ndarray  # first unit row of each article
    lexicon: frozenset[str] = frozenset()
    k1: float = K1
    analyzer: Analyzer = field(init=False, repr=False)
    _unseen_idf: float = field(init=False, repr=False)
    _unit_article: np.ndarray = field(init=False, repr=False)
    _unknown_idf: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.analyzer = analyzer_for(self.lang, self.lexicon)
        if not sparse.isspmatrix_csc(self.unit_matrix):
            self.unit_matrix = sparse.csc_matrix(self.unit_matrix)
        self._unit_article = np.repeat(  # the article each title / question row belongs to
            np.arange(len(self.unit_starts), dtype=np.int64),
            np.diff(np.append(self.unit_starts, self.unit_matrix.shape[0])),
        )
        self._unknown_idf = float(idf_function("lucene")(np.zeros(1), len(self.article_ids))[0])  # df = 0
        self._unseen_idf = float(np.log(1.0 + self.unit_matrix.shape[0]) + 1.0)  # sklearn's smooth IDF at df = 0
        for matrix in (self.weights, self.unit_matrix):  # built or memory-mapped: the kernels see one array type
            for array in (matrix.data, matrix.indices, matrix.indptr):
                array.flags.writeable = False

    def term_positions(self, tokens: Sequence[str]) -> np.ndarray:
        """Each token's column, -1 for a token the index does not know."""
        return lookup(self.terms, tokens)

    def term_ids(self, tokens: Sequence[str]) -> np.ndarray:
        positions = self.term_positions(tokens)
        return positions[positions >= 0]

    def bm25(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """BM25 of every document, and the share of the question's distinct terms each contains."""
        scores, matches = bm25_scores_and_matches(self.weights, self.term_ids(tokens))
        distinct = len(set(tokens))
        return scores, (matches / distinct if distinct else matches)

    def max_bm25(self, tokens: Sequence[str]) -> float:
        """The most any document could score: each term saturated, unknown terms at top IDF.

        Dividing by it puts BM25 on a 0..1 scale that means the same for
        every question, the basis of a comparable confidence.
        """
        positions = self.term_positions(tokens)
        known = positions >= 0
        values = np.where(known, self.idf[np.where(known, positions, 0)] if self.idf.size else 0.0, self._unknown_idf)
        return sum(values.tolist()) * (self.k1 + 1.0)  # summed in token order, as before

    def ngram_similarity(self, text: str) -> np.ndarray:
        """Best cosine between the question and each article's title or questions.

        The question's vector is built here rather than by sklearn's
        ``transform`` (which costs ~1 ms in input checks), and n-grams the
        index has never seen stay in its norm at the highest IDF, so a
        question made mostly of unknown text cannot look similar.
        """
        counts = question_ngrams(text)
        if not counts or not self.unit_starts.size:
            return np.zeros(len(self.article_ids))
        ids = lookup(self.ngram_terms, list(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        known = ids >= 0
        ids = ids[known]
        weights = tf[known] * self.ngram_idf[ids]
        norm = np.sqrt(np.sum(weights**2) + np.sum((tf[~known] * self._unseen_idf) ** 2))
        # On a large index the commonest n-grams have postings of hundreds of thousands of
        # entries and the least weight: they stay in the norm but are not read.  A small
        # index (the shipped one has ~250 units) never reaches the cap, so nothing changes.
        m = self.unit_matrix
        return kernels.best_unit_cosine(m.indptr, m.indices, m.data, ids, weights / norm, self._unit_article,
                                        len(self.article_ids), MAX_NGRAM_POSTINGS)


def lookup(terms: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """Positions of ``keys`` in the sorted array ``terms`` by binary search, -1 where a key is absent."""
    if not len(keys) or not terms.size:
        return np.full(len(keys), -1, dtype=np.int64)
    wanted = np.asarray(keys, dtype=str)
    at = np.minimum(np.searchsorted(terms, wanted), terms.size - 1)
    return np.where(terms[at] == wanted, at, -1).astype(np.int64)


def sorted_terms(vocabulary: dict[str, int]) -> np.ndarray:
    """A vectorizer's vocabulary as the sorted array ``lookup`` reads (its columns are in sorted order)."""
    terms = sorted(vocabulary, key=vocabulary.get)
    array = np.asarray(terms, dtype=str) if terms else np.empty(0, dtype="<U1")
    if terms and not bool(np.all(array[:-1] < array[1:])):
        raise ValueError("vocabulary columns are not in sorted term order")
    return array


@functools.lru_cache(maxsize=256)
def question_ngrams(text: str) -> Counter:
    """Character n-gram counts of a question, shared by every language's index."""
    folded = fold_for_matching(text)
    low, high = NGRAM_RANGE
    return Counter(folded[i : i + n] for n in range(low, high + 1) for i in range(len(folded) - n + 1))


def build_language_index(lang: str, articles: Sequence[Article], k1: float = K1, b: float = B) -> LanguageIndex:
    """Index the ``lang`` translations of ``articles`` (articles lacking it are skipped)."""
    translated = [a for a in articles if lang in a.translations]
    texts = [a.translations[lang] for a in translated]
    lexicon = lexicon_of(t.text for t in texts) if lang == "de" else frozenset()
    analyze = analyzer_for(lang, lexicon)
    counts, vocabulary = field_weighted_counts(texts, analyze)
    idf = idf_function("lucene")(document_frequencies(counts), len(texts))
    ngrams, units, starts = ngram_units(texts)
    return LanguageIndex(
        lang, [a.id for a in translated], sorted_terms(vocabulary), idf, bm25_weights(counts, idf, k1, b),
        sorted_terms(ngrams.vocabulary_) if units.shape[0] else np.empty(0, dtype="<U1"),
        np.asarray(getattr(ngrams, "idf_", np.empty(0))), sparse.csc_matrix(units), starts, lexicon, k1,
    )


def field_weighted_counts(texts, analyze: Analyzer) -> tuple[sparse.csr_matrix, dict[str, int]]:
    """Term counts per document, each field's counts multiplied by its weight.

    scikit-learn is imported here, not at the top: serving a built index never needs it,
    and its import (~1.2 s, scipy.stats included) is the largest part of a start.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    columns = {"title": [t.title for t in texts], "questions": [" \n".join(t.questions) for t in texts],
               "body": [t.body for t in texts]}
    analysed = iter(analyze.many(text for column in columns.values() for text in column))
    fields = {name: [next(analysed) for _ in column] for name, column in columns.items()}
    vectorizer = CountVectorizer(analyzer=_identity, lowercase=False)
    vectorizer.fit([tokens for column in fields.values() for tokens in column])
    total = sum(FIELD_WEIGHTS[name] * vectorizer.transform(column) for name, column in fields.items())
    return sparse.csr_matrix(total), dict(vectorizer.vocabulary_)


def ngram_units(texts) -> tuple[TfidfVectorizer, sparse.csr_matrix, np.ndarray]:
    """TF-IDF character n-grams of every title and alternative question (scikit-learn: building only)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    units, starts = [], []
    fold = functools.cache(fold_for_matching)  # titles and questions repeat: fold each distinct one once
    for t in texts:
        starts.append(len(units))
        units.extend(fold(s) for s in (t.title, *t.questions))
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAM_RANGE, sublinear_tf=True, lowercase=False)
    matrix = vectorizer.fit_transform(units) if units else sparse.csr_matrix((0, 0))
    return vectorizer, sparse.csr_matrix(matrix), np.asarray(starts, dtype=np.int64)


def _identity(tokens):
    return tokens
