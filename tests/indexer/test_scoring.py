"""BM25 as sparse arithmetic, checked against rank-bm25 as the reference."""
import numpy as np
import pytest
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import CountVectorizer

from indexer.scoring import (
    bm25_scores,
    bm25_top_k,
    bm25_weights,
    column_max,
    document_frequencies,
    idf_function,
    idf_lucene,
    top_k,
)

CORPUS = [
    "supplier connects customer coupa portal".split(),
    "supplier sends invoice customer pays invoice".split(),
    "two factor authentication account settings supplier".split(),
    "ticket number cs0012345 status supplier ticket".split(),
    "connection request pending expired rejected approved".split(),
    "customer pays supplier bank details erp".split(),
]
QUERIES = [
    "customer pays invoice".split(),
    "supplier ticket ticket status".split(),
    "authentication".split(),
    "unknown words only".split(),
    "supplier".split(),
]


def _matrix(corpus):
    vectorizer = CountVectorizer(analyzer=lambda tokens: tokens)
    return vectorizer.fit_transform(corpus), vectorizer.vocabulary_


@pytest.mark.parametrize("k1, b", [(1.5, 0.75), (1.2, 0.75), (0.9, 0.4), (2.0, 1.0)])
@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_rank_bm25_with_its_idf(query, k1, b):
    reference = BM25Okapi(CORPUS, k1=k1, b=b)
    tf, vocabulary = _matrix(CORPUS)
    idf = np.array([reference.idf[term] for term in sorted(vocabulary, key=vocabulary.get)])
    weights = bm25_weights(tf, idf, k1, b)
    ours = bm25_scores(weights, [vocabulary[t] for t in query if t in vocabulary])
    np.testing.assert_allclose(ours, reference.get_scores(query), rtol=0, atol=1e-9)


def test_lucene_idf_keeps_a_term_that_is_in_every_document():
    tf, vocabulary = _matrix(CORPUS)
    idf = idf_lucene(document_frequencies(tf), len(CORPUS))
    assert idf[vocabulary["supplier"]] > 0  # in 5 of 6 documents
    scores = bm25_scores(bm25_weights(tf, idf), [vocabulary["supplier"]])
    assert (scores[[0, 1, 2, 3, 5]] > 0).all() and scores[4] == 0
    okapi = idf_function("okapi")(document_frequencies(tf), len(CORPUS))
    assert okapi[vocabulary["supplier"]] < 0  # the form that wrecks small corpora


def test_unknown_idf_name_lists_the_choices():
    with pytest.raises(ValueError, match="lucene, okapi"):
        idf_function("bm42")


def test_top_k_is_best_first_and_stable():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.0])
    assert top_k(scores, 3).tolist() == [1, 3, 2]
    assert top_k(scores, 10).tolist() == [1, 3, 2, 0, 4]
    assert top_k(np.array([]), 3).tolist() == []


def test_pruned_top_k_equals_exhaustive_top_k():
    """MaxScore may skip postings but never changes the k best documents or their scores."""
    rng = np.random.default_rng(7)
    vocabulary_size, n_docs = 400, 600
    zipf = 1 / np.arange(1, vocabulary_size + 1)
    corpus = [list(map(str, rng.choice(vocabulary_size, size=30, p=zipf / zipf.sum()))) for _ in range(n_docs)]
    tf, vocabulary = _matrix(corpus)
    weights = bm25_weights(tf, idf_lucene(document_frequencies(tf), n_docs))
    upper = column_max(weights)
    for _ in range(200):
        query = [vocabulary[t] for t in map(str, rng.choice(vocabulary_size, size=rng.integers(1, 9), p=zipf / zipf.sum())) if t in vocabulary]
        exhaustive = bm25_scores(weights, query)
        best = top_k(exhaustive, 10)
        best = best[exhaustive[best] > 0]  # documents without any query term are no match
        docs, scores = bm25_top_k(weights, upper, query, 10)
        np.testing.assert_allclose(scores, exhaustive[best], atol=1e-12)
        clear = scores[-1] + 1e-9  # documents strictly above the k-th score are the same, ties aside
        assert set(docs[scores > clear].tolist()) == set(best[exhaustive[best] > clear].tolist())
