"""The README stays true: every setting is in its configuration table, its commands exist, its examples run."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from assistant.config import DEFAULTS

from .assistant.test_server import free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "change-me"  # the token the "Try it" section starts the server with

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table():
    table = README[README.index("## Configuration"):README.index("## Production")]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    missing = sorted(set(DEFAULTS) - documented)
    assert not missing, f"settings missing from the README table: {missing}"


def test_the_first_commands_install_run_and_test():
    commands = [line.strip() for line in README.splitlines()[:30] if line.startswith("    python3 -m venv")]
    assert commands == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && python app.py",
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest",
    ]
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "pip install -e '.[test]' && python -m pytest" in ci


# ---------------------------------------------------------------- "Try it" runs as shown

TRY_IT = README[README.index("## Try it"):README.index("## Configuration")]
VOLATILE = {"question_id", "loaded_at", "error_at", "reference", "number", "created_at", "updated_at", "at",
            "confidence", "published_at", "built_at", "source"}
SCALAR = re.compile(r'"(\w+)":\s*("(?:[^"\\…]|\\.)*"|true|false|null)(?=\s*[,}\]])')


def try_it_examples() -> list[tuple[str, str]]:
    """Each `$ curl …` of the section (continuation lines joined) with the output printed under it."""
    examples, command, output = [], None, []
    for line in TRY_IT.splitlines():
        text = line[4:] if line.startswith("    ") else None
        if text is not None and text.startswith("$ "):
            if command:
                examples.append((command, "\n".join(output)))
            command, output = text[2:], []
        elif text is not None and command and command.endswith("\\"):
            command = command[:-1] + " " + text.strip()
        elif text is not None and command:
            output.append(text)
        elif command and not line.strip() == "":
            examples.append((command, "\n".join(output)))
            command, output = None, []
    if command:
        examples.append((command, "\n".join(output)))
    return examples


ONE_LINE = re.compile(r"^    (\{.*\})\s+-> ([\w-]+), ([\w-]+)", re.M)


def one_line_examples() -> list[tuple[dict, str, str]]:
    """The "one question per language" lines: body -> language, article."""
    return [(json.loads(body), lang, article) for body, lang, article in ONE_LINE.findall(TRY_IT)]


def shown_facts(output: str) -> set[tuple[str, object]]:
    """The "key": value pairs an example shows whole (no …), except values that change every run."""
    return {(key, json.loads(value)) for key, value in SCALAR.findall(output) if key not in VOLATILE}


def real_facts(data) -> set[tuple[str, object]]:
    facts = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list)):
                facts |= real_facts(value)
            elif not isinstance(value, (int, float)) or isinstance(value, bool):
                facts.add((key, value))
    elif isinstance(data, list):
        for item in data:
            facts |= real_facts(item)
    return facts


def test_the_try_it_section_has_examples_with_output():
    examples = try_it_examples()
    assert len(examples) >= 10
    assert all(command.startswith("curl ") for command, _ in examples)
    assert sum(1 for _, output in examples if shown_facts(output)) >= 8
    assert {lang for _, lang, _ in one_line_examples()} == {"en", "de", "ko", "zh-Hans", "zh-Hant"}


def wait_until_ready(url: str, server: subprocess.Popen, log: Path, seconds: float = 600) -> None:
    """A first start indexes the shipped knowledge: minutes on a loaded machine are not a failure."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"app.py exited with {server.returncode}:\n{log.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"app.py was not ready in {seconds:.0f} s:\n{log.read_text()[-3000:]}")


def wait_until_semantic(url: str, server: subprocess.Popen, log: Path, seconds: float = 600) -> None:
    """The sentence encoder embeds the articles in the background after the start; wait for it."""
    deadline = time.monotonic() + seconds
    request = urllib.request.Request(url + "/api/v1/admin/status", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    while time.monotonic() < deadline:
        assert server.poll() is None, f"app.py exited with {server.returncode}:\n{log.read_text()[-3000:]}"
        with urllib.request.urlopen(request, timeout=10) as response:
            if json.loads(response.read()).get("semantic"):
                return
        time.sleep(0.5)
    raise AssertionError(f"the sentence encoder was not ready in {seconds:.0f} s:\n{log.read_text()[-3000:]}")


def test_try_it_examples_run_as_shown(tmp_path):
    """Every example, run with curl against `python app.py` on the defaults, prints what the README shows."""
    port = free_port()
    env = dict(os.environ, ASSISTANT_INSTANCE=str(tmp_path / "instance"), ASSISTANT_PORT=str(port),
               ASSISTANT_ADMIN_TOKEN=ADMIN_TOKEN, ADMIN_TOKEN=ADMIN_TOKEN, ASSISTANT_BACKGROUND_WORKER="false")
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", server, log)
        wait_until_semantic(f"http://127.0.0.1:{port}", server, log)  # the steady state the outputs show
        seen: dict[str, str] = {}  # question ids shown in the README -> the ones this run handed out
        for command, output in try_it_examples():
            for shown, real in seen.items():
                command = command.replace(shown, real)
            result = subprocess.run(["bash", "-c", command.replace("localhost:5000", f"127.0.0.1:{port}")],
                                    env=env, capture_output=True, text=True, timeout=120)
            data = json.loads(result.stdout)
            missing = shown_facts(output) - real_facts(data)
            assert not missing, f"{command}\nshows {sorted(missing)}\nbut printed {result.stdout[:2000]}"
            shown_id = re.search(r'"question_id":\s*"([^"]+)"', output)
            if shown_id and isinstance(data, dict) and data.get("question_id"):
                seen[shown_id.group(1)] = data["question_id"]
        for body, lang, article in one_line_examples():
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/ask", json.dumps(body).encode(),
                                             {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.loads(response.read())
            assert (answer["lang"], answer["article_id"]) == (lang, article), body
    finally:
        server.terminate()
        server.wait(timeout=60)
