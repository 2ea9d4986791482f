"""BM25 as sparse-matrix arithmetic, and the top-k selection.

Indexing precomputes every (document, term) BM25 contribution into one
sparse matrix; a query is then one sparse column sum, whatever the number
of documents, done by a compiled loop (``kernels.py``) over the CSC arrays.  Each IDF variant is a small pure function named for its
formula and picked by name from ``IDF``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from . import kernels

K1 = 1.2
B = 0.75


def idf_lucene(df: np.ndarray, n_docs: int) -> np.ndarray:
    """log(1 + (N - n + 0.5) / (n + 0.5)): always positive, so a term in every document still counts.

    rank-bm25's Okapi form, log((N - n + 0.5) / (n + 0.5)), is zero or
    negative once a term is in half the documents, which wrecks small
    corpora (rank_bm25 issues #29, #39, #43).
    """
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


def idf_okapi(df: np.ndarray, n_docs: int) -> np.ndarray:
    """log((N - n + 0.5) / (n + 0.5)): the classic Robertson-Sparck Jones form, for comparison."""
    return np.log((n_docs - df + 0.5) / (df + 0.5))


IDF = {"lucene": idf_lucene, "okapi": idf_okapi}


def idf_function(name: str):
    try:
        return IDF[name]
    except KeyError:
        raise ValueError(f"unknown idf {name!r}; choose from {', '.join(IDF)}") from None


def document_frequencies(tf: sparse.csr_matrix) -> np.ndarray:
    """How many documents contain each term."""
    return np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float64)


def bm25_weights(
    tf: sparse.csr_matrix, idf: np.ndarray, k1: float = K1, b: float = B
) -> sparse.csc_matrix:
    """Every document-term BM25 contribution, idf * tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)).

    ``tf`` holds (possibly field-weighted) term frequencies, documents as
    rows; document length is the row sum.  The result is column-major so a
    query reads only its own terms' columns.
    """
    tf = sparse.csr_matrix(tf, dtype=np.float64)
    lengths = np.asarray(tf.sum(axis=1)).ravel()
    avgdl = lengths.mean() if lengths.size and lengths.mean() > 0 else 1.0
    norm = k1 * (1.0 - b + b * lengths / avgdl)
    rows = np.repeat(np.arange(tf.shape[0]), np.diff(tf.indptr))
    data = idf[tf.indices] * tf.data * (k1 + 1.0) / (tf.data + norm[rows])
    weights = sparse.csr_matrix((data, tf.indices, tf.indptr), shape=tf.shape).tocsc()
    weights.sort_indices()
    return weights


def column_max(matrix: sparse.csc_matrix) -> np.ndarray:
    """Each column's largest entry (0 for an empty column): a term's most a document can get."""
    result = np.zeros(matrix.shape[1])
    filled = np.flatnonzero(np.diff(matrix.indptr))
    if filled.size:
        result[filled] = np.maximum.reduceat(matrix.data, matrix.indptr[filled])
    return result


def query_terms(term_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct term ids, ascending, and how often each occurs (a repeated term counts again).

    A plain dict: a question has a handful of terms, and ``np.unique`` costs
    more in call overhead than the whole count.
    """
    counts: dict[int, int] = {}
    for term in term_ids:
        counts[term] = counts.get(term, 0) + 1
    distinct = sorted(counts)
    return (np.fromiter(distinct, dtype=np.int64, count=len(distinct)),
            np.fromiter((counts[t] for t in distinct), dtype=np.float64, count=len(distinct)))


def bm25_top_k(
    weights: sparse.csc_matrix, upper: np.ndarray, term_ids: Sequence[int], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The exact k best documents and their scores, touching few postings (MaxScore, ``kernels.top_k_maxscore``).

    Terms are taken from the highest possible contribution (``upper``, the
    column maxima) down; documents that contain none of the terms are no match.
    """
    if not len(term_ids) or k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    return kernels.bm25_top_k(weights.indptr, weights.indices, weights.data, upper,
                              np.asarray(term_ids, dtype=np.int64), weights.shape[0], k)


def bm25_scores(weights: sparse.csc_matrix, term_ids: Sequence[int]) -> np.ndarray:
    """Scores of every document for a query given as term ids (a repeated term counts again)."""
    return bm25_scores_and_matches(weights, term_ids)[0]


def bm25_scores_and_matches(weights: sparse.csc_matrix, term_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every document's score, and how many distinct query terms it contains, from one compiled pass."""
    if not len(term_ids):
        return np.zeros(weights.shape[0]), np.zeros(weights.shape[0])
    terms, counts = query_terms(term_ids)
    return kernels.column_scores(weights.indptr, weights.indices, weights.data, terms, counts, weights.shape[0])


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first (ties keep document order).

    When at least k but fewer than half of the scores are positive, only
    those are ranked: on a large index a question touches a small part of it.
    """
    k = min(k, scores.size)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    positive = np.flatnonzero(scores > 0)
    if k <= positive.size < scores.size // 2:
        return positive[_top(scores[positive], k)]
    return _top(scores, k)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    part = np.argpartition(-scores, k - 1)[:k] if k < scores.size else np.arange(scores.size)
    return part[np.lexsort((part, -scores[part]))]
