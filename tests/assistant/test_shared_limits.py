"""Shared limits: with REDIS_URL every counter holds across replicas; with Redis down nothing fails.

Against the real Redis at 127.0.0.1:6379 (ASSISTANT_TEST_REDIS_URL to use
another).  Unreachable, these tests are skipped with a message saying how to
run them, unless ASSISTANT_TEST_REQUIRE_REDIS=1 (CI), where that fails.

The two replicas are two processes (``python app.py``), not two apps in one
process: Flask-Limiter keeps its storage on the one ``limiter`` object every
view is decorated with, so two apps in one process would share a storage
object and "share a budget" even without Redis, proving nothing.  The
control test shows that without Redis the same two replicas do not share.
Each test has its own key prefix (RATELIMIT_KEY_PREFIX), removed after it.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis

from assistant import create_app
from assistant.limits import storage_uri
from tests.assistant.support import free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("ASSISTANT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HOW_TO_RUN = (f"Redis at {REDIS_URL} is unreachable; start one (`redis-server --port 6379`) or point "
              "ASSISTANT_TEST_REDIS_URL at one to run the shared-limit tests")
ADMIN = "replica-admin-token"


def redis_or_skip(url: str = REDIS_URL) -> redis.Redis:
    """A client of the test Redis; skip (fail under ASSISTANT_TEST_REQUIRE_REDIS=1) when it does not answer."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("ASSISTANT_TEST_REQUIRE_REDIS"):
            pytest.fail(f"{HOW_TO_RUN} (ASSISTANT_TEST_REQUIRE_REDIS is set: {exc})")
        pytest.skip(HOW_TO_RUN)
    return client


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own; its keys are deleted afterwards (when Redis answers)."""
    name = f"procuree-test-{uuid.uuid4().hex[:12]}"
    yield name
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        for key in client.scan_iter(match=f"*{name}*", count=1000):
            client.delete(key)
    except redis.RedisError:
        pass


def keys_of(client: redis.Redis, prefix: str) -> list[bytes]:
    return list(client.scan_iter(match=f"*{prefix}*", count=1000))


# --- two replicas -------------------------------------------------------------------------------------------

class Replica:
    """``python app.py`` on its own port and instance folder; ``env`` adds ASSISTANT_* settings."""

    def __init__(self, tmp_path: Path, name: str, built_index: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = {"INSTANCE": str(tmp_path / name), "INDEX": str(built_index), "BACKGROUND_WORKER": "false",
                    "RELOAD_POLL_SECONDS": "0", "SEMANTIC": "false", "ADMIN_TOKEN": ADMIN, **env}
        environment = dict(os.environ, **{f"ASSISTANT_{key}": value for key, value in settings.items()})
        self.process = subprocess.Popen([sys.executable, "app.py", "--port", str(self.port)], cwd=ROOT,
                                        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait_ready(self, seconds: float = 180.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"replica exited with {self.process.returncode}: {self.process.stdout.read()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"replica on {self.url} did not become ready")

    def status(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> int:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def ask(self) -> int:
        return self.status("POST", "/api/v1/ask", b'{"question": "Who pays my invoices?"}',
                           {"Content-Type": "application/json"})

    def send_code(self, email: str) -> int:
        return self.status("POST", "/api/v1/session/code", f'{{"email": "{email}"}}'.encode(),
                           {"Content-Type": "application/json"})

    def admin(self, token: str) -> int:
        return self.status("GET", "/api/v1/admin/status", headers={"Authorization": f"Bearer {token}"})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def replicas(tmp_path, built_index, prefix, request):
    """Two replicas, with the limits of these tests; ``shared`` (the test's parameter): both on the test Redis."""
    env = {"RATE_LIMIT_ASK": "6 per minute", "RATE_LIMIT_STAFF_FAILURES": "4 per minute",
           "RATE_LIMIT_SESSION": "4 per minute", "RATELIMIT_KEY_PREFIX": prefix}
    if request.param:
        redis_or_skip()
        env["REDIS_URL"] = REDIS_URL
    pair = [Replica(tmp_path, name, built_index, **env) for name in ("a", "b")]
    try:
        for replica in pair:
            replica.wait_ready()
        yield pair
    finally:
        for replica in pair:
            replica.stop()


@pytest.mark.parametrize("replicas", [True], indirect=True, ids=["redis"])
def test_two_replicas_share_one_budget_of_asks_and_of_wrong_tokens(replicas, prefix):
    a, b = replicas
    asks = [(a if i % 2 == 0 else b).ask() for i in range(8)]
    assert asks == [200] * 6 + [429] * 2  # 3 + 3 let through, then both refuse: one budget of 6
    assert keys_of(redis_or_skip(), prefix)  # the counters are in Redis, under this test's prefix

    wrong = [(a if i % 2 == 0 else b).admin(f"guess-{i}") for i in range(6)]
    assert wrong == [401] * 4 + [429] * 2  # the 4 wrong tokens allowed are 4 in all, not 4 per replica
    assert a.admin(ADMIN) == 200 and b.admin(ADMIN) == 200  # the right token is never refused

    codes = [(a if i % 2 == 0 else b).send_code(f"supplier-{i}@example.com") for i in range(6)]
    assert codes == [202] * 4 + [429] * 2  # one-time codes asked: one budget per client address too


@pytest.mark.parametrize("replicas", [False], indirect=True, ids=["memory"])
def test_without_redis_each_replica_counts_alone(replicas):
    """The control: the same two replicas without REDIS_URL each let their own 6 asks through."""
    a, b = replicas
    assert [a.ask() for _ in range(6)] + [b.ask() for _ in range(6)] == [200] * 12
    assert a.ask() == 429 and b.ask() == 429


# --- Redis going down ---------------------------------------------------------------------------------------

class OwnRedis:
    """A redis-server of this test's own on a free port, so it can be stopped without disturbing anyone."""

    def __init__(self, tmp_path: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("ASSISTANT_TEST_REQUIRE_REDIS"):
                pytest.fail("redis-server is not installed (ASSISTANT_TEST_REQUIRE_REDIS is set)")
            pytest.skip("redis-server is not installed; install Redis to run the outage test")
        self.binary, self.folder, self.port = binary, tmp_path, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "OwnRedis":
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = self.client()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path).start()
    yield server
    server.stop()


def limited_app(instance, built_index, redis_url: str, prefix: str):
    return create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                       "RELOAD_POLL_SECONDS": 0, "SEMANTIC": False, "REDIS_URL": redis_url,
                       "RATELIMIT_KEY_PREFIX": prefix, "ADMIN_TOKEN": ADMIN,
                       "RATE_LIMIT_ASK": "3 per minute", "RATE_LIMIT_STAFF_FAILURES": "2 per minute"})


