"""Configuration: defaults, then the instance folder, then ``ASSISTANT_*`` variables.

Every setting is documented in the README's configuration table; the names
here are the ones to put in ``instance/config.py`` and, prefixed with
``ASSISTANT_``, in the environment.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"

DEFAULTS = {
    "KNOWLEDGE": str(ROOT / "knowledge"),  # folder of article YAML files
    "INDEX": "",  # a folder written by `python -m indexer build`; empty: build at start
    "DATABASE_URL": "",  # empty: sqlite:///<instance>/assistant.sqlite3
    "REQUIRED_LANGUAGES": "en fr de ko zh-Hans zh-Hant",
    "MAX_CONTENT_LENGTH": 52 * 1024 * 1024,  # whole request, attachments included
    "MAX_JSON_BYTES": 64 * 1024,  # a JSON body larger than this is refused with 413
    "MAX_QUESTION_CHARS": 1000,
    "SECRET_KEY": "",  # signs supplier sessions; generated into the instance folder if empty
    "LOG_LEVEL": "INFO",
}


def instance_path(explicit: str | os.PathLike | None = None) -> Path:
    """The instance folder: an explicit path, else ASSISTANT_INSTANCE, else ./instance."""
    return Path(explicit or os.environ.get("ASSISTANT_INSTANCE") or DEFAULT_INSTANCE).resolve()
