"""Compiled loops over the index's sparse columns (numba), for the per-question hot paths.

A question touches a few columns of a large sparse matrix.  Expressed as
NumPy calls each step costs a microsecond or more of call overhead and a
temporary array, which on a 1,000-document index is most of the time;
the same work as one compiled loop reads each posting once.  Each kernel
takes the plain CSC arrays (``indptr``, ``indices``, ``data``), so it reads
memory-mapped index files as they are, without copies.

Kernels are compiled on first use and cached next to this file
(``cache=True``), so a worker that starts after the first one loads the
machine code instead of compiling it.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def column_scores(indptr, indices, data, columns, weights, n_rows):
    """matrix[:, columns] @ weights and, per row, how many of ``columns`` it has (both dense)."""
    scores = np.zeros(n_rows)
    matches = np.zeros(n_rows)
    for j in range(columns.size):
        column, weight = columns[j], weights[j]
        for p in range(indptr[column], indptr[column + 1]):
            row = indices[p]
            scores[row] += data[p] * weight
            matches[row] += 1.0
    return scores, matches


@njit(cache=True, nogil=True)
def _value_at(indptr, indices, data, column, row):
    """matrix[row, column] by binary search in the column's sorted row indices (0 if absent)."""
    lo, hi = indptr[column], indptr[column + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if indices[mid] < row:
            lo = mid + 1
        else:
            hi = mid
    if lo < indptr[column + 1] and indices[lo] == row:
        return data[lo]
    return 0.0


@njit(cache=True, nogil=True)
def _insert(best_rows, best_scores, filled, row, score):
    """Insert (row, score) into the first ``filled`` entries kept best first; ties keep the lower row first."""
    k = best_rows.size
    if filled == k:
        last = best_scores[k - 1]
        if score < last or (score == last and row > best_rows[k - 1]):
            return filled
        position = k - 1
    else:
        position = filled
        filled += 1
    while position > 0 and (best_scores[position - 1] < score
                            or (best_scores[position - 1] == score and best_rows[position - 1] > row)):
        best_rows[position] = best_rows[position - 1]
        best_scores[position] = best_scores[position - 1]
        position -= 1
    best_rows[position] = row
    best_scores[position] = score
    return filled


@njit(cache=True, nogil=True)
def top_k_maxscore(indptr, indices, data, columns, weights, bounds, n_rows, k):
    """The exact k best rows of matrix[:, columns] @ weights, touching few postings (MaxScore).

    ``columns`` come ordered by their highest possible contribution
    (``bounds``), largest first; ``remaining[j]`` is the sum of the bounds
    after column j.  A
    row is scored once, exactly, where it first appears: its value there
    plus its values in the later columns, found by binary search (it is in
    no earlier one).  Before that, its bound (value + ``remaining[j]``) is
    compared with the k-th best score so far, so most rows of the long,
    low-weight columns of frequent terms cost one comparison; and once the
    bound of every later column together falls below the k-th best score,
    no unseen row can enter the top k and those columns are not read at all.
    """
    remaining = np.zeros(columns.size)
    for j in range(columns.size - 2, -1, -1):
        remaining[j] = remaining[j + 1] + bounds[j + 1]
    seen = np.zeros(n_rows, dtype=np.bool_)
    best_rows = np.empty(k, dtype=np.int64)
    best_scores = np.empty(k)
    filled = 0
    kth = 0.0
    for j in range(columns.size):
        column, weight, after = columns[j], weights[j], remaining[j]
        start, end = indptr[column], indptr[column + 1]
        if filled == k and bounds[j] + after < kth:
            break
        for p in range(start, end):
            row = indices[p]
            if seen[row]:
                continue
            seen[row] = True
            score = data[p] * weight
            if filled == k and score + after < kth:
                continue
            for later in range(j + 1, columns.size):
                score += _value_at(indptr, indices, data, columns[later], row) * weights[later]
            filled = _insert(best_rows, best_scores, filled, row, score)
            if filled == k:
                kth = best_scores[k - 1]
    return best_rows[:filled].copy(), best_scores[:filled].copy()


@njit(cache=True, nogil=True)
def query_columns(term_ids, upper):
    """A query's distinct terms, their counts and bounds (``upper`` x count), largest bound first:
    the inputs of ``top_k_maxscore``, without NumPy's per-call overhead."""
    ordered = np.sort(term_ids)
    columns = np.empty(ordered.size, dtype=np.int64)
    counts = np.zeros(ordered.size)
    n = 0
    for i in range(ordered.size):
        if n == 0 or ordered[i] != columns[n - 1]:
            columns[n] = ordered[i]
            n += 1
        counts[n - 1] += 1.0
    columns, counts = columns[:n], counts[:n]
    bounds = upper[columns] * counts
    order = np.argsort(-bounds, kind="mergesort")  # stable: equal bounds keep term order
    return columns[order], counts[order], bounds[order]


@njit(cache=True, nogil=True)
def bm25_top_k(indptr, indices, data, upper, term_ids, n_rows, k):
    """``top_k_maxscore`` for a query given as raw term ids (repeats count again): one call per question."""
    columns, counts, bounds = query_columns(term_ids, upper)
    return top_k_maxscore(indptr, indices, data, columns, counts, bounds, n_rows, k)


@njit(cache=True, nogil=True)
def best_unit_cosine(indptr, indices, data, columns, weights, unit_owner, n_owners, max_postings):
    """Per owner (article), the best of its units' (titles', questions') dot products with a query vector.

    Columns with more than ``max_postings`` entries are skipped: on a large
    index they are the commonest, least weighted n-grams.  The postings are
    summed without bookkeeping, then one pass over the units takes each
    owner's maximum (units that share nothing stay at 0, as owners do).
    """
    sims = np.zeros(unit_owner.size)
    for j in range(columns.size):
        column, weight = columns[j], weights[j]
        start, end = indptr[column], indptr[column + 1]
        if end - start > max_postings:
            continue
        for p in range(start, end):
            sims[indices[p]] += data[p] * weight
    best = np.zeros(n_owners)
    for row in range(unit_owner.size):
        owner = unit_owner[row]
        if sims[row] > best[owner]:
            best[owner] = sims[row]
    return best