def test_redis_going_down_mid_service_keeps_answering_and_comes_back(instance, built_index, own_redis, prefix,
                                                                     caplog):
    caplog.set_level(logging.INFO)
    app = limited_app(instance, built_index, own_redis.url, prefix)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.10"
    ask = lambda: client.post("/api/v1/ask", json={"question": "PO?"}).status_code  # noqa: E731
    admin = lambda token: client.get("/api/v1/admin/status",  # noqa: E731
                                     headers={"Authorization": f"Bearer {token}"}).status_code
    try:
        assert ask() == 200 and keys_of(own_redis.client(), prefix)  # counted in Redis
        own_redis.stop()

        assert [admin(f"guess-{i}") for i in range(3)] == [401, 401, 429]  # throttled in memory, no 500
        assert "rate limit storage unreachable" in caplog.text  # ours (limits.count), logged
        assert admin(ADMIN) == 200
        assert [ask() for _ in range(4)] == [200, 200, 200, 429]  # this process's memory counts on: 3 a minute
        assert "falling back to in-memory storage" in caplog.text  # Flask-Limiter's, logged

        own_redis.start()  # the same port, empty: Redis is back
        deadline, address = time.monotonic() + 120, 0
        while not keys_of(own_redis.client(), prefix) and time.monotonic() < deadline:
            address += 1  # a new client each time, so this process's own budget is never what refuses
            client.environ_base["REMOTE_ADDR"] = f"198.51.100.{address % 250 + 1}"
            assert ask() == 200
            time.sleep(0.25)
        assert keys_of(own_redis.client(), prefix), "the limiter never went back to Redis"
        assert "Rate limit storage recovered" in caplog.text
    finally:
        app.extensions["db"].dispose()


def test_an_unreachable_redis_at_start_never_fails_a_request(instance, built_index, prefix):
    app = limited_app(instance, built_index, f"redis://127.0.0.1:{free_port()}/0", prefix)  # nothing listens
    client = app.test_client()
    try:
        assert [client.post("/api/v1/ask", json={"question": "PO?"}).status_code for _ in range(4)] == [200] * 3 + [429]
        assert client.get("/api/v1/admin/status", headers={"Authorization": "Bearer x"}).status_code == 401
        assert client.get("/api/v1/admin/status", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    finally:
        app.extensions["db"].dispose()


@pytest.mark.parametrize("settings, expected", [
    ({}, "memory://"),
    ({"REDIS_URL": "redis://cache:6379/1"}, "redis://cache:6379/1"),
    ({"REDIS_URL": "redis://cache:6379/1", "RATE_LIMIT_STORAGE": "memcached://mc:11211"}, "memcached://mc:11211"),
    ({"RATE_LIMIT_STORAGE": "redis://other:6379"}, "redis://other:6379"),
])
def test_redis_url_is_the_one_switch_and_an_explicit_storage_still_wins(settings, expected):
    assert storage_uri({"REDIS_URL": "", "RATE_LIMIT_STORAGE": "", **settings}) == expected
