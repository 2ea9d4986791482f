"""Schema migrations by Alembic: the revisions in ``versions/``, applied at start by ``db.migrate``.

No alembic.ini is needed: ``config`` points Alembic at this folder.  From the
repository root developers can also run the ``alembic`` command (its settings
are pyproject.toml's ``[tool.alembic]``; the database is ASSISTANT_DATABASE_URL
or the instance folder's SQLite file, or ``-x url=...``).

A schema change is one new revision plus the matching change to the Table
objects in ``assistant/db.py``::

    alembic revision --rev-id 0004 -m "knowledge versions"   # or --autogenerate

Before Alembic the schema was numbered in a ``schema_version`` table (1..3);
such a database is stamped at the revision with the same schema (``ADOPTED``)
and upgraded from there, its rows untouched.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent
# Alembic itself is imported only when a database needs migrating: its import
# costs 0.35-0.5 s (benchmarks/migrate.py), paid by every worker and operator
# command, while checking that a database is at head takes two small queries.
_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*["\']?([\w-]+|None)["\']?\s*$', re.M)

# The hand-rolled scheme's last version -> the revision whose schema it had.
ADOPTED: dict[int, str] = {1: "0001", 2: "0002", 3: "0003"}
# Tables no revision made: the old scheme's, kept as it left them (older code can still read the database).
FOREIGN_TABLES = frozenset({"schema_version"})


def config(connection: Connection | None = None) -> Config:
    """Alembic's settings without an ini file; ``connection`` is the (locked) one to migrate on."""
    from alembic.config import Config

    settings = Config()
    settings.set_main_option("script_location", str(HERE))
    settings.attributes["connection"] = connection
    return settings


@functools.cache
def head() -> str:
    """The newest revision, read from the files in ``versions/`` without Alembic (once per process).

    The revision no other revision names as its ``down_revision``; the test
    suite checks it is the head Alembic's own ScriptDirectory finds.
    """
    revisions, parents = set(), set()
    for path in (HERE / "versions").glob("*.py"):
        found = dict((key, value) for key, value in _REVISION.findall(path.read_text()))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"assistant/migrations/versions must have one head, not {sorted(heads)}; "
                           "`alembic merge heads` joins them")
    return heads.pop()


def include_name(name: str | None, type_: str, _parents) -> bool:
    """What autogenerate and ``alembic check`` compare: every table but FOREIGN_TABLES."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def current(conn: Connection) -> str | None:
    """The revision the database is at; None for a new or a not yet adopted database."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(conn: Connection) -> str | None:
    """Adopt a pre-Alembic database, then upgrade to head, all in ``conn``'s transaction.

    Returns the revision the database was at before (None: a new database).
    """
    from alembic import command

    adopt(conn)
    started = current(conn)
    command.upgrade(config(conn), "head")
    return started


def adopt(conn: Connection) -> str | None:
    """Stamp a database of the ``schema_version`` scheme at its revision; returns it (None: nothing to adopt)."""
    if current(conn) is not None or not inspect(conn).has_table("schema_version"):
        return None
    version = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar()
    if version is None:
        return None
    if version not in ADOPTED:
        raise RuntimeError(f"schema_version {version} is newer than this code knows ({max(ADOPTED)}); "
                           "upgrade the code, not the database")
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    MigrationContext.configure(conn).stamp(ScriptDirectory.from_config(config()), ADOPTED[version])
    return ADOPTED[version]
