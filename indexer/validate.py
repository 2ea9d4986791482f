"""Validation of a whole knowledge folder, as an editor runs it before publishing.

``check_folder`` reads every ``*.yaml`` file and adds the checks that need
more than one file: ids used twice, the same alternative question pointing
at two articles, missing languages, and a translation written in another
language than its key.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .articles import Article, Problem, read_article
from .detect import detect
from .languages import CODES

MAX_FILES = 5000


@dataclass(frozen=True)
class Report:
    """The outcome of validating a folder: the good articles and every problem."""

    folder: str
    articles: tuple[Article, ...]
    problems: tuple[Problem, ...]
    files: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        languages = sorted({lang for a in self.articles for lang in a.translations}, key=CODES.index)
        translations = sum(len(a.translations) for a in self.articles)
        verdict = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        return (
            f"{verdict}: {len(self.articles)} articles x {len(languages)} languages "
            f"({translations} translations) in {self.files} files"
        )


def check_folder(folder: str | Path, required_languages: Sequence[str] = CODES) -> Report:
    """Validate every article file in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        return Report(str(folder), (), (Problem.of(str(folder), 0, "not_a_folder"),), 0)
    paths = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if len(paths) > MAX_FILES:
        return Report(str(folder), (), (Problem.of(str(folder), 0, "too_many_files", limit=MAX_FILES),), len(paths))
    articles, problems = [], []
    for path in paths:
        article, found = read_article(path)
        problems.extend(found)
        if article is not None:
            articles.append(article)
    if not paths:
        problems.append(Problem.of(str(folder), 0, "no_articles"))
    problems.extend(duplicate_ids(articles))
    problems.extend(missing_languages(articles, required_languages))
    problems.extend(wrong_languages(articles))
    problems.extend(duplicate_questions(articles))
    unique = {a.id: a for a in articles}
    return Report(str(folder), tuple(unique.values()), tuple(problems), len(paths))


def duplicate_ids(articles: Iterable[Article]) -> list[Problem]:
    seen: dict[str, Article] = {}
    problems = []
    for article in articles:
        if article.id in seen:
            first = seen[article.id]
            problems.append(Problem.of(article.path, 1, "id_taken", id=article.id, other=first.path))
        else:
            seen[article.id] = article
    return problems


def missing_languages(articles: Iterable[Article], required: Sequence[str]) -> list[Problem]:
    return [
        Problem.of(a.path, 1, "missing_translation", lang=lang, required=" ".join(required))
        for a in articles
        for lang in required
        if lang not in a.translations
    ]


def wrong_languages(articles: Iterable[Article]) -> list[Problem]:
    """A translation must read as the language of its key (German under fr is caught)."""
    problems = []
    for article in articles:
        for lang, translation in article.translations.items():
            found = detect(translation.text)
            if found.certain and found.detected != lang:
                problems.append(Problem.of(article.path, article.lines.get(lang, 1), "wrong_language", lang=lang,
                                           detected=found.detected))
    return problems


def duplicate_questions(articles: Iterable[Article]) -> list[Problem]:
    """The same alternative question may not point at two articles (or twice at one)."""
    owners: dict[tuple[str, str], str] = {}
    problems = []
    for article in articles:
        for lang, translation in article.translations.items():
            for question in translation.questions:
                key = (lang, normalise_question(question))
                if key in owners:
                    problems.append(Problem.of(article.path, article.lines.get(lang, 1), "question_taken",
                                               lang=lang, question=question, other=owners[key]))
                else:
                    owners[key] = article.id
    return problems


def normalise_question(text: str) -> str:
    """Case, width, punctuation and spacing do not make two questions different."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", " ", text).strip()
