"""Articles: the YAML files editors write, read safely into value objects.

One article per file, named after its id.  Reading a file never raises:
every mistake becomes a ``Problem`` with the file and line, so an editor
sees all of them at once.  Checks that need the whole folder (duplicate
ids, duplicate questions, language detection) live in ``validate.py``.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .languages import CODES
from .problems import Problem, hint

CATEGORIES = {
    "assistant": "Using Procuree: access, menu, languages, service country, chat commands",
    "tickets": "Raising, following and closing tickets with the STP Knowledge Center",
    "account": "CSP account: login, two-factor authentication, users, notifications, roles",
    "connections": "Registering and connecting with customers on the CSP",
    "payments": "Payments, invoices, purchase orders and bank details",
    "help": "Training, support and where to find more information",
}
ARTICLE_KEYS = {"id", "category", "tags", "updated", "translations"}
REQUIRED_KEYS = ("id", "category", "translations")
TRANSLATION_KEYS = {"title", "questions", "body", "updated"}
REQUIRED_TRANSLATION_KEYS = {"title", "questions", "body"}
MAX_FILE_BYTES = 256 * 1024
# libyaml's safe loader when PyYAML has it (20x faster), else the pure-Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BODY_CHARS = 8000
MAX_QUESTIONS = 10
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Translation:
    title: str
    questions: tuple[str, ...]
    body: str
    updated: dt.date | None = None  # when this translation was last brought in line with the article

    def stale(self, article_updated: dt.date | None) -> bool:
        """Older than the article: the source changed after this translation was last updated."""
        return bool(self.updated and article_updated and self.updated < article_updated)

    @property
    def text(self) -> str:
        """Everything a supplier can read, for language checks and n-grams."""
        return "\n".join((self.title, *self.questions, self.body))


@dataclass(frozen=True)
class Article:
    id: str
    category: str
    translations: dict[str, Translation]
    tags: tuple[str, ...] = ()
    updated: dt.date | None = None
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


class FileReport:
    """Collects the problems of one file while it is read."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.problems: list[Problem] = []

    def add(self, line: int, code: str, **args) -> None:
        self.problems.append(Problem.of(self.path, line, code, **args))


def read_article(path: Path) -> tuple[Article | None, list[Problem]]:
    """Read one article file; return the article (or None) and its problems."""
    report = FileReport(path)
    node = _compose(path, report)
    if node is None:
        return None, report.problems
    article = _article_from_node(node, path, report)
    return article, report.problems


def _compose(path: Path, report: FileReport) -> yaml.MappingNode | None:
    """Parse with the safe loader, refusing oversized files and aliases."""
    text = read_capped(path, report)
    if text is None:
        return None
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1
                report.add(line, "yaml_alias")
                return None
        node = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        report.add(line, "yaml_syntax", detail=str(getattr(exc, "problem", None) or exc))
        return None
    if not isinstance(node, yaml.MappingNode):
        report.add(1, "not_a_mapping")
        return None
    return node


