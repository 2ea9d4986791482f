"""What migrating at start costs each gunicorn worker: Alembic against the hand-rolled schema_version scheme.

Every worker of every replica calls ``db.migrate`` when it starts.  This prints,
as medians over fresh processes, (1) the import of Alembic's modules (on top
of SQLAlchemy, which both need), (2) ``migrate`` on a database already at
head (the usual start), (3) ``migrate`` on a new database, for the code
before Alembic (``git show <rev>:assistant/db.py``, default the commit that
replaced it) and for the current code, on SQLite and, if reachable, PostgreSQL.
``migrate`` times include any import it triggers (the current code imports
Alembic only when a database needs migrating; the last column says whether
the start at head did).

    python benchmarks/migrate.py [--runs 7] [--old-rev 5b0c1e4~1] [--postgresql URL|off]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# One measurement in a fresh process; prints seconds as JSON.  {old} is the old db.py's path or "".
PROBE = r"""
import importlib.util, json, sys, time
import sqlalchemy, flask  # both schemes need these: not counted
t = time.perf_counter()
import alembic.command, alembic.config, alembic.script, alembic.runtime.migration
alembic_import = time.perf_counter() - t
for name in [name for name in sys.modules if name.startswith("alembic")]:
    del sys.modules[name]  # measured; now forgotten, so migrate pays for it only if it imports Alembic itself
old, url = sys.argv[1], sys.argv[2]
if old:
    spec = importlib.util.spec_from_file_location("old_db", old)
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
else:
    import assistant  # the package (what a worker imports anyway); its import is not counted
    from assistant import db as module
engine = module.make_engine(url)
t = time.perf_counter()
module.migrate(engine)
print(json.dumps({"alembic_import": alembic_import, "migrate": time.perf_counter() - t,
                  "imported_alembic": "alembic" in sys.modules}))
"""


def probe(old: str, url: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", PROBE, old, url], cwd=ROOT, capture_output=True, text=True,
                          check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def fresh_url(kind: str, folder: Path, postgresql: str) -> str:
    """A new, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if kind == "sqlite":
        return f"sqlite:///{folder / (uuid.uuid4().hex + '.sqlite3')}"
    from sqlalchemy import create_engine, text
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(postgresql, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{postgresql}?options=-csearch_path%3D{schema}"


def drop_schemas(postgresql: str) -> None:
    from sqlalchemy import create_engine, text
    admin = create_engine(postgresql, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for (schema,) in conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'")).all():
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def reachable(url: str) -> bool:
    from sqlalchemy import create_engine, text
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--old-rev", default="HEAD", help="a commit whose assistant/db.py has the schema_version scheme")
    parser.add_argument("--postgresql", default=POSTGRESQL, help="a PostgreSQL URL, or off")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="migrate-bench-"))
    old = folder / "old_db.py"
    old.write_text(subprocess.run(["git", "show", f"{args.old_rev}:assistant/db.py"], cwd=ROOT, capture_output=True,
                                  text=True, check=True).stdout)
    if "schema_version" not in old.read_text() or "MIGRATIONS" not in old.read_text():
        raise SystemExit(f"{args.old_rev}:assistant/db.py is not the hand-rolled scheme; pass --old-rev")
    kinds = ["sqlite"] + (["postgresql"] if args.postgresql != "off" and reachable(args.postgresql) else [])
    print(f"medians of {args.runs} fresh processes each, milliseconds")
    print(f"{'backend':<11} {'scheme':<14} {'alembic import':>14} {'at head':>8} {'new db':>8}  alembic at head")
    for kind in kinds:
        for name, path in (("schema_version", str(old)), ("alembic", "")):
            at_head, new, imports, used = [], [], [], set()
            for _ in range(args.runs):
                url = fresh_url(kind, folder, args.postgresql)
                first = probe(path, url)
                second = probe(path, url)
                new.append(first["migrate"])
                at_head.append(second["migrate"])
                imports.append(second["alembic_import"])
                used.add(second["imported_alembic"])
            print(f"{kind:<11} {name:<14} {statistics.median(imports) * 1000:14.1f} "
                  f"{statistics.median(at_head) * 1000:8.1f} {statistics.median(new) * 1000:8.1f}  "
                  f"{'imported' if True in used else 'not imported'}")
    if "postgresql" in kinds:
        drop_schemas(args.postgresql)


if __name__ == "__main__":
    main()
