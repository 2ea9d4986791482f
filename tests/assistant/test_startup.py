"""Start-up: gunicorn with preload_app loads once and forks; each worker serves and starts its own threads.

Which worker answers is found from the workers' own log lines (by pid); a
connection left half-sent keeps one sync worker busy, so the next request
must go to the other one: no test waits on which worker the kernel picks.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from assistant import create_app, processes
from tests.assistant.support import ask_beside_a_held_worker, free_port
from tests.assistant.test_server import Output

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
QUESTION = "How do I add a new user?"


class Server(Output):
    """gunicorn -w 2 -c gunicorn.conf.py on 127.0.0.1, its output read line by line as it comes."""

    def __init__(self, instance: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(GUNICORN), "-w", "2", "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{self.port}",
             "assistant:create_app()"],
            cwd=ROOT, env=dict(os.environ, ASSISTANT_INSTANCE=str(instance), **env),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        super().__init__(self.process)

    def pids(self, pattern: str) -> set[int]:
        """The pids of the lines that match ``pattern``."""
        return {int(m.group(1)) for line in list(self.lines) if (m := re.search(r"\[(\d+)\] " + pattern, line))}

    def workers(self) -> set[int]:
        return {int(p) for p in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def ask(url: str, question: str) -> dict:
    request = urllib.request.Request(url + "/api/v1/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def ask_on_both_workers(server: Server, question: str) -> list[dict]:
    """One answer from each worker: the first request's body is held back until the second is answered."""
    other, reply = ask_beside_a_held_worker(server.port, question, lambda: ask(server.url, question))
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return [other, json.loads(payload)]


def answered_by(server: Server) -> set[int]:
    return server.pids(r'assistant\.requests \{"method": "POST", "path": "/api/v1/ask", "status": 200')


def test_preloaded_workers_each_answer_and_run_their_own_threads(instance, built_index):
    server = Server(instance, ASSISTANT_INDEX=str(built_index), ASSISTANT_BACKGROUND_WORKER="true",
                    ASSISTANT_WORKER_INTERVAL_SECONDS="3600")
    serving = r"assistant\.knowledge knowledge version \w+ loaded from " + re.escape(str(built_index)) + " serves"
    try:
        server.wait_for(lambda lines: len(server.pids(serving)) == 2)
        master, workers = server.process.pid, server.workers()
        assert server.pids(serving) == workers and master not in workers
        assert server.pids(r"assistant\.knowledge knowledge version \w+ read from ") == {master}  # loaded once
        lanes = server.wait_for(lambda lines: len(server.pids(r"assistant\.worker background mail lane")) == 2
                                and server.pids(r"assistant\.worker background mail lane"))
        assert lanes == workers  # each worker runs its lanes; the master runs none

        answers = ask_on_both_workers(server, QUESTION)
        assert [a["article_id"] for a in answers] == [answers[0]["article_id"]] * 2 and answers[0]["answered"]
        server.wait_for(lambda lines: answered_by(server) == workers)
        answers = ask_on_both_workers(server, "연결 요청을 보내려면 어떻게 하나요?")  # Kiwi, loaded by the master
        assert all(a["lang"] == "ko" and a["answered"] for a in answers)
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_a_change_reaches_every_preloaded_worker(instance, knowledge_copy):
    server = Server(instance, ASSISTANT_KNOWLEDGE=str(knowledge_copy), ASSISTANT_RELOAD_POLL_SECONDS="0.5",
                    ASSISTANT_BACKGROUND_WORKER="false")
    loaded = r"assistant\.knowledge knowledge version \w+ loaded from " + re.escape(str(knowledge_copy))
    question = "Where can I read the supplier code of conduct?"
    try:
        server.wait_for(lambda lines: len(server.pids(loaded)) == 2)
        workers = server.workers()
        assert all(a["article_id"] != "supplier-code-of-conduct" for a in ask_on_both_workers(server, question))
        before = len([line for line in server.lines if re.search(loaded, line)])
        (knowledge_copy / "supplier-code-of-conduct.yaml").write_bytes(
            (ROOT / "tests" / "data" / "supplier-code-of-conduct.yaml").read_bytes())
        server.wait_for(lambda lines: len([line for line in lines if re.search(loaded, line)]) == before + 2)
        assert server.pids(loaded) == workers
        assert all(a["article_id"] == "supplier-code-of-conduct" for a in ask_on_both_workers(server, question))
    finally:
        server.stop()


def test_without_start_threads_the_app_starts_them_when_asked_once_per_process(instance, built_index):
    """What a gunicorn master builds (START_THREADS off): no thread until the serving process starts them."""
    # Other tests' watchers may end at any moment, so count only the threads that were not there before.
    before = {t for t in threading.enumerate() if t.name == "knowledge-watch"}
    started = lambda: sum(t.name == "knowledge-watch" and t not in before for t in threading.enumerate())  # noqa: E731
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "START_THREADS": False,
                      "BACKGROUND_WORKER": True, "WORKER_INTERVAL_SECONDS": 3600, "RELOAD_POLL_SECONDS": 60})
    try:
        assert not app.extensions["worker"].running() and started() == 0
        processes.start(app)
        processes.start(app)
        assert app.extensions["worker"].running() and started() == 1
        assert app.test_client().post("/api/v1/ask", json={"question": QUESTION}).status_code == 200
        assert started() == 1  # a request checks, and starts nothing more in the same process
    finally:
        app.extensions["worker"].stop()
