"""Save and load a built index as a folder of plain files.

The format is meant to be safe to load and easy to inspect: JSON for
parameters, vocabularies and articles; ``.npy`` / ``.npz`` arrays read with
``allow_pickle=False``.  Nothing is unpickled, so an index file can never
run code.  ``params.index.json`` carries the format version and the content
hash of the knowledge it was built from, so a stale or foreign index is
refused instead of served.

Layout::

    params.index.json            format, content hash, languages, calibration
    articles.index.json          every article, as validated
    <lang>.vocab.index.json      BM25 terms in column order, German lexicon
    <lang>.bm25.index.npz        documents x terms BM25 contributions (CSC)
    <lang>.idf.index.npy         per-term IDF
    <lang>.ngrams.index.json     character n-gram vocabulary and IDF
    <lang>.units.index.npz       title / question n-gram rows, unit starts
    semantic.index.npz           sentence embeddings of titles, questions and body paragraphs (optional)
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from . import semantic
from .articles import Article, Translation
from .calibration import Calibration
from .index import NGRAM_RANGE, LanguageIndex
from .retrieval import Retriever

FORMAT = "procuree-index"
FORMAT_VERSION = 2


class IndexFormatError(Exception):
    """The folder is not an index this code can load."""


def save(retriever: Retriever, folder: str | Path) -> Path:
    """Write ``retriever``'s index to ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for lang, index in retriever.indexes.items():
        _save_language(index, folder, lang)
    _write_json(folder / "articles.index.json", [_article_json(a) for a in retriever.articles.values()])
    params = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "content_hash": retriever.version,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "languages": list(retriever.indexes),
        "ngram_range": list(NGRAM_RANGE),
        "calibration": retriever.calibration.to_json(),
        "semantic": retriever.semantic_index is not None,
    }
    if retriever.semantic_index is not None:
        semantic.save(retriever.semantic_index, folder)
    _write_json(folder / "params.index.json", params)
    return folder


def load(folder: str | Path) -> Retriever:
    """Read an index folder written by ``save``; raise ``IndexFormatError`` if it is not one."""
    folder = Path(folder)
    try:
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"{folder}: no readable params.index.json ({exc})") from None
    if params.get("format") != FORMAT or params.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(f"{folder}: not a {FORMAT} v{FORMAT_VERSION} index")
    articles = [_article_from_json(a) for a in json.loads((folder / "articles.index.json").read_text("utf-8"))]
    indexes = {lang: _load_language(folder, lang, articles) for lang in params["languages"]}
    semantic_index = semantic.load(folder) if params.get("semantic") else None
    retriever = Retriever(articles, indexes, Calibration.from_json(params["calibration"]), semantic_index)
    if retriever.version != params["content_hash"]:
        raise IndexFormatError(f"{folder}: articles do not match the content hash; rebuild the index")
    return retriever


def _save_language(index: LanguageIndex, folder: Path, lang: str) -> None:
    terms = sorted(index.vocabulary, key=index.vocabulary.get)
    _write_json(folder / f"{lang}.vocab.index.json", {"terms": terms, "lexicon": sorted(index.lexicon)})
    sparse.save_npz(folder / f"{lang}.bm25.index.npz", index.weights)
    np.save(folder / f"{lang}.idf.index.npy", index.idf)
    ngram_terms = sorted(index.ngrams.vocabulary_, key=index.ngrams.vocabulary_.get)
    _write_json(folder / f"{lang}.ngrams.index.json", {"terms": ngram_terms, "idf": index.ngrams.idf_.tolist()})
    sparse.save_npz(folder / f"{lang}.units.index.npz", index.unit_matrix)
    np.save(folder / f"{lang}.unit_starts.index.npy", index.unit_starts)


def _load_language(folder: Path, lang: str, articles: list[Article]) -> LanguageIndex:
    vocab = json.loads((folder / f"{lang}.vocab.index.json").read_text("utf-8"))
    ngram_data = json.loads((folder / f"{lang}.ngrams.index.json").read_text("utf-8"))
    ngrams = TfidfVectorizer(
        analyzer="char", ngram_range=NGRAM_RANGE, sublinear_tf=True, lowercase=False,
        vocabulary={term: i for i, term in enumerate(ngram_data["terms"])},
    )
    ngrams.idf_ = np.asarray(ngram_data["idf"])
    return LanguageIndex(
        lang=lang,
        article_ids=[a.id for a in articles if lang in a.translations],
        vocabulary={term: i for i, term in enumerate(vocab["terms"])},
        idf=np.load(folder / f"{lang}.idf.index.npy", allow_pickle=False),
        weights=sparse.load_npz(folder / f"{lang}.bm25.index.npz").tocsc(),
        ngrams=ngrams,
        unit_matrix=sparse.load_npz(folder / f"{lang}.units.index.npz"),
        unit_starts=np.load(folder / f"{lang}.unit_starts.index.npy", allow_pickle=False),
        lexicon=frozenset(vocab["lexicon"]),
    )


def _article_json(article: Article) -> dict:
    return {
        "id": article.id,
        "category": article.category,
        "tags": list(article.tags),
        "updated": article.updated.isoformat() if article.updated else None,
        "path": article.path,
        "translations": {
            lang: {
                "title": t.title,
                "questions": list(t.questions),
                "body": t.body,
                "updated": t.updated.isoformat() if t.updated else None,
            }
            for lang, t in article.translations.items()
        },
    }


def _article_from_json(data: dict) -> Article:
    translations = {
        lang: Translation(t["title"], tuple(t["questions"]), t["body"], _date(t.get("updated")))
        for lang, t in data["translations"].items()
    }
    return Article(data["id"], data["category"], translations, tuple(data["tags"]), _date(data.get("updated")), data.get("path", ""))


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
