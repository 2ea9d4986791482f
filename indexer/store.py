"""Save and load a built index as a folder of plain files.

The format is meant to be safe to load, cheap to share and easy to
inspect: JSON for parameters, the German lexicon and articles; every array
a plain ``.npy`` file read with ``allow_pickle=False``.  Nothing is
unpickled, so an index file can never run code.  With ``mmap=True`` (the
default) the arrays are memory-mapped read-only: loading costs no copy,
and every worker or process that loads the same folder shares one copy of
them in the page cache instead of holding its own.  Sparse matrices are
rebuilt around the mapped ``data`` / ``indices`` / ``indptr`` without
copying.  ``params.index.json`` carries the format version and the content
hash of the knowledge it was built from, so a stale or foreign index is
refused instead of served.

Layout::

    params.index.json                 format, content hash, languages, calibration, matrix shapes
    articles.index.json               every article, as validated
    <lang>.lexicon.index.json         the German lexicon (decompounding)
    <lang>.articles.index.json        the article of each row, in the order the index was built
    <lang>.terms.index.npy            BM25 terms, sorted (a term's position is its column)
    <lang>.idf.index.npy              per-term IDF
    <lang>.bm25.{data,indices,indptr}.index.npy    documents x terms BM25 contributions (CSC)
    <lang>.ngram_terms.index.npy      character n-grams, sorted
    <lang>.ngram_idf.index.npy        their IDF
    <lang>.units.{data,indices,indptr}.index.npy   title / question n-gram rows (CSC)
    <lang>.unit_starts.index.npy      first unit of each article
    semantic.index.npz                sentence embeddings of titles, questions and body paragraphs (optional)
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
from scipy import sparse

from . import semantic
from .articles import Article, Translation
from .calibration import Calibration
from .index import NGRAM_RANGE, LanguageIndex
from .retrieval import Retriever

FORMAT = "procuree-index"
FORMAT_VERSION = 4  # 4: the content hash covers categories, tags and dates too


class IndexFormatError(Exception):
    """The folder is not an index this code can load."""


def save(retriever: Retriever, folder: str | Path) -> Path:
    """Write ``retriever``'s index to ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shapes = {lang: _save_language(index, folder, lang) for lang, index in retriever.indexes.items()}
    _write_json(folder / "articles.index.json", [_article_json(a) for a in retriever.articles.values()])
    params = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "content_hash": retriever.version,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "languages": list(retriever.indexes),
        "shapes": shapes,
        "ngram_range": list(NGRAM_RANGE),
        "calibration": retriever.calibration.to_json(),
        "semantic": retriever.semantic_index is not None,
    }
    if retriever.semantic_index is not None:
        semantic.save(retriever.semantic_index, folder)
    _write_json(folder / "params.index.json", params)
    return folder


def load(folder: str | Path, mmap: bool = True) -> Retriever:
    """Read an index folder written by ``save``; raise ``IndexFormatError`` if it is not one.

    With ``mmap`` the arrays stay in their files, mapped read-only and shared
    by every process that loads the folder.  ``save`` replaces each file by
    renaming, so a process keeps its mapped version intact, but a folder
    being saved over is a mix of two versions until ``params.index.json``
    lands last: publish each version to its own folder and switch to it.
    """
    folder = Path(folder)
    try:
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"{folder}: no readable params.index.json ({exc})") from None
    if params.get("format") != FORMAT or params.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(f"{folder}: not a {FORMAT} v{FORMAT_VERSION} index")
    articles = [_article_from_json(a) for a in json.loads((folder / "articles.index.json").read_text("utf-8"))]
    try:
        indexes = {lang: _load_language(folder, lang, params["shapes"][lang], mmap)
                   for lang in params["languages"]}
    except (OSError, ValueError, KeyError) as exc:
        raise IndexFormatError(f"{folder}: unreadable index arrays ({exc})") from None
    semantic_index = semantic.load(folder) if params.get("semantic") else None
    retriever = Retriever(articles, indexes, Calibration.from_json(params["calibration"]), semantic_index)
    if retriever.version != params["content_hash"]:
        raise IndexFormatError(f"{folder}: articles do not match the content hash; rebuild the index")
    return retriever


def _save_language(index: LanguageIndex, folder: Path, lang: str) -> dict:
    """Write one language's arrays; return the matrix shapes ``load`` needs."""
    _write_json(folder / f"{lang}.lexicon.index.json", sorted(index.lexicon))
    _write_json(folder / f"{lang}.articles.index.json", list(index.article_ids))  # the rows' order, as built
    _save_array(folder, f"{lang}.terms", index.terms)
    _save_array(folder, f"{lang}.idf", index.idf)
    _save_array(folder, f"{lang}.ngram_terms", index.ngram_terms)
    _save_array(folder, f"{lang}.ngram_idf", index.ngram_idf)
    _save_array(folder, f"{lang}.unit_starts", index.unit_starts)
    for name, matrix in (("bm25", index.weights), ("units", index.unit_matrix)):
        for part in ("data", "indices", "indptr"):
            _save_array(folder, f"{lang}.{name}.{part}", getattr(matrix, part))
    return {"bm25": list(index.weights.shape), "units": list(index.unit_matrix.shape)}


def _load_language(folder: Path, lang: str, shapes: dict, mmap: bool) -> LanguageIndex:
    read = lambda name: _load_array(folder, f"{lang}.{name}", mmap)  # noqa: E731
    matrix = lambda name: sparse.csc_matrix(  # noqa: E731 - around the mapped arrays, no copy
        (read(f"{name}.data"), read(f"{name}.indices"), read(f"{name}.indptr")), shape=tuple(shapes[name]), copy=False)
    return LanguageIndex(
        lang=lang,
        article_ids=json.loads((folder / f"{lang}.articles.index.json").read_text("utf-8")),
        terms=read("terms"),
        idf=read("idf"),
        weights=matrix("bm25"),
        ngram_terms=read("ngram_terms"),
        ngram_idf=read("ngram_idf"),
        unit_matrix=matrix("units"),
        unit_starts=read("unit_starts"),
        lexicon=frozenset(json.loads((folder / f"{lang}.lexicon.index.json").read_text("utf-8"))),
    )


def _save_array(folder: Path, name: str, array: np.ndarray) -> None:
    """Write beside, then rename over: a process that has the old file mapped keeps reading the old
    file (truncating a mapped file in place would kill it with SIGBUS)."""
    path = folder / f"{name}.index.npy"
    part = path.with_name(path.name + ".part")
    with part.open("wb") as out:
        np.save(out, np.ascontiguousarray(array), allow_pickle=False)
    os.replace(part, path)


def _load_array(folder: Path, name: str, mmap: bool) -> np.ndarray:
    """An array file, memory-mapped read-only or read whole; an empty file cannot be mapped, so it is read."""
    path = folder / f"{name}.index.npy"
    if mmap and path.stat().st_size > 128:
        # A plain ndarray view of the mapping: np.memmap's own indexing costs ~20 us a call.
        return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
    return np.load(path, allow_pickle=False)


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
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(part, path)
