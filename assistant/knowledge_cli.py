"""Operators' commands for published knowledge: ``python -m assistant knowledge <command>``.

    publish [--from FOLDER]   validate and build the folder once, store it as a version, serve it everywhere
    versions                  the stored versions, newest first, the served one marked
    rollback VERSION          serve an older version again (every replica follows within RELOAD_POLL_SECONDS)
    export FOLDER             the knowledge served, as one YAML file per article (the files' format, for git)
    import FOLDER             publish what a folder changes, each article's change in its history

They write the database every replica shares; a replica with
``KNOWLEDGE_SOURCE=database`` loads what they publish.
"""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from indexer import KnowledgeError
from indexer.semantic import EmbeddingCache

from indexer.validate import check_folder

from . import db, init_knowledge, publishing
from .editors import changes, folders

BY = click.option("--by", default=publishing.default_by, show_default="user@host",
                  help="Who publishes, for the versions list and the changes log.")
NOTE = click.option("--note", default="", help="Why: shown in the versions list.")


@click.group("knowledge")
def knowledge_group() -> None:
    """Published knowledge versions, shared by every replica."""


@knowledge_group.command("publish")
@click.option("--from", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Knowledge folder of article YAML files (default: the KNOWLEDGE setting).")
@BY
@NOTE
@with_appcontext
def publish(folder: Path | None, by: str, note: str) -> None:
    """Validate and build FOLDER once, store it and make every replica serve it (same content: no new version)."""
    config = current_app.config
    folder = folder or Path(config["KNOWLEDGE"])
    if not folder.is_dir():
        raise click.BadParameter(f"{folder} is not a folder", param_hint="--from")
    start = time.perf_counter()
    try:
        retriever = publishing.build(folder, config["REQUIRED_LANGUAGES"].split(), _embeddings())
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in {folder}; nothing was published") from None
    built = time.perf_counter()
    publication = publishing.publish(db.engine(), retriever, by, note)
    stored = time.perf_counter()
    what = {"publish": "published", "republish": "published again (archive rebuilt)",
            "rollback": "already stored: served again", "unchanged": "already served: nothing changed"}
    click.echo(f"version {publication.version} {what[publication.action]}; {len(retriever.articles)} articles, "
               f"archive {publication.size / 1e6:.2f} MB; built in {built - start:.2f} s, "
               f"stored in {stored - built:.2f} s")


@knowledge_group.command("versions")
@with_appcontext
def versions() -> None:
    """The stored versions, newest first; * marks the one served."""
    rows = publishing.versions(db.engine())
    if not rows:
        click.echo("no version published yet; see `python -m assistant knowledge publish`")
    for row in rows:
        click.echo(f"{'*' if row.served else ' '} {row.version}\t{row.articles} articles\t{row.size / 1e6:.2f} MB\t"
                   f"{'words+meaning' if row.semantic else 'words only'}\t{row.index_format}\t"
                   f"published {row.published_at.isoformat(timespec='seconds')} by {row.published_by}"
                   + (f"\t{row.note}" if row.note else ""))


@knowledge_group.command("rollback")
@click.argument("version")
@BY
@NOTE
@with_appcontext
def rollback(version: str, by: str, note: str) -> None:
    """Serve VERSION (or a unique prefix of it) again on every replica."""
    try:
        publication = publishing.rollback(db.engine(), version, by, note)
    except publishing.PublishingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"version {publication.version} "
               + ("is already served" if publication.action == "unchanged" else "served again"))


@knowledge_group.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True,
              help="Replace the YAML files FOLDER already holds (those of removed articles go).")
@with_appcontext
def export(folder: Path, replace: bool) -> None:
    """Write the knowledge served to FOLDER, one <id>.yaml per article; `python -m indexer validate FOLDER` reads it."""
    served = _served().current()
    try:
        count = folders.export(served.retriever.articles.values(), folder, replace)
    except folders.FolderError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} articles of version {served.version} written to {folder}")


@knowledge_group.command("import")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep-missing", is_flag=True, help="Keep served articles FOLDER does not have (default: remove them).")
@BY
@NOTE
@with_appcontext
def import_folder(folder: Path, keep_missing: bool, by: str, note: str) -> None:
    """Validate FOLDER and publish what it changes; each article's history records the import (by, note)."""
    report = check_folder(folder, current_app.config["REQUIRED_LANGUAGES"].split())
    if not report.ok:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(report.problems)} problem(s) in {folder}; nothing was imported")
    holder = _served()
    served = holder.current().retriever.articles
    changed = folders.differences(served, report.articles, not keep_missing)
    if not changed:
        click.echo(f"nothing to import: version {holder.current().version} already reads like {folder}")
        return
    try:
        change = changes.publish(current_app._get_current_object(), changed, "import", by, note)
    except changes.ChangeError as exc:
        raise click.ClickException(exc.message) from None
    added = sum(article_id not in served for article_id in changed)
    removed = sum(article is None for article in changed.values())
    click.echo(f"version {change.knowledge_version} published: {len(changed)} article(s) changed "
               f"({added} added, {removed} removed)")


def _served():
    """The knowledge as a server loads it (the folder or the database's version), loaded once for this command."""
    if "knowledge" not in current_app.extensions:
        init_knowledge(current_app)
    return current_app.extensions["knowledge"]


def _embeddings() -> EmbeddingCache | None:
    """The embedding cache a server would use (None with SEMANTIC off): a version is published with its embeddings."""
    held = current_app.extensions.get("knowledge")
    if held is not None:
        return held.embeddings
    config = current_app.config
    if not config["SEMANTIC"]:
        return None
    return EmbeddingCache(config["EMBEDDING_CACHE"] or Path(current_app.instance_path) / "embeddings")