def read_capped(path: Path, report: FileReport) -> str | None:
    """The text of a regular file of at most MAX_FILE_BYTES, else None and a problem.

    Size alone proves nothing: a symlink to /dev/zero or a pipe has size 0
    and never ends.  The file is opened without blocking (a pipe would wait
    for a writer), checked to be a regular file, and read with a cap.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        report.add(1, "unreadable", detail=exc.strerror)
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        report.add(1, "not_a_file")
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            report.add(1, "unreadable", detail=exc.strerror)
            return None
    if len(data) > MAX_FILE_BYTES:
        report.add(1, "too_large", kib=MAX_FILE_BYTES // 1024)
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        report.add(1, "not_utf8")
        return None


def _article_from_node(node: yaml.MappingNode, path: Path, report: FileReport) -> Article | None:
    fields = _mapping(node, report, ARTICLE_KEYS, "article")
    for key in REQUIRED_KEYS:
        if key not in fields:
            report.add(node.start_mark.line + 1, "missing_field", key=key)
    article_id = _string(fields.get("id"), report, "id")
    if article_id is not None and not ID_PATTERN.match(article_id):
        report.add(_line(fields["id"]), "bad_id", id=article_id)
    if article_id is not None and article_id != path.stem:
        report.add(_line(fields["id"]), "id_not_file_name", id=article_id, stem=path.stem)
    category = _string(fields.get("category"), report, "category")
    if category is not None and category not in CATEGORIES:
        report.add(_line(fields["category"]), "unknown_category", category=category, **hint(category, CATEGORIES))
    tags = _string_list(fields.get("tags"), report, "tags") if "tags" in fields else ()
    updated = _date(fields.get("updated"), report) if "updated" in fields else None
    translations = _translations(fields.get("translations"), report)
    if None in (article_id, category, translations) or report.problems:
        return None
    lines = {lang: _line(n) for lang, n in _mapping(fields["translations"], FileReport(path)).items()}
    return Article(article_id, category, translations, tuple(tags or ()), updated, str(path), lines)


def _translations(node, report: FileReport) -> dict[str, Translation] | None:
    if node is None:
        return None
    if not isinstance(node, yaml.MappingNode) or not node.value:
        report.add(_line(node), "no_translations")
        return None
    result = {}
    for lang, value in _mapping(node, report, set(CODES), "language code").items():
        translation = _translation(value, lang, report)
        if translation is not None:
            result[lang] = translation
    return result


def _translation(node, lang: str, report: FileReport) -> Translation | None:
    if not isinstance(node, yaml.MappingNode):
        report.add(_line(node), "translation_not_a_mapping", lang=lang)
        return None
    fields = _mapping(node, report, TRANSLATION_KEYS, f"{lang} field")
    for key in sorted(REQUIRED_TRANSLATION_KEYS - fields.keys()):
        report.add(node.start_mark.line + 1, "missing_translation_field", lang=lang, key=key)
    title = _string(fields.get("title"), report, f"{lang}.title")
    body = _string(fields.get("body"), report, f"{lang}.body")
    questions = _string_list(fields.get("questions"), report, f"{lang}.questions")
    if body is not None and len(body) > MAX_BODY_CHARS:
        report.add(_line(fields["body"]), "body_too_long", lang=lang, limit=MAX_BODY_CHARS)
    if questions is not None and not 1 <= len(questions) <= MAX_QUESTIONS:
        report.add(_line(fields["questions"]), "question_count", lang=lang, limit=MAX_QUESTIONS)
    updated = _date(fields["updated"], report) if "updated" in fields else None
    if None in (title, body, questions):
        return None
    return Translation(title.strip(), tuple(q.strip() for q in questions), body.strip(), updated)


# --- node helpers -----------------------------------------------------------


def _line(node) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _mapping(node, report: FileReport, allowed: set[str] | None = None, what: str = "key") -> dict:
    """Key -> value node; unknown and repeated keys are reported with a did-you-mean."""
    result = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key is None:
            report.add(_line(key_node), "key_not_a_name", what=what)
        elif key in result:
            report.add(_line(key_node), "key_twice", key=key)
        elif allowed is not None and key not in allowed:
            report.add(_line(key_node), "unknown_key", what=what, key=key, **hint(key, allowed))
        else:
            result[key] = value_node
    return result


def _string(node, report: FileReport, name: str) -> str | None:
    if node is None:
        return None
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        report.add(_line(node), "not_text", name=name)
        return None
    if not node.value.strip():
        report.add(_line(node), "empty", name=name)
        return None
    return node.value


def _string_list(node, report: FileReport, name: str) -> list[str] | None:
    if node is None:
        return None
    if not isinstance(node, yaml.SequenceNode):
        report.add(_line(node), "not_a_list", name=name)
        return None
    items = [_string(item, report, f"{name} item") for item in node.value]
    return None if None in items else items


def _date(node, report: FileReport) -> dt.date | None:
    try:
        if isinstance(node, yaml.ScalarNode):
            return dt.date.fromisoformat(node.value)
    except ValueError:
        pass
    report.add(_line(node), "bad_date")
    return None
