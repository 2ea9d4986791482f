"""Memory-mapped loading, incremental rebuilds and the compiled kernels, each against a plain reference."""
import dataclasses
import mmap

import numpy as np
import pytest
from scipy import sparse

from indexer import Retriever, kernels, store
from indexer.index import lookup, sorted_terms

QUESTIONS = ["Who pays my invoices?", "Comment ajouter un collègue ?", "Wo sind meine Bankdaten?",
             "2단계 인증을 끄려면 어떻게 해야 하나요?", "如何提交工單？", "银行账户信息保存在哪里？"]


def _mapped(array: np.ndarray) -> bool:
    """Whether ``array``'s memory is a file mapping (walking the chain of views down to its owner)."""
    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False


def _same_answers(a: Retriever, b: Retriever) -> None:
    for question in QUESTIONS:
        x, y = a.ask(question, semantic=False), b.ask(question, semantic=False)
        assert (x.outcome, x.article_id, x.lang) == (y.outcome, y.article_id, y.lang), question
        np.testing.assert_allclose([c.confidence for c in x.candidates], [c.confidence for c in y.candidates],
                                   atol=1e-9)


def test_loaded_arrays_are_memory_mapped_and_read_only(built_index):
    loaded = store.load(built_index)
    for index in loaded.indexes.values():
        for array in (index.weights.data, index.weights.indices, index.unit_matrix.data, index.ngram_terms):
            if array.size:
                assert _mapped(array) and not array.flags.writeable


def test_loading_without_mmap_answers_the_same(words_only, built_index):
    in_memory = store.load(built_index, mmap=False)
    assert not _mapped(in_memory.indexes["en"].weights.data)
    _same_answers(words_only, in_memory)
    _same_answers(words_only, store.load(built_index))


def test_a_truncated_array_is_refused(built_index, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built_index, copy)
    path = copy / "en.bm25.data.index.npy"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(store.IndexFormatError, match="unreadable index arrays"):
        store.load(copy)


def _edited(article, lang: str, extra: str):
    translations = dict(article.translations)
    old = translations[lang]
    translations[lang] = dataclasses.replace(old, body=old.body + extra)
    return dataclasses.replace(article, translations=translations)


def test_rebuilt_after_one_edit_equals_a_full_build_and_reindexes_that_language_only(words_only):
    articles = list(words_only.articles.values())
    edited = _edited(words_only.articles["csp-who-pays"], "en", " Invoices are paid by your customer's treasury.")
    rebuilt = words_only.rebuilt([edited])
    full = Retriever.from_articles([edited if a.id == edited.id else a for a in articles])
    assert rebuilt.version == full.version != words_only.version
    assert rebuilt.indexes["en"] is not words_only.indexes["en"]
    assert all(rebuilt.indexes[lang] is words_only.indexes[lang] for lang in rebuilt.indexes if lang != "en")
    _same_answers(full, rebuilt)
    assert words_only.articles["csp-who-pays"] is not edited  # the served retriever is untouched


def test_rebuilt_adds_and_removes_articles(words_only):
    source = words_only.articles["csp-bank-details"]
    added = dataclasses.replace(source, id="zz-bank-details-copy")
    rebuilt = words_only.rebuilt([added], removed_ids=["csp-who-pays"])
    assert "zz-bank-details-copy" in rebuilt.articles and "csp-who-pays" not in rebuilt.articles
    full = Retriever.from_articles([*(a for a in words_only.articles.values() if a.id != "csp-who-pays"), added])
    assert rebuilt.version == full.version
    _same_answers(full, rebuilt)


@pytest.mark.parametrize("keys", [["b", "ab", "zz", "abcd", "a"], [], ["only-unknown"]])
def test_lookup_finds_exact_terms_only(keys):
    vocabulary = {"ab": 0, "abc": 1, "b": 2, "ü": 3}
    terms = sorted_terms(vocabulary)
    assert lookup(terms, keys).tolist() == [vocabulary.get(k, -1) for k in keys]


def test_best_unit_cosine_equals_the_dense_reference():
    rng = np.random.default_rng(3)
    units = sparse.random(60, 40, density=0.2, random_state=4, format="csc")
    owner = np.sort(rng.integers(0, 15, 60)).astype(np.int64)
    columns = np.array([1, 5, 7, 30, 39], dtype=np.int64)
    weights = rng.random(columns.size)
    sims = units[:, columns] @ weights
    expected = np.zeros(15)
    np.maximum.at(expected, owner, sims)
    got = kernels.best_unit_cosine(units.indptr, units.indices, units.data, columns, weights, owner, 15, 10**9)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    capped = kernels.best_unit_cosine(units.indptr, units.indices, units.data, columns, weights, owner, 15, 0)
    assert not capped.any()  # every column has more postings than the cap: none is read


def test_saving_over_a_mapped_folder_leaves_the_mapped_version_intact(words_only, built_index, tmp_path):
    import shutil

    folder = tmp_path / "served"
    shutil.copytree(built_index, folder)
    served = store.load(folder)
    edited = _edited(words_only.articles["csp-bank-details"], "de", " Bankdaten ändern Sie im Profil.")
    store.save(words_only.rebuilt([edited]), folder)  # files replaced by rename, not truncated
    _same_answers(words_only, served)  # still reads its own (old) files
    assert store.load(folder).version != served.version
