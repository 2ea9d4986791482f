"""Articles as plain data in the shape of their YAML file, for the editors' web page and for exports.

The page sends an article as JSON with the same keys as a file (id,
category, tags, updated, translations of title, questions and body).
``check`` writes it as the file it would be and reads that file with the
very reader and folder checks of ``python -m indexer validate``, so the page
and the command can never disagree; each problem is then named by the field
it concerns (``translations.fr.questions[2]``) instead of a line number.
``to_yaml`` is the one way an article becomes a file: exports use it too.
"""
from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field  # "field" names the problem's field below
from pathlib import Path

import yaml

from .articles import ID_PATTERN, Article, read_article
from .problems import Problem
from .languages import CODES
from .validate import duplicate_questions, missing_languages, normalise_question, wrong_languages

ARTICLE_ORDER = ("id", "category", "tags", "updated", "translations")
TRANSLATION_ORDER = ("title", "questions", "body", "updated")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FieldProblem:
    """One validator message, at the field of the article it concerns ("" for the article as a whole)."""

    field: str
    message: str
    code: str = ""  # indexer.problems.MESSAGES: what a page translates
    args: dict = dataclass_field(default_factory=dict, compare=False)

    @classmethod
    def at(cls, field: str, problem: Problem) -> "FieldProblem":
        return cls(field, problem.message, problem.code, problem.args)


def article_data(article: Article) -> dict:
    """An article in its file's shape, keys in the files' order, dates as ISO strings."""
    data: dict = {"id": article.id, "category": article.category}
    if article.tags:
        data["tags"] = list(article.tags)
    if article.updated:
        data["updated"] = article.updated.isoformat()
    data["translations"] = {}
    for lang in sorted(article.translations, key=CODES.index):
        t = article.translations[lang]
        data["translations"][lang] = {"title": t.title, "questions": list(t.questions), "body": t.body}
        if t.updated:
            data["translations"][lang]["updated"] = t.updated.isoformat()
    return data


class _Dumper(yaml.SafeDumper):
    """Writes text as editors write it: a multi-line body as a literal block, no line folding."""


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(data: dict) -> str:
    """The file of an article given as data (dates written as YAML dates, as editors type them)."""
    return yaml.dump(_ordered(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**6)


def _ordered(value, order: Sequence[str] = ARTICLE_ORDER, key: str = ""):
    """Known keys first in the files' order (unknown ones after, for the reader to name), ISO dates as dates."""
    if isinstance(value, dict):
        keys = [k for k in order if k in value] + [k for k in value if k not in order]
        inner = {"translations": (), **{lang: TRANSLATION_ORDER for lang in CODES}}
        return {k: _ordered(value[k], inner.get(k, ()) if key in ("", "translations") else (), k) for k in keys}
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    if key == "updated" and isinstance(value, str) and DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


def stamped(data, before: dict | None, today: dt.date) -> object:
    """``data`` with ``today`` on each translation whose text differs from ``before``, and on the article
    when any does: the translations left as they were then read as stale until someone checks them.

    A translation left as it was that carries no date of its own gets the article's previous date
    (it was in line with the article then), so that it, too, reads as stale after the change.
    """
    if not isinstance(data, dict) or not isinstance(data.get("translations"), dict):
        return data
    old = (before or {}).get("translations", {})
    content = {**data, "translations": dict(data["translations"])}
    changed, undated = False, []
    for lang, translation in data["translations"].items():
        if not isinstance(translation, dict):
            continue
        text = {key: translation.get(key) for key in ("title", "questions", "body")}
        if text != {key: old.get(lang, {}).get(key) for key in text}:
            content["translations"][lang] = {**translation, "updated": today.isoformat()}
            changed = True
        elif not translation.get("updated"):
            undated.append(lang)
    if changed:
        content["updated"] = today.isoformat()
        previous = (before or {}).get("updated")
        for lang in undated if previous else ():
            content["translations"][lang] = {**data["translations"][lang], "updated": previous}
    return content


def check(data, article_id: str, others: Iterable[Article] = (),
          required_languages: Sequence[str] = ()) -> tuple[Article | None, list[FieldProblem]]:
    """Validate ``data`` as the file ``<article_id>.yaml`` among ``others`` (the rest of the knowledge).

    Returns the article (None when it has problems) and the problems at their fields.
    """
    if not isinstance(data, dict):
        return None, [FieldProblem.at("", Problem.of("", 0, "object_expected"))]
    if not ID_PATTERN.match(article_id):
        return None, [FieldProblem.at("id", Problem.of("", 0, "bad_id", id=article_id))]
    text = to_yaml(data)
    with tempfile.TemporaryDirectory(prefix="procuree-draft-") as folder:
        path = Path(folder) / f"{article_id}.yaml"
        path.write_text(text, encoding="utf-8")
        article, problems = read_article(path)
    fields = _line_fields(text)
    found = [FieldProblem.at(_field_of(p, fields), p) for p in problems]
    if article is not None:
        found += _folder_problems(article, [a for a in others if a.id != article.id], required_languages)
    return (article if not found else None), found


def _folder_problems(article: Article, others: list[Article], required: Sequence[str]) -> list[FieldProblem]:
    """The checks ``validate.check_folder`` makes across files, for this article among the others."""
    found = []
    for problem in [*missing_languages([article], required), *wrong_languages([article])]:
        found.append(FieldProblem.at(f"translations.{problem.args['lang']}", problem))
    for problem in duplicate_questions([*others, article]):
        if problem.path == article.path:
            found.append(FieldProblem.at(_question_field(article, problem), problem))
    return found


def _question_field(article: Article, problem: Problem) -> str:
    """``translations.<lang>.questions[i]``: the question a duplicate-question problem names."""
    lang, question = problem.args["lang"], problem.args["question"]
    questions = article.translations[lang].questions if lang in article.translations else ()
    for index, asked in enumerate(questions):
        if normalise_question(asked) == normalise_question(question):
            return f"translations.{lang}.questions[{index}]"
    return f"translations.{lang}.questions"


def _line_fields(text: str) -> dict[int, str]:
    """Line number -> the deepest field written on it, from the composed YAML."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[int, str] = {}
    _walk(node, "", lines)
    return lines


def _walk(node, path: str, lines: dict[int, str]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            inner = f"{path}.{key.value}" if path else str(key.value)
            lines[key.start_mark.line + 1] = inner
            _walk(value, inner, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            inner = f"{path}[{index}]"
            lines.setdefault(item.start_mark.line + 1, inner)
            _walk(item, inner, lines)


TRANSLATION_TEXT = re.compile(r"^([\w-]+)\.(title|questions|body)$")  # "fr.body", not "fr.questions item"


def _field_of(problem: Problem, fields: dict[int, str]) -> str:
    """The field a reader's problem concerns: the one it says is missing or names, else the one on its line."""
    args = problem.args
    if problem.code == "missing_field":
        return args["key"]
    if problem.code == "missing_translation_field":
        return f"translations.{args['lang']}.{args['key']}"
    if problem.code in ("body_too_long", "question_count"):
        return f"translations.{args['lang']}.{'body' if problem.code == 'body_too_long' else 'questions'}"
    named = TRANSLATION_TEXT.match(args.get("name", ""))
    if named:
        return f"translations.{named.group(1)}.{named.group(2)}"
    return fields.get(problem.line, "")
