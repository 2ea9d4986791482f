"""Where a process's served knowledge comes from when it is not the knowledge folder: the database.

``Knowledge`` (``knowledge.py``) asks its source for a cheap ``signature`` on
every poll and for a ``retriever`` when the signature changed.  The database
source's signature is the served pointer (one SELECT); its retriever is the
version the pointer names, downloaded once per host, checked, unpacked under
``<instance>/versions/`` and loaded with ``indexer.store.load``: replicas load
the index that was built at publishing, they never rebuild it.
"""
from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from indexer import KnowledgeError, Retriever, store
from indexer.articles import Problem

from . import index_archive, publishing

log = logging.getLogger(__name__)

STAGING_STALE_SECONDS = 600  # an unpack takes seconds: a staging folder this old was left by a crash


class DatabaseSource:
    """The version ``knowledge_served`` names, from ``knowledge_versions``.

    ``bootstrap`` builds the knowledge to publish when the database has no
    version yet (the first start): the first replica's build is stored, the
    others load it.
    """

    name = "database"

    def __init__(self, engine: Engine, folder: str | Path, keep: int = 3,
                 bootstrap: Callable[[], Retriever] | None = None):
        self.engine = engine
        self.folder = Path(folder)
        self.keep = max(int(keep), 1)
        self.bootstrap = bootstrap
        self._last_signature: tuple = ()

    def signature(self) -> tuple:
        """(version, archive SHA-256) of the served pointer; the last one seen while the database is out."""
        try:
            pointer = publishing.served_pointer(self.engine)
        except SQLAlchemyError as exc:
            log.warning("cannot read the served knowledge version (%s); keeping the one held",
                        exc.__class__.__name__)
            return self._last_signature
        self._last_signature = (pointer.version, pointer.sha256) if pointer else ()
        return self._last_signature

    def retriever(self) -> Retriever:
        """Load the served version; ``KnowledgeError`` when it cannot be (the version held keeps serving)."""
        pointer = publishing.served_pointer(self.engine)
        if pointer is None:
            pointer = self._publish_first()
        folder = self.folder / f"{pointer.version}-{pointer.sha256[:12]}"
        try:
            if not folder.is_dir():
                index_archive.unpack(publishing.archive_of(self.engine, pointer.version), pointer.sha256, folder)
            retriever = store.load(folder)
        except (index_archive.ArchiveError, store.IndexFormatError, publishing.PublishingError, OSError) as exc:
            raise KnowledgeError([Problem(f"knowledge_versions/{pointer.version}", 0, str(exc))]) from None
        if retriever.version != pointer.version:
            raise KnowledgeError([Problem(f"knowledge_versions/{pointer.version}", 0,
                                          f"the archive holds version {retriever.version}")])
        os.utime(folder)  # most recently served first when pruning
        self._prune(keep=folder)
        return retriever

    def _publish_first(self) -> publishing.Pointer:
        if self.bootstrap is None:
            raise KnowledgeError([Problem("knowledge_versions", 0, "no knowledge version is published; run "
                                          "`python -m assistant knowledge publish`")])
        built = self.bootstrap()
        who = f"first start of {socket.gethostname()} (pid {os.getpid()})"
        publication = publishing.publish(self.engine, built, who, "the configured knowledge folder", only_if_none=True)
        if publication.action == "unchanged":
            log.info("another process published the first knowledge version (%s); loading it", publication.version)
        pointer = publishing.served_pointer(self.engine)
        assert pointer is not None  # written in the transaction just committed, and never deleted
        return pointer

    def _prune(self, keep: Path) -> None:
        """Keep the ``self.keep`` most recently served versions on disk (``keep``, the one just loaded, always).

        Also removes what a process killed mid-unpack left (a dotted staging
        folder) once it is surely abandoned.
        """
        try:
            folders = [(p, p.stat().st_mtime) for p in self.folder.iterdir() if p.is_dir()]
        except OSError:
            return
        staging = [p for p, mtime in folders if p.name.startswith(".") and time.time() - mtime > STAGING_STALE_SECONDS]
        unpacked = [p for p, _ in sorted(folders, key=lambda f: f[1], reverse=True) if not p.name.startswith(".")]
        for old in staging + [p for p in unpacked if p != keep][self.keep - 1:]:
            shutil.rmtree(old, ignore_errors=True)
            log.info("deleted the unpacked knowledge version %s", old.name)


def _folder(app, embeddings) -> None:
    """Today's way: the Knowledge holder reads KNOWLEDGE (or INDEX) itself."""
    return None


def _database(app, embeddings) -> DatabaseSource:
    """The published version, from the app's database; an empty one first gets this host's knowledge."""
    engine, config = app.extensions["db"], app.config

    def first_version() -> Retriever:
        if config["INDEX"]:
            try:
                return store.load(config["INDEX"])
            except store.IndexFormatError as exc:
                raise KnowledgeError([Problem(str(config["INDEX"]), 0, str(exc))]) from None
        return publishing.build(config["KNOWLEDGE"], config["REQUIRED_LANGUAGES"].split(), embeddings)

    return DatabaseSource(engine, Path(app.instance_path) / "versions", int(config["KNOWLEDGE_VERSIONS_KEPT"]),
                          first_version)


SOURCES: dict[str, Callable] = {"folder": _folder, "database": _database}


def from_config(app, embeddings=None) -> DatabaseSource | None:
    """The source KNOWLEDGE_SOURCE names (None: the folder); a ValueError lists the choices."""
    name = str(app.config["KNOWLEDGE_SOURCE"]).strip().lower()
    if name not in SOURCES:
        raise ValueError(f"unknown KNOWLEDGE_SOURCE {app.config['KNOWLEDGE_SOURCE']!r}; use one of: {', '.join(SOURCES)}")
    return SOURCES[name](app, embeddings)
