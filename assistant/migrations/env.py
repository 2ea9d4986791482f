"""Alembic's environment: the locked connection ``db.migrate`` hands over, or, for the ``alembic`` command, the app's database."""
from __future__ import annotations

import os

from alembic import context

from assistant import db, migrations
from assistant.config import instance_path


def run(connection) -> None:
    """Run the revisions on ``connection``, inside its transaction (SQLite tables are altered in batch mode)."""
    context.configure(connection=connection, target_metadata=db.metadata, compare_type=True,
                      include_name=migrations.include_name, render_as_batch=connection.dialect.name == "sqlite",
                      transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


def command_line_url() -> str:
    """``-x url=...``, else ASSISTANT_DATABASE_URL, else the SQLite file in the instance folder."""
    given = context.get_x_argument(as_dictionary=True).get("url")
    return given or db.database_url({"DATABASE_URL": os.environ.get("ASSISTANT_DATABASE_URL", "")}, instance_path())


if context.is_offline_mode():  # `alembic upgrade head --sql`: the DDL printed for a DBA
    context.configure(url=command_line_url(), target_metadata=db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif context.config.attributes.get("connection") is not None:
    run(context.config.attributes["connection"])
else:  # the `alembic` command: the same lock and adoption as a starting server
    engine = db.make_engine(command_line_url())
    try:
        with db.locked(engine) as connection:
            migrations.adopt(connection)
            run(connection)
    finally:
        engine.dispose()
