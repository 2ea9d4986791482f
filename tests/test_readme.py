"""The README stays true: every setting is in its configuration table, and its commands exist."""
import re
from pathlib import Path

from assistant.config import DEFAULTS

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
