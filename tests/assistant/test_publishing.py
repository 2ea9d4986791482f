"""One knowledge version everywhere: versions published in the database, served by replicas that share only it.

The replicas' tests run on SQLite and on PostgreSQL (ASSISTANT_TEST_DATABASE_URL, default the local
``test`` database; skipped with the reason when it is unreachable, a failure with
ASSISTANT_TEST_REQUIRE_POSTGRESQL=1).

Two real servers (``python app.py``) on 127.0.0.1, each with its own instance
folder, share one database and nothing else, with KNOWLEDGE_SOURCE=database.
The operator's commands run from a CLI runner of a third app on the same
database.  Every wait is on a condition, with a generous deadline.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select, update

from assistant import create_app, db, publishing
from assistant.index_archive import ArchiveError, digest, pack, unpack
from assistant.sources import DatabaseSource

from ..conftest import postgresql_schema
from .test_server import Output, free_port, stop, wait_ready

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"
ADMIN = "publishing-admin-token"
NEW_QUESTION = "Where can I read the supplier code of conduct?"
NEW_ARTICLE = "supplier-code-of-conduct"
DEADLINE = 120.0  # seconds: a loaded 2-core machine, polling every 0.5 s

pytestmark = pytest.mark.store  # on SQLite and on PostgreSQL (the replicas' tests, through ``shared_database``)


# --- helpers -----------------------------------------------------------------


def get(url: str, path: str) -> dict:
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def ask(url: str, question: str) -> dict:
    request = urllib.request.Request(url + "/api/v1/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_until(condition, what: str, seconds: float = DEADLINE):
    """Poll ``condition()`` until it is truthy; fail with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds:.0f} s: {what}")


def serving(replicas, version: str) -> bool:
    return all(get(url, "/api/v1/admin/status")["version"] == version for url in replicas.urls)


def copy_knowledge(tmp_path: Path, name: str, *extra: Path) -> Path:
    folder = Path(shutil.copytree(ROOT / "knowledge", tmp_path / name))
    for path in extra:
        shutil.copy(path, folder)
    return folder


