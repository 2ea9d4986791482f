"""Published knowledge versions, kept in the database every replica shares.

A version is a built index (``indexer.store.save``) packed as one archive
(``index_archive``), named by its content hash.  One row, ``knowledge_served``,
names the version every replica serves; it is written in the same transaction
as the version it names, so it never points at a missing or partial archive.
Replicas poll that row (``sources.DatabaseSource``) and load what it names.

``publish``, ``rollback`` and ``versions`` are plain functions of an engine,
for the operators' commands and for the editors' web page alike; every change
is also written to ``knowledge_changes`` with who made it.
"""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from indexer import Retriever, store

from . import db, index_archive

log = logging.getLogger(__name__)

POINTER_ID = 1  # the one row of knowledge_served

# The tables (in ``db``, created by migration 0004)
knowledge_versions, knowledge_served, knowledge_changes = db.knowledge_versions, db.knowledge_served, db.knowledge_changes


class PublishingError(Exception):
    """A publish or rollback that cannot be done; the message says why (nothing was changed)."""


class Superseded(PublishingError):
    """Another version was served since the one a change was built on (see ``publish``'s ``expect``)."""


@dataclass(frozen=True)
class Pointer:
    """Which version the replicas serve, and since when."""

    version: str
    sha256: str
    since: dt.datetime
    by: str


@dataclass(frozen=True)
class Version:
    """One published version, as listed (without its archive)."""

    version: str
    sha256: str
    size: int
    index_format: str
    semantic: bool
    articles: int
    built_at: dt.datetime
    published_at: dt.datetime
    published_by: str
    note: str | None
    served: bool


@dataclass(frozen=True)
class Publication:
    """What ``publish`` or ``rollback`` did: ``action`` is publish, republish, rollback or unchanged."""

    version: str
    action: str
    size: int


def index_format() -> str:
    return f"{store.FORMAT} v{store.FORMAT_VERSION}"


def pack(retriever: Retriever) -> index_archive.Archive:
    """The retriever's index as ``store.save`` writes it, packed into one archive."""
    with tempfile.TemporaryDirectory(prefix="procuree-publish-") as folder:
        store.save(retriever, folder)
        return index_archive.pack(folder)


def publish(engine: Engine, retriever: Retriever, by: str, note: str = "",
            only_if_none: bool = False, expect: str | None = None,
            within: Callable[[Connection], None] | None = None) -> Publication:
    """Store ``retriever``'s index as a version and serve it, in one transaction.

    Publishing content that is already a version does not make a new one: it
    is served again (a rollback by content), or its archive is replaced when
    the new build has more (this code's index format, or embeddings it lacked).
    ``only_if_none``: do nothing when some version is served already (the
    first start of an empty database; the first replica wins).  ``expect``:
    raise ``Superseded`` unless that version is the one served (a change
    built on it would undo what was published meanwhile).  ``within`` runs
    in the publishing transaction (the editors' history of the change).
    """
    now = db.utcnow()
    row = {"version": retriever.version, "index_format": index_format(),
           "semantic": int(retriever.semantic_index is not None), "articles": len(retriever.articles),
           "built_at": now, "published_at": now, "published_by": by[:120], "note": note or None}
    with engine.connect() as conn:
        stored = _stored(conn, row) == "stored"
    archive = index_archive.Archive(b"", "") if stored else pack(retriever)  # the stored one serves: no need to pack
    row |= {"sha256": archive.sha256, "size": archive.size, "archive": archive.data}
    for attempt in range(3):
        try:
            publication = _publish_once(engine, row, by, note, only_if_none, expect, within)
            break
        except IntegrityError:  # another process stored the same version, or a first pointer, meanwhile
            if attempt == 2:
                raise
    if publication.action != "unchanged":
        log.info("knowledge version %s: %s by %s (%d bytes)", row["version"], publication.action, by, archive.size)
    return publication


def _publish_once(engine: Engine, row: dict, by: str, note: str, only_if_none: bool, expect: str | None,
                  within: Callable[[Connection], None] | None) -> Publication:
    """One transaction: the version stored (or found), then the pointer and the changes log."""
    with engine.begin() as conn:
        pointer = _pointer(conn)
        if only_if_none and pointer is not None:
            return Publication(pointer.version, "unchanged", 0)
        if expect is not None and (pointer.version if pointer else None) != expect:
            raise Superseded(f"version {pointer.version if pointer else 'none'} was published meanwhile")
        action = _store_version(conn, row)
        sha256, size = (row["sha256"], row["size"]) if action != "stored" else _archive_hash(conn, row["version"])
        if pointer is not None and (pointer.version, pointer.sha256) == (row["version"], sha256):
            return Publication(row["version"], "unchanged", size)
        action = "rollback" if action == "stored" else action  # an older version's content: served again
        _point(conn, row["version"], sha256, by, row["published_at"], create=pointer is None)
        _record(conn, row["published_at"], by, action, row["version"], note)
        if within is not None:
            within(conn)
    return Publication(row["version"], action, size)


