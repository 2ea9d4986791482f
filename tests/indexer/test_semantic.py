"""Sentence embeddings: what is embedded, the cache that embeds each text once, the stored index."""
import numpy as np
import pytest

from indexer import Retriever, store
from indexer.semantic import DIMENSIONS, EmbeddingCache, build_semantic_index, encoder, question_vector


class CountingEncoder:
    """Wraps the real encoder and counts the texts it is asked to embed."""

    def __init__(self):
        self.texts = 0

    def queries(self, texts):
        self.texts += len(texts)
        return encoder().queries(texts)

    def passages(self, texts):
        self.texts += len(texts)
        return encoder().passages(texts)


def test_the_encoder_puts_a_paraphrase_in_another_language_nearest():
    model = encoder()
    question = model.queries(["How do I get rid of the extra login code?"])[0]
    options = model.queries(["Comment désactiver l'authentification à deux facteurs ?", "Qui paie mes factures ?",
                             "Comment ajouter un utilisateur ?"])
    assert int(np.argmax(options @ question)) == 0
    assert question.shape == (DIMENSIONS,) and abs(float(np.linalg.norm(question)) - 1.0) < 1e-3


def test_the_cache_embeds_each_text_once_and_survives_a_restart(tmp_path, retriever):
    articles = [retriever.articles[a] for a in retriever.article_ids[:3]]
    counting = CountingEncoder()
    first = build_semantic_index(articles, EmbeddingCache(tmp_path), counting)
    embedded = counting.texts
    assert embedded > 0
    again = build_semantic_index(articles, EmbeddingCache(tmp_path), counting)  # a new process reads the file
    assert counting.texts == embedded
    assert np.array_equal(first.units, again.units) and np.array_equal(first.paragraph_article, again.paragraph_article)


def test_a_damaged_cache_is_ignored(tmp_path):
    (tmp_path / "embeddings.npz").write_bytes(b"not a numpy file")
    cache = EmbeddingCache(tmp_path)
    assert cache.embed("query", ["hello"], encoder().queries).shape == (1, DIMENSIONS)


def test_a_stored_index_keeps_its_embeddings(tmp_path, retriever):
    loaded = store.load(store.save(retriever, tmp_path / "index"))
    assert loaded.semantic_index is not None
    assert np.array_equal(loaded.semantic_index.units, retriever.semantic_index.units)
    question = "Our IBAN changed, where do we update it?"
    assert loaded.ask(question).candidates == retriever.ask(question).candidates


def test_a_long_message_is_embedded_around_its_question():
    long = "Hello. " + "We had a long story with many details about our company and its history. " * 30 \
        + "Where do we update the bank account? Thanks, Ana"
    assert question_vector(long).shape == (DIMENSIONS,)