class Replicas:
    """Two servers on one database, and an operator's CLI on it."""

    def __init__(self, root: Path, built_index: Path, database: str):
        self.database, self.root = database, root
        self.processes, self.urls, self.instances, self.logs = [], [], [], []
        for name in ("replica-a", "replica-b"):  # started together: both race to publish the first version
            instance, port = root / name, free_port()
            env = dict(os.environ, ASSISTANT_INSTANCE=str(instance), ASSISTANT_DATABASE_URL=self.database,
                       ASSISTANT_KNOWLEDGE_SOURCE="database", ASSISTANT_INDEX=str(built_index),
                       ASSISTANT_RELOAD_POLL_SECONDS="0.5", ASSISTANT_ADMIN_TOKEN=ADMIN,
                       ASSISTANT_BACKGROUND_WORKER="false")
            log = open(root / f"{name}.log", "w")  # noqa: SIM115  (the server's own for as long as it runs)
            self.processes.append(subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT,
                                                   env=env, stdout=log, stderr=subprocess.STDOUT))
            self.urls.append(f"http://127.0.0.1:{port}")
            self.instances.append(instance)
            self.logs.append(root / f"{name}.log")
        for process, url, log in zip(self.processes, self.urls, self.logs):
            try:
                wait_ready(url, process, timeout=180)
            except (AssertionError, AttributeError):
                self.stop()
                raise AssertionError(f"{url} did not start:\n{log.read_text()[-3000:]}") from None
        self.operator = create_app({"INSTANCE": str(root / "operator"), "DATABASE_URL": self.database,
                                    "KNOWLEDGE_SOURCE": "database", "RELOAD_POLL_SECONDS": 0,
                                    "BACKGROUND_WORKER": False, "TESTING": True})
        self.engine = self.operator.extensions["db"]

    def run(self, *args: str):
        return self.operator.test_cli_runner().invoke(args=["knowledge", *args])

    def command(self, *args: str) -> subprocess.CompletedProcess:
        """``python -m assistant knowledge ...`` as an operator runs it, with the replicas' settings."""
        env = dict(os.environ, ASSISTANT_INSTANCE=str(self.root / "operator"), ASSISTANT_DATABASE_URL=self.database,
                   ASSISTANT_KNOWLEDGE_SOURCE="database")
        return subprocess.run([sys.executable, "-m", "assistant", "knowledge", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    def served(self) -> publishing.Pointer:
        return publishing.served_pointer(self.engine)

    def stop(self) -> None:
        for process in self.processes:
            stop(process)
        if hasattr(self, "engine"):
            self.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_database(request, tmp_path_factory):
    """The one thing the replicas share: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('database') / 'shared.sqlite3'}"
        return
    with postgresql_schema() as (url, _):
        yield url


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, built_index, shared_database):
    running = Replicas(tmp_path_factory.mktemp("replicas"), built_index, shared_database)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def with_new_article(tmp_path_factory) -> Path:
    return copy_knowledge(tmp_path_factory.mktemp("published"), "knowledge", DATA / f"{NEW_ARTICLE}.yaml")


# --- two replicas ------------------------------------------------------------


def test_the_first_start_publishes_once_and_every_replica_loads_it(replicas, retriever):
    rows = publishing.versions(replicas.engine)
    assert [(row.version, row.served) for row in rows] == [(retriever.version, True)]
    assert rows[0].semantic and rows[0].published_by.startswith("first start of")
    for url, instance in zip(replicas.urls, replicas.instances):
        status = get(url, "/api/v1/admin/status")
        assert (status["version"], status["source"], status["errors"]) == (retriever.version, "database", [])
        assert status["semantic"]  # the embeddings came with the archive
        assert [p.name.split("-")[0] for p in (instance / "versions").iterdir()] == [retriever.version]


def test_a_published_article_is_answered_by_both_replicas(replicas, with_new_article):
    before = replicas.served().version
    result = replicas.run("publish", "--from", str(with_new_article), "--by", "editor@test", "--note", "code of conduct")
    assert result.exit_code == 0, result.output
    published = replicas.served()
    assert published.version != before and published.by == "editor@test"
    assert f"version {published.version} published" in result.output
    started = time.monotonic()
    wait_until(lambda: serving(replicas, published.version), "both replicas serve the new version")
    print(f"both replicas serve {published.version} {time.monotonic() - started:.2f} s after the publish")
    for url in replicas.urls:
        assert ask(url, NEW_QUESTION)["article_id"] == NEW_ARTICLE


def test_publishing_the_same_content_again_makes_no_new_version(replicas, with_new_article):
    assert replicas.run("publish", "--from", str(with_new_article)).exit_code == 0  # served now, whatever came before
    count, served = len(publishing.versions(replicas.engine)), replicas.served()
    result = replicas.run("publish", "--from", str(with_new_article))
    assert result.exit_code == 0, result.output
    assert "already served: nothing changed" in result.output
    assert (len(publishing.versions(replicas.engine)), replicas.served()) == (count, served)


def test_a_publish_that_fails_validation_changes_nothing(replicas, tmp_path):
    broken = copy_knowledge(tmp_path, "broken")
    (broken / "broken.yaml").write_text("id: broken\ncategory: [oops\n", encoding="utf-8")
    before, count = replicas.served(), len(publishing.versions(replicas.engine))
    result = replicas.run("publish", "--from", str(broken))
    assert result.exit_code == 1
    assert "broken.yaml:3: YAML does not parse" in result.output
    assert "nothing was published" in result.output
    assert (replicas.served(), len(publishing.versions(replicas.engine))) == (before, count)
    for url in replicas.urls:
        status = get(url, "/api/v1/admin/status")
        assert (status["version"], status["errors"]) == (before.version, [])


def test_rollback_serves_an_older_version_on_both_replicas(replicas, with_new_article, retriever):
    assert replicas.run("publish", "--from", str(with_new_article)).exit_code == 0
    newer, count = replicas.served().version, len(publishing.versions(replicas.engine))
    result = replicas.run("rollback", retriever.version[:6], "--by", "publisher@test")
    assert result.exit_code == 0, result.output
    assert f"version {retriever.version} served again" in result.output
    wait_until(lambda: serving(replicas, retriever.version), "both replicas serve the older version")
    for url in replicas.urls:
        assert ask(url, NEW_QUESTION)["article_id"] != NEW_ARTICLE
    again = replicas.run("publish", "--from", str(with_new_article))  # forward again: the stored version, no new one
    assert "already stored: served again" in again.output
    assert len(publishing.versions(replicas.engine)) == count
    wait_until(lambda: serving(replicas, newer), "both replicas serve the newer version again")
    listing = replicas.run("versions").output.splitlines()
    assert listing[0].startswith(f"* {newer}") and len(listing) == count


def test_rollback_to_an_unknown_version_is_a_clear_error(replicas):
    result = replicas.run("rollback", "ffffffffffff")
    assert result.exit_code == 1
    assert "no version 'ffffffffffff'" in result.output and "Traceback" not in result.output


def test_a_damaged_archive_is_refused_and_the_served_version_keeps_serving(replicas, with_new_article, tmp_path):
    """Storage damages a stored archive after it was written: replicas check the bytes and keep what they serve."""
    assert replicas.run("publish", "--from", str(with_new_article)).exit_code == 0
    held = replicas.served()
    wait_until(lambda: serving(replicas, held.version), "both replicas serve the version with the new article")
    folder = copy_knowledge(tmp_path, "damaged")
    article = folder / "csp-who-pays.yaml"
    article.write_text(article.read_text(encoding="utf-8").replace("Who pays", "Who really pays", 1), encoding="utf-8")
    built = publishing.build(folder, ("en", "fr", "de", "ko", "zh-Hans", "zh-Hant"))
    archive = publishing.pack(built)
    damaged = bytearray(archive.data)
    damaged[len(damaged) // 2] ^= 0xFF
    now = publishing.db.utcnow()
    with replicas.engine.begin() as conn:  # the version as written, then its bytes damaged, then served
        conn.execute(publishing.knowledge_versions.insert().values(
            version=built.version, sha256=archive.sha256, size=archive.size, archive=bytes(damaged),
            index_format=publishing.index_format(), semantic=0, articles=len(built.articles), built_at=now,
            published_at=now, published_by="test", note="damaged"))
        conn.execute(update(publishing.knowledge_served).values(version=built.version, sha256=archive.sha256))

    def refused(url: str) -> bool:
        status = get(url, "/api/v1/admin/status")
        return status["errors"] and status
    for url, instance in zip(replicas.urls, replicas.instances):
        status = wait_until(lambda: refused(url), "the replica reports the damaged archive")
        assert status["version"] == held.version
        assert f"knowledge_versions/{built.version}:0: archive SHA-256 is" in status["errors"][0]
        assert "damaged" in status["errors"][0] and status["error_at"]
        assert get(url, "/readyz")["knowledge_errors"] == 1
        assert ask(url, NEW_QUESTION)["article_id"] == NEW_ARTICLE  # still the version held
        assert not [p for p in (instance / "versions").iterdir() if p.name.startswith(built.version)]
    result = replicas.run("rollback", built.version)  # an operator cannot serve it either
    assert result.exit_code == 1 and "damaged" in result.output
    fixed = replicas.command("rollback", held.version)  # the command works while the version served cannot load
    assert fixed.returncode == 0, fixed.stderr
    assert f"version {held.version} served again" in fixed.stdout
    wait_until(lambda: all(not get(url, "/api/v1/admin/status")["errors"] for url in replicas.urls),
               "the replicas' errors clear once a good version is served")
    assert serving(replicas, held.version)


def test_gunicorn_workers_sharing_an_instance_publish_once_and_each_loads_every_version(tmp_path, built_index,
                                                                                       with_new_article):
    """Two workers on one instance folder race for the first version and unpack the same versions side by side."""
    database, instance = f"sqlite:///{tmp_path / 'shared.sqlite3'}", tmp_path / "instance"
    port = free_port()
    env = dict(os.environ, ASSISTANT_INSTANCE=str(instance), ASSISTANT_DATABASE_URL=database,
               ASSISTANT_KNOWLEDGE_SOURCE="database", ASSISTANT_INDEX=str(built_index),
               ASSISTANT_RELOAD_POLL_SECONDS="0.5", ASSISTANT_BACKGROUND_WORKER="false")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, loaded = Output(process), re.compile(r"\[(\d+)\] assistant.knowledge knowledge version (\w+) loaded from database")

    def versions_by_worker(lines) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for line in lines:
            if match := loaded.search(line):
                found.setdefault(match.group(1), set()).add(match.group(2))
        return found

    operator = create_app({"INSTANCE": str(tmp_path / "operator"), "DATABASE_URL": database,
                           "KNOWLEDGE_SOURCE": "database", "RELOAD_POLL_SECONDS": 0, "BACKGROUND_WORKER": False})
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, timeout=180)
        first = output.wait_for(lambda lines: (v := versions_by_worker(lines)) and len(v) == 2 and v, DEADLINE)
        result = operator.test_cli_runner().invoke(args=["knowledge", "publish", "--from", str(with_new_article)])
        assert result.exit_code == 0, result.output
        new = publishing.served_pointer(operator.extensions["db"]).version
        output.wait_for(lambda lines: all(new in versions_by_worker(lines).get(pid, ()) for pid in first), DEADLINE)
        assert [row.version for row in publishing.versions(operator.extensions["db"])][1:] == [
            next(iter(next(iter(first.values()))))]  # one first version, though both workers raced to store it
        unpacked = sorted(p.name.split("-")[0] for p in (instance / "versions").iterdir())
        assert len(unpacked) == 2 and new in unpacked  # one folder per version, nothing half-unpacked beside them
    finally:
        stop(process)
        operator.extensions["db"].dispose()


# --- the parts, without servers ----------------------------------------------


def migrated(tmp_path: Path):
    """A new SQLite database at the newest schema."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    db.migrate(engine)
    return engine


def test_an_archive_unpacks_only_when_every_byte_checks_out(built_index, tmp_path):
    archive = pack(built_index)
    target = unpack(archive.data, archive.sha256, tmp_path / "ok")
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in built_index.iterdir())
    assert all((target / p.name).read_bytes() == p.read_bytes() for p in built_index.iterdir())
    flipped = bytearray(archive.data)
    flipped[100] ^= 1
    with pytest.raises(ArchiveError, match="damaged"):
        unpack(bytes(flipped), archive.sha256, tmp_path / "flipped")
    with pytest.raises(ArchiveError, match="unreadable"):  # a hash that matches bytes that are no archive
        unpack(b"not a zip", digest(b"not a zip"), tmp_path / "garbage")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok"]  # nothing half-unpacked left behind


def test_old_unpacked_versions_are_deleted_but_the_last_few(tmp_path, retriever):
    engine = migrated(tmp_path)
    publishing.publish(engine, retriever, "test")
    versions = tmp_path / "versions"
    for age, name in enumerate(["old-1", "old-2", "old-3", "old-4"]):
        (versions / name).mkdir(parents=True)
        os.utime(versions / name, (time.time() - 1000 * (age + 1),) * 2)
    (versions / ".crashed.x").mkdir()
    os.utime(versions / ".crashed.x", (time.time() - 3600,) * 2)
    loaded = DatabaseSource(engine, versions, keep=3).retriever()
    assert loaded.version == retriever.version
    assert sorted(p.name for p in versions.iterdir()) == sorted(["old-1", "old-2", f"{retriever.version}-"
                                                                 f"{publishing.served_pointer(engine).sha256[:12]}"])
    engine.dispose()


def test_an_empty_database_without_a_folder_to_publish_says_what_to_run(tmp_path):
    from indexer import KnowledgeError

    engine = migrated(tmp_path)
    with pytest.raises(KnowledgeError) as raised:
        DatabaseSource(engine, tmp_path / "versions").retriever()
    assert "python -m assistant knowledge publish" in str(raised.value.problems[0])
    engine.dispose()


def test_an_unknown_knowledge_source_stops_the_start(instance, built_index):
    with pytest.raises(ValueError, match="use one of: folder, database"):
        create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "KNOWLEDGE_SOURCE": "s3",
                    "BACKGROUND_WORKER": False})


