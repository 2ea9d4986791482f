"""``python -m assistant`` as cron runs it: a real process against the instance's database."""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

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
