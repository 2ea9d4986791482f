"""Start-up: operators' commands, time to the first answer, and each worker's own memory.

    python -m indexer build --out /tmp/index
    python benchmarks/startup.py --index /tmp/index [--runs 5] [--baseline-tree DIR]

Prints medians (and min-max) of ``--runs`` starts of each configuration,
round-robin so that a busy machine slows every configuration alike:

* the operators' commands that need no knowledge (``python -m assistant
  tickets autoclose`` ...), against the bare interpreter start;
* seconds from the process start to the first 200 answer of POST
  /api/v1/ask, one start per question language (English, Korean), for
  ``python app.py`` and ``gunicorn -w 2 -c gunicorn.conf.py`` with
  ``preload_app`` on and off (the same file with ``preload_app = False``);
* after a round of questions in six languages, each process's own memory:
  USS (Private_Clean + Private_Dirty of /proc/<pid>/smaps_rollup) and PSS,
  per gunicorn worker and for the master.

``--baseline-tree DIR`` adds the same starts of another checkout (e.g.
``git archive <commit> | tar -x -C DIR``): the code before a change,
measured in the same run, with ``--baseline-index`` when its index format
differs.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {
    "en": "How do I add a new user?",
    "ko": "연결 요청을 보내려면 어떻게 하나요?",
}
ROUND = [  # asked after the first answer, before memory is read: every worker touches every model
    "How do I add a new user?", "Comment ajouter un utilisateur ?", "Wie füge ich einen neuen Benutzer hinzu?",
    "연결 요청을 보내려면 어떻게 하나요?", "如何重置密码？", "如何重設密碼？", "When will my invoice be paid?",
]
COMMANDS = [("tickets", "autoclose"), ("outbox", "dispatch"), ("outbox", "dead-letters"), ("mail", "pending")]
FIRST_ANSWER_SECONDS = 300.0


@dataclass
class Server:
    """One way to start the server, from one source tree."""

    name: str
    tree: Path
    index: Path
    command: list[str]  # {port} is replaced
    first: dict[str, list[float]] = field(default_factory=dict)  # question language -> seconds
    memory: list[dict[str, float]] = field(default_factory=list)  # one per start: role -> MB


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(tree: Path, index: Path, instance: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(tree), ASSISTANT_INDEX=str(index), ASSISTANT_INSTANCE=str(instance),
                ASSISTANT_LOG_LEVEL="WARNING", ASSISTANT_RATE_LIMIT_ASK="100000 per minute")


def ask(url: str, question: str, timeout: float = 30.0) -> int:
    request = urllib.request.Request(url + "/api/v1/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        return response.status


def first_answer(url: str, question: str, process: subprocess.Popen, started: float) -> float:
    """Seconds from ``started`` to the first 200 answer; retries while the port is closed."""
    while time.monotonic() - started < FIRST_ANSWER_SECONDS:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if ask(url, question) == 200:
                return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.02)
    raise RuntimeError("no answer")


def own_memory(pid: int) -> dict[str, float]:
    """USS and PSS of a process in MB, from /proc/<pid>/smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return {"uss": fields["Private_Clean"] + fields["Private_Dirty"], "pss": fields["Pss"], "rss": fields["Rss"]}


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def start_once(server: Server, instance: Path, lang: str, measure_memory: bool) -> None:
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in server.command]
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=server.tree, env=environment(server.tree, server.index, instance),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.first.setdefault(lang, []).append(first_answer(url, QUESTIONS[lang], process, started))
        if measure_memory:
            for _ in range(4):
                for question in ROUND:
                    ask(url, question)
            workers = children(process.pid) if "gunicorn" in command[0] else []
            roles = {"process": own_memory(process.pid)} if not workers else {"master": own_memory(process.pid)}
            roles.update({f"worker{i}": own_memory(pid) for i, pid in enumerate(workers, start=1)})
            server.memory.append({f"{role} {kind}": mb for role, m in roles.items() for kind, mb in m.items()})
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def servers(tree: Path, index: Path, baseline: Path | None, baseline_index: Path, scratch: Path) -> list[Server]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    no_preload = scratch / "gunicorn-no-preload.conf.py"
    no_preload.write_text(f"exec(open({str(tree / 'gunicorn.conf.py')!r}).read())\npreload_app = False\n")
    found = [
        Server("python app.py", tree, index, [sys.executable, "app.py", "--port", "{port}"]),
        Server("gunicorn -w 2, preload off", tree, index,
               [gunicorn, "-w", "2", "-c", str(no_preload), "-b", "127.0.0.1:{port}", "assistant:create_app()"]),
        Server("gunicorn -w 2, preload on", tree, index,
               [gunicorn, "-w", "2", "-c", str(tree / "gunicorn.conf.py"), "-b", "127.0.0.1:{port}",
                "assistant:create_app()"]),
    ]
    if baseline is not None:
        found += [
            Server("baseline: python app.py", baseline, baseline_index, [sys.executable, "app.py", "--port", "{port}"]),
            Server("baseline: gunicorn -w 2", baseline, baseline_index,
                   [gunicorn, "-w", "2", "-b", "127.0.0.1:{port}", "assistant:create_app()"]),
        ]
    return found