def test_a_lost_race_for_the_first_version_serves_the_winner(tmp_path, retriever, words_only):
    engine = migrated(tmp_path)
    first = publishing.publish(engine, retriever, "first", only_if_none=True)
    second = publishing.publish(engine, words_only, "second", only_if_none=True)
    assert (first.action, second.action) == ("publish", "unchanged")
    with engine.connect() as conn:
        assert conn.execute(select(publishing.knowledge_changes.c.by)).scalars().all() == ["first"]
    engine.dispose()


def test_a_version_stored_in_an_older_index_format_is_rebuilt_in_place(tmp_path, retriever, words_only):
    """New code with a new index format publishes the same content: the archive is replaced, the version stays."""
    engine = migrated(tmp_path)
    assert publishing.publish(engine, words_only, "old code").action == "publish"
    before = publishing.served_pointer(engine)
    with engine.begin() as conn:  # as an older version of the code stored it
        conn.execute(update(publishing.knowledge_versions).values(index_format="procuree-index v1"))
    again = publishing.publish(engine, retriever, "new code")  # this code's format, with embeddings
    after = publishing.served_pointer(engine)
    assert (again.action, after.version) == ("republish", before.version)
    assert after.sha256 != before.sha256  # replicas see a new archive and load it
    [row] = publishing.versions(engine)
    assert (row.index_format, row.semantic, row.sha256) == (publishing.index_format(), True, after.sha256)
    assert publishing.publish(engine, words_only, "old code").action == "unchanged"  # never back to less
    engine.dispose()
