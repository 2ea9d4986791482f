"""The assistant served for real: `python app.py` and gunicorn on 127.0.0.1."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path


from assistant import create_app

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not become ready")


def ask(url: str, question: str) -> dict:
    request = urllib.request.Request(
        url + "/api/v1/ask",
        data=json.dumps({"question": question}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def serve(command: list[str], instance: Path, built_index: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(
        os.environ,
        ASSISTANT_INSTANCE=str(instance),
        ASSISTANT_INDEX=str(built_index),
        ASSISTANT_BACKGROUND_WORKER="false",
        PORT=str(port),
    )
    command = [part.replace("{port}", str(port)) for part in command]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=90)  # a graceful gunicorn stop waits for its workers (graceful_timeout 30 s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_python_app_py_answers_over_http(instance, built_index):
    process, url = serve([sys.executable, "app.py", "--port", "{port}"], instance, built_index)
    try:
        wait_ready(url, process)
        answer = ask(url, "Wie füge ich einen neuen Benutzer hinzu?")
        assert (answer["answered"], answer["article_id"], answer["lang"]) == (True, "csp-add-user", "de")
    finally:
        stop(process)


def test_gunicorn_with_two_workers_answers(instance, built_index):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-w", "2", "-b", "127.0.0.1:{port}", "app:create_app()"]
    process, url = serve(command, instance, built_index)
    try:
        wait_ready(url, process)
        answer = ask(url, "연결 요청을 보내려면 어떻게 하나요?")
        assert (answer["answered"], answer["lang"]) == (True, "ko")
    finally:
        stop(process)
    assert process.returncode == 0


class Output:
    """A process's output, read by a thread as it comes, so a test can wait for a line."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(iter(process.stdout.readline, "")), daemon=True).start()

    def wait_for(self, found, seconds: float = 300.0):
        """The first value of ``found(lines)`` that is not empty, polling until ``seconds`` pass or the process ends."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = found(list(self.lines))
            if value:
                return value
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError("not in the output:\n" + "".join(self.lines[-40:]))


def test_two_gunicorn_workers_pick_up_a_new_article_without_a_restart(instance, knowledge_copy, tmp_path):
    """Each worker watches the folder itself: every worker loads the new version, then any answers with it.

    The test waits on the workers' own log lines (by pid), not on which worker
    the kernel happens to hand a connection to.
    """
    gunicorn = Path(sys.executable).with_name("gunicorn")
    port = free_port()
    env = dict(os.environ, ASSISTANT_INSTANCE=str(instance), ASSISTANT_KNOWLEDGE=str(knowledge_copy),
               ASSISTANT_RELOAD_POLL_SECONDS="0.5", ASSISTANT_BACKGROUND_WORKER="false")
    process = subprocess.Popen([str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, url = Output(process), f"http://127.0.0.1:{port}"
    question = "Where can I read the supplier code of conduct?"
    loaded = re.compile(r"\[(\d+)\] assistant.knowledge knowledge version (\w+) loaded from " + re.escape(str(knowledge_copy)))

    def versions_by_worker(lines) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for line in lines:
            if match := loaded.search(line):
                found.setdefault(match.group(1), []).append(match.group(2))
        return found

    try:
        wait_ready(url, process)  # the default deadline: a preloading master builds the folder and loads the models first
        first = output.wait_for(lambda lines: (v := versions_by_worker(lines)) and len(v) == 2 and v)
        assert ask(url, question)["article_id"] != "supplier-code-of-conduct"
        shutil.copy(Path(__file__).resolve().parents[1] / "data" / "supplier-code-of-conduct.yaml", knowledge_copy)
        both = output.wait_for(lambda lines: (v := versions_by_worker(lines)) and all(len(v[p]) == 2 for p in first) and v)
        assert {versions[-1] for versions in both.values()} == {next(iter(both.values()))[-1]}  # one new version
        assert all(versions[0] != versions[-1] for versions in both.values())
        assert all(ask(url, question)["article_id"] == "supplier-code-of-conduct" for _ in range(12))
    finally:
        stop(process)


def test_sighup_reloads_the_knowledge_folder(instance, knowledge_copy):
    port = free_port()
    env = dict(os.environ, ASSISTANT_INSTANCE=str(instance), ASSISTANT_KNOWLEDGE=str(knowledge_copy),
               ASSISTANT_RELOAD_POLL_SECONDS="0", ASSISTANT_BACKGROUND_WORKER="false")
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url, question = f"http://127.0.0.1:{port}", "Where can I read the supplier code of conduct?"
    try:
        wait_ready(url, process)
        shutil.copy(Path(__file__).resolve().parents[1] / "data" / "supplier-code-of-conduct.yaml", knowledge_copy)
        time.sleep(1.0)
        assert ask(url, question)["article_id"] != "supplier-code-of-conduct"  # no watcher: nothing changes by itself
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 180
        while ask(url, question)["article_id"] != "supplier-code-of-conduct" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ask(url, question)["article_id"] == "supplier-code-of-conduct"
    finally:
        stop(process)


def test_broken_knowledge_refuses_to_start(tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "broken.yaml").write_text("id: broken\ncategory: [oops\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "app.py", "--knowledge", str(folder), "--instance", str(tmp_path / "inst"), "--port", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "broken.yaml:3: YAML does not parse" in result.stderr
    assert "not starting: 1 problem(s)" in result.stderr
    assert "Traceback" not in result.stderr


def test_rate_limit_answers_429_as_json(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "RATE_LIMIT_ASK": "2 per minute",
                      "BACKGROUND_WORKER": False})
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/ask", json={"question": "PO?"}).status_code == 200
    limited = client.post("/api/v1/ask", json={"question": "PO?"})
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