def _store_version(conn: Connection, row: dict) -> str:
    """Insert the version ("publish"), replace a lesser archive of the same content ("republish"), or
    leave the one stored ("stored")."""
    action = _stored(conn, row)
    if action == "publish":
        conn.execute(insert(knowledge_versions).values(**row))
    elif action == "republish":
        replaced = {key: row[key] for key in ("sha256", "size", "archive", "index_format", "semantic", "built_at")}
        conn.execute(update(knowledge_versions).where(knowledge_versions.c.version == row["version"])
                     .values(**replaced))
    return action


def _stored(conn: Connection, row: dict) -> str:
    """What storing ``row`` would do: "publish" (new), "republish" (a lesser archive stored) or "stored"."""
    old = conn.execute(select(knowledge_versions.c.index_format, knowledge_versions.c.semantic)
                       .where(knowledge_versions.c.version == row["version"])).first()
    if old is None:
        return "publish"
    if old.index_format == row["index_format"] and (old.semantic or not row["semantic"]):
        return "stored"
    return "republish"


def rollback(engine: Engine, version: str, by: str, note: str = "") -> Publication:
    """Serve an older version again (an exact version or a unique prefix); its archive is checked first."""
    with engine.begin() as conn:
        found = resolve(conn, version)
        data, sha256 = conn.execute(select(knowledge_versions.c.archive, knowledge_versions.c.sha256)
                                    .where(knowledge_versions.c.version == found)).one()
        if index_archive.digest(data) != sha256:
            raise PublishingError(f"version {found}'s stored archive is damaged (SHA-256 mismatch); "
                                  "publish its knowledge again instead")
        pointer = _pointer(conn)
        if pointer is not None and pointer.version == found and pointer.sha256 == sha256:
            return Publication(found, "unchanged", len(data))
        now = db.utcnow()
        _point(conn, found, sha256, by, now, create=pointer is None)
        _record(conn, now, by, "rollback", found, note)
    log.info("knowledge version %s served again (rollback by %s)", found, by)
    return Publication(found, "rollback", len(data))


def resolve(conn: Connection, version: str) -> str:
    """The one stored version that is ``version`` or starts with it."""
    text = version.strip().lower()
    if not text:
        raise PublishingError("give a version (see `python -m assistant knowledge versions`)")
    found = conn.execute(select(knowledge_versions.c.version)
                         .where(knowledge_versions.c.version.startswith(text, autoescape=True))).scalars().all()
    if text in found:
        return text
    if len(found) != 1:
        raise PublishingError(f"no version {version!r}; see `python -m assistant knowledge versions`" if not found
                              else f"{version!r} names {len(found)} versions: {', '.join(sorted(found))}")
    return found[0]


def versions(engine: Engine) -> list[Version]:
    """Every stored version, newest first, marked when it is the one served."""
    columns = [c for c in knowledge_versions.c if c.name != "archive"]
    with engine.connect() as conn:
        pointer = _pointer(conn)
        rows = conn.execute(select(*columns).order_by(knowledge_versions.c.published_at.desc())).all()
    served = pointer.version if pointer else None
    return [Version(**{**row._asdict(), "semantic": bool(row.semantic), "served": row.version == served})
            for row in rows]


def served_pointer(engine: Engine) -> Pointer | None:
    """The served version's name and archive hash: the one cheap SELECT a replica polls."""
    with engine.connect() as conn:
        return _pointer(conn)


def archive_of(engine: Engine, version: str) -> bytes:
    """The stored archive of ``version`` (checked by whoever unpacks it)."""
    with engine.connect() as conn:
        data = conn.execute(select(knowledge_versions.c.archive)
                            .where(knowledge_versions.c.version == version)).scalar()
    if data is None:
        raise PublishingError(f"no stored version {version}")
    return bytes(data)


def _pointer(conn: Connection) -> Pointer | None:
    row = conn.execute(select(knowledge_served.c.version, knowledge_served.c.sha256, knowledge_served.c.since,
                              knowledge_served.c.by).where(knowledge_served.c.id == POINTER_ID)).first()
    return Pointer(*row) if row else None


def _archive_hash(conn: Connection, version: str) -> tuple[str, int]:
    """The stored archive's SHA-256 and size."""
    return tuple(conn.execute(select(knowledge_versions.c.sha256, knowledge_versions.c.size)
                              .where(knowledge_versions.c.version == version)).one())


def _point(conn: Connection, version: str, sha256: str, by: str, now: dt.datetime, create: bool) -> None:
    """Make ``version`` the one served; the first one inserts the row (a second first one hits the key)."""
    values = {"version": version, "sha256": sha256, "since": now, "by": by[:120]}
    if create:
        conn.execute(insert(knowledge_served).values(id=POINTER_ID, **values))
    else:
        conn.execute(update(knowledge_served).where(knowledge_served.c.id == POINTER_ID).values(**values))


def _record(conn: Connection, now: dt.datetime, by: str, action: str, version: str, note: str) -> None:
    conn.execute(insert(knowledge_changes).values(at=now, by=by[:120], action=action, version=version,
                                                  note=note or None))


def default_by() -> str:
    """Who runs this command: user@host, for the versions list and the changes log."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"



def build(folder, required_languages=(), embeddings=None) -> Retriever:
    """Validate and index a knowledge folder, embedded when given a cache; ``KnowledgeError`` lists its problems."""
    return Retriever.from_directory(folder, tuple(required_languages) or None, semantic=embeddings is not None,
                                    cache=embeddings)
