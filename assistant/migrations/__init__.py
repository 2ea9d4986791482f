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
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

HERE = Path(__file__).resolve().parent

# The hand-rolled scheme's last version -> the revision whose schema it had.
ADOPTED: dict[int, str] = {1: "0001", 2: "0002", 3: "0003"}
# Tables no revision made: the old scheme's, kept as it left them (older code can still read the database).
FOREIGN_TABLES = frozenset({"schema_version"})


def config(connection: Connection | None = None) -> Config:
    """Alembic's settings without an ini file; ``connection`` is the (locked) one to migrate on."""
    settings = Config()
    settings.set_main_option("script_location", str(HERE))
    settings.attributes["connection"] = connection
    return settings


@functools.cache
def head() -> str:
    """The newest revision (read once per process: revisions only change with the code)."""
    return ScriptDirectory.from_config(config()).get_current_head()


def include_name(name: str | None, type_: str, _parents) -> bool:
    """What autogenerate and ``alembic check`` compare: every table but FOREIGN_TABLES."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def current(conn: Connection) -> str | None:
    """The revision the database is at; None for a new or a not yet adopted database."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection) -> str | None:
    """Adopt a pre-Alembic database, then upgrade to head, all in ``conn``'s transaction.

    Returns the revision the database was at before (None: a new database).
    """
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
    MigrationContext.configure(conn).stamp(ScriptDirectory.from_config(config()), ADOPTED[version])
    return ADOPTED[version]