def command_seconds(tree: Path, index: Path, instance: Path, args: tuple[str, ...]) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, *args], cwd=tree, env=environment(tree, index, instance), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    return time.monotonic() - started


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} ({min(values):.2f}-{max(values):.2f})"


def operators_commands(trees: dict[str, tuple[Path, Path]], scratch: Path, runs: int) -> None:
    print(f"\n## Operators' commands: seconds, median (min-max) of {runs}")
    rows = {("python -c pass", "interpreter"): ("this tree", ("-c", "pass"))}
    for label in trees:
        for command in COMMANDS:
            rows[(" ".join(command), label)] = (label, ("-m", "assistant", *command))
    instance = {label: scratch / f"cli-{i}" for i, label in enumerate(trees)}
    for label, (tree, index) in trees.items():  # the first run migrates a new database: not counted
        command_seconds(tree, index, instance[label], ("-m", "assistant", "mail", "pending"))
    times: dict[tuple[str, str], list[float]] = {key: [] for key in rows}
    for _ in range(runs):
        for (command, label), (tree_label, args) in rows.items():
            tree, index = trees[tree_label]
            times[(command, label)].append(command_seconds(tree, index, instance[tree_label], args))
    for (command, label), values in times.items():
        print(f"  {command:<24} {label:<12} {spread(values)}")


def first_answers(found: list[Server], scratch: Path, runs: int) -> None:
    print(f"\n## Seconds from start to the first 200 answer of POST /api/v1/ask, median (min-max) of {runs}")
    instances = {server.name: scratch / f"server-{i}" for i, server in enumerate(found)}
    for server in found:  # create and migrate each instance once
        start_once(server, instances[server.name], "en", measure_memory=False)
        server.first.clear()
    for run in range(runs):
        for lang in QUESTIONS:
            for server in found:
                start_once(server, instances[server.name], lang, measure_memory=(lang == "en"))
        print(f"  (run {run + 1} of {runs} done)", file=sys.stderr)
    for server in found:
        cells = "  ".join(f"{lang}: {spread(values)}" for lang, values in server.first.items())
        print(f"  {server.name:<30} {cells}")
    print(f"\n## Own memory after {4 * len(ROUND)} questions in six languages, MB, median of {runs}")
    for server in found:
        keys = sorted({k for m in server.memory for k in m}, key=lambda k: (k.split()[0] != "master", k))
        cells = "  ".join(f"{k} {statistics.median(m[k] for m in server.memory):.0f}" for k in keys)
        print(f"  {server.name:<30} {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a folder written by `python -m indexer build`")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-tree", type=Path, help="another checkout, measured the same way")
    parser.add_argument("--baseline-index", type=Path, help="the index the baseline tree loads (default --index)")
    parser.add_argument("--only", choices=("commands", "servers"), help="one half of the benchmark")
    args = parser.parse_args()
    index, baseline_index = args.index.resolve(), (args.baseline_index or args.index).resolve()
    trees = {"this tree": (ROOT, index)} | ({"baseline": (args.baseline_tree, baseline_index)} if args.baseline_tree else {})
    load = os.getloadavg()
    print(f"# Start-up, {os.cpu_count()} cores, load average {load[0]:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="startup-") as scratch:
        if args.only != "servers":
            operators_commands(trees, Path(scratch), args.runs)
        if args.only != "commands":
            found = servers(ROOT, index, args.baseline_tree, baseline_index, Path(scratch))
            first_answers(found, Path(scratch), args.runs)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
