"""BM25 as sparse-matrix arithmetic, and the top-k selection.

Indexing precomputes every (document, term) BM25 contribution into one
sparse matrix; a query is then one sparse column sum, whatever the number
of documents.  Each IDF variant is a small pure function named for its
formula and picked by name from ``IDF``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

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


def _gather(matrix: sparse.csc_matrix, columns: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row indices and weighted values of every stored entry in ``columns``, by index arithmetic."""
    starts, ends = matrix.indptr[columns], matrix.indptr[columns + 1]
    lengths = ends - starts
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    return matrix.indices[offsets], matrix.data[offsets] * np.repeat(weights, lengths)


def column_sum(matrix: sparse.csc_matrix, columns: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """matrix[:, columns] @ weights, read straight from the CSC arrays.

    Gathers the columns' postings with index arithmetic and sums them per
    row with one ``bincount``: the same result as SciPy's product without
    its ~0.1 ms of indexing overhead per call, which dominates on a small
    index and still matters on a large one.
    """
    rows, values = _gather(matrix, columns, weights)
    return np.bincount(rows, weights=values, minlength=matrix.shape[0])


def column_max(matrix: sparse.csc_matrix) -> np.ndarray:
    """Each column's largest entry (0 for an empty column): a term's most a document can get."""
    result = np.zeros(matrix.shape[1])
    filled = np.flatnonzero(np.diff(matrix.indptr))
    if filled.size:
        result[filled] = np.maximum.reduceat(matrix.data, matrix.indptr[filled])
    return result


def values_at(matrix: sparse.csc_matrix, column: int, rows: np.ndarray) -> np.ndarray:
    """matrix[rows, column] for many rows at once (0 where absent), by binary search."""
    start, end = matrix.indptr[column], matrix.indptr[column + 1]
    if end == start:
        return np.zeros(rows.size)
    stored = matrix.indices[start:end]  # sorted: bm25_weights sorts them
    where = np.minimum(np.searchsorted(stored, rows), end - start - 1)
    return np.where(stored[where] == rows, matrix.data[start + where], 0.0)


def bm25_top_k(
    weights: sparse.csc_matrix, upper: np.ndarray, term_ids: Sequence[int], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The exact k best documents and their scores, touching few postings (MaxScore).

    Terms are taken from the highest possible contribution (``upper``, the
    column maxima) down.  Documents that none of the first terms contain can
    score at most the sum of the remaining terms' maxima; once the k-th best
    score among the documents that do exceeds that, no other document can
    enter the top k, and the remaining (frequent, long) postings are only
    looked up for those candidates instead of being read whole.
    """
    if not len(term_ids):
        return np.empty(0, dtype=np.int64), np.empty(0)
    unique, counts = np.unique(np.asarray(term_ids, dtype=np.int64), return_counts=True)
    bounds = upper[unique] * counts
    by_bound = np.argsort(-bounds, kind="stable")
    unique, counts, bounds = unique[by_bound], counts[by_bound].astype(np.float64), bounds[by_bound]
    remaining = np.concatenate((np.cumsum(bounds[::-1])[::-1][1:], [0.0]))
    lengths = weights.indptr[unique + 1] - weights.indptr[unique]
    cheap = int(np.searchsorted(np.cumsum(lengths), weights.shape[0] // 50, side="right"))
    seen, marked = np.zeros(weights.shape[0], dtype=bool), 0
    for split in range(max(cheap, 1), unique.size + 1):
        for term in unique[marked:split]:  # the short lists of rare terms are read whole
            seen[weights.indices[weights.indptr[term] : weights.indptr[term + 1]]] = True
        marked = split
        docs = np.flatnonzero(seen)
        if docs.size > weights.shape[0] // 8:  # most documents are candidates: score them all at once
            return _dense_top_k(weights, unique, counts, k)
        scores = sum(values_at(weights, t, docs) * c for t, c in zip(unique, counts))
        best = top_k(scores, k)
        kth = scores[best[-1]] if best.size == k else 0.0
        if remaining[split - 1] < kth or split == unique.size:
            return docs[best], scores[best]
    raise AssertionError("unreachable")


def _dense_top_k(weights, terms: np.ndarray, counts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = column_sum(weights, terms, counts)
    best = top_k(scores, k)
    best = best[scores[best] > 0]
    return best, scores[best]


def bm25_scores(weights: sparse.csc_matrix, term_ids: Sequence[int]) -> np.ndarray:
    """Scores of every document for a query given as term ids (a repeated term counts again)."""
    return bm25_scores_and_matches(weights, term_ids)[0]


def bm25_scores_and_matches(weights: sparse.csc_matrix, term_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every document's score, and how many distinct query terms it contains, from one pass."""
    if not len(term_ids):
        return np.zeros(weights.shape[0]), np.zeros(weights.shape[0])
    unique, counts = np.unique(np.asarray(term_ids, dtype=np.int64), return_counts=True)
    rows, values = _gather(weights, unique, counts.astype(np.float64))
    n_docs = weights.shape[0]
    return np.bincount(rows, weights=values, minlength=n_docs), np.bincount(rows, minlength=n_docs).astype(np.float64)


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
