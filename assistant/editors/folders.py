"""The YAML folder as a way in and out of the editor: export the knowledge served, import a folder.

An export writes one ``<id>.yaml`` per article in the files' own format
(``indexer.documents.to_yaml``), so a team can keep its knowledge in git
and ``python -m indexer validate`` reads it back.  An import compares a
validated folder with what is served and publishes only the differences,
each recorded in the articles' history with the action ``import``.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from indexer.articles import Article
from indexer.documents import article_data, to_yaml


class FolderError(Exception):
    """An export that would overwrite files it did not write."""


def export(articles: Iterable[Article], folder: Path, replace: bool = False) -> int:
    """Write every article to ``folder`` as ``<id>.yaml``; with ``replace``, other YAML files there are removed.

    A folder holding YAML files is refused without ``replace``: an export
    mixed into an older one would bring back articles removed since.
    """
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if existing and not replace:
        raise FolderError(f"{folder} already holds {len(existing)} YAML file(s); export into an empty folder, "
                          "or pass --replace to replace them")
    written = set()
    for article in sorted(articles, key=lambda a: a.id):
        written.add(write_article(folder, article.id, article))
    for path in existing:
        if path not in written:
            path.unlink()
    return len(written)


def write_article(folder: Path, article_id: str, article: Article | None) -> Path:
    """Replace ``<article_id>.yaml`` in ``folder`` atomically with the article's file (None: remove it)."""
    path = folder / f"{article_id}.yaml"
    write_file(path, to_yaml(article_data(article)) if article else None)
    return path


def write_file(path: Path, text: str | None) -> None:
    """Replace ``path`` atomically with ``text`` (None: remove it): a reader never sees half a file."""
    if text is None:
        path.unlink(missing_ok=True)
        return
    part = path.with_name(f".{path.name}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def differences(served: Mapping[str, Article], folder: Iterable[Article],
                remove_missing: bool = True) -> dict[str, Article | None]:
    """What publishing the folder changes: article id -> its new content, None for one the folder no longer has."""
    incoming = {article.id: article for article in folder}
    changed: dict[str, Article | None] = {
        article_id: article for article_id, article in sorted(incoming.items())
        if article_id not in served or article_data(served[article_id]) != article_data(article)}
    if remove_missing:
        changed.update({article_id: None for article_id in sorted(served) if article_id not in incoming})
    return changed
