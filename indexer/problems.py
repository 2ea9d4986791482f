"""What can be wrong in a knowledge folder: each kind of problem by a code, with its English text.

``python -m indexer validate`` prints the English text (``file:line: message``);
the code and its arguments let a page say the same in its own language
(the editors' catalogues hold a ``problem.<code>`` text for each code here,
with the same placeholders; a test checks).  A choice that is close to a
misspelt name comes as ``suggestion``, the allowed choices otherwise as ``choices``.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

MESSAGES: dict[str, str] = {
    "yaml_alias": "YAML aliases (*name) are not allowed in articles",
    "yaml_syntax": "YAML does not parse: {detail}",
    "not_a_mapping": "an article must be a mapping with id, category and translations",
    "unreadable": "cannot read file: {detail}",
    "not_a_file": "not a regular file (a device, pipe or folder); an article must be a plain file",
    "too_large": "file is larger than {kib} KiB; split it or shorten it",
    "not_utf8": "file is not valid UTF-8",
    "missing_field": "missing required field '{key}'",
    "missing_translation_field": "{lang}: missing required field '{key}'",
    "bad_id": "id '{id}' must be lowercase words joined by '-'",
    "id_not_file_name": "id '{id}' differs from the file name '{stem}'",
    "unknown_category": "unknown category '{category}'",
    "no_translations": "translations must map language codes to title, questions and body",
    "translation_not_a_mapping": "{lang}: a translation must be a mapping with title, questions and body",
    "body_too_long": "{lang}.body is longer than {limit} characters",
    "question_count": "{lang}.questions needs 1 to {limit} questions",
    "key_not_a_name": "{what} must be a plain name",
    "key_twice": "'{key}' appears twice",
    "unknown_key": "unknown {what} '{key}'",
    "not_text": "{name} must be text",
    "empty": "{name} is empty",
    "not_a_list": "{name} must be a list",
    "bad_date": "updated must be a date like 2026-11-22",
    "not_a_folder": "not a folder",
    "too_many_files": "more than {limit} files",
    "no_articles": "no article files (*.yaml) found",
    "id_taken": "id '{id}' is already used by {other}",
    "missing_translation": "missing translation '{lang}' (required: {required})",
    "wrong_language": "translation '{lang}' reads as '{detected}'",
    "question_taken": "{lang} question '{question}' is also a question of '{other}'",
    "object_expected": "an article must be an object with id, category and translations",
}
# Appended to unknown_category and unknown_key: the close match, or the names allowed.
HINTS: dict[str, str] = {"suggestion": " (did you mean '{suggestion}'?)", "choices": " (choose from {choices})"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the knowledge folder, printed as ``file:line: message``."""

    path: str
    line: int
    message: str
    code: str = ""  # a key of MESSAGES
    args: dict = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, path: str, line: int, code: str, **args) -> "Problem":
        return cls(path, line, message(code, args), code, args)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def message(code: str, args: dict) -> str:
    """The English text of a problem, with its hint."""
    hints = "".join(HINTS[name].format(**args) for name in HINTS if name in args)
    return MESSAGES[code].format(**args) + hints


def hint(word: str, choices) -> dict[str, str]:
    """The closest of ``choices`` to a misspelt ``word``, else all of them: the arguments HINTS say."""
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return {"suggestion": close[0]} if close else {"choices": ", ".join(sorted(choices))}
