"""The chat's words: one JSON catalogue per language, country and language names from Babel.

``assistant/catalogs/<lang>.json`` maps every key the chat page uses to its
text in that language; every catalogue has the same keys (a test checks).
Country and language names are not translated by hand: CLDR, through
Babel, names them in each language.
"""
from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path
from typing import Any

from babel import Locale

from indexer.languages import CODES, LANGUAGES, resolve

FOLDER = Path(__file__).resolve().parent / "catalogs"

# CLDR territories that are not countries a supplier is served in.
NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"})
# Regions and scripts that mean Traditional Chinese in a browser's language tag.
TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})


@functools.cache
def strings(lang: str) -> dict[str, str]:
    """The chat's catalogue of one of the six languages; ValueError for any other code."""
    return _catalogue(FOLDER, lang)


def _catalogue(folder: Path, lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"no catalogue for {lang!r}; choose one of: {', '.join(CODES)}")
    return json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))


def _locale(lang: str) -> Locale:
    return Locale.parse(lang.replace("-", "_"))


def _sort_key(name: str) -> str:
    """Accents do not decide the order: Équateur sorts with E."""
    return "".join(c for c in unicodedata.normalize("NFD", name.casefold()) if not unicodedata.combining(c))


@functools.cache
def countries(lang: str) -> tuple[tuple[str, str], ...]:
    """(ISO code, name in ``lang``) of every country, sorted by name."""
    names = _locale(lang).territories
    found = [(code, name) for code, name in names.items()
             if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES]
    return tuple(sorted(found, key=lambda pair: _sort_key(pair[1])))


@functools.cache
def language_names(lang: str) -> dict[str, str]:
    """Each of the six languages named in ``lang`` (German in French: « allemand »)."""
    return {code: _locale(code).get_display_name(_locale(lang)) for code in CODES}


@functools.cache
def commands() -> dict[str, list[str]]:
    """The words that leave the chat or open the menu, in every language at once (lower case, as JS lowers them)."""
    found: dict[str, set[str]] = {"cancel": set(), "menu": set()}
    for lang in CODES:
        for command, words in found.items():
            words.update(word.strip().lower() for word in strings(lang)[f"commands.{command}"].split("|"))
    return {command: sorted(words - {""}) for command, words in found.items()}


def catalog(lang: str) -> dict[str, Any]:
    """Everything the page needs to speak ``lang``: strings, country and language names."""
    return {
        "lang": lang,
        "strings": strings(lang),
        "countries": [list(pair) for pair in countries(lang)],
        "language_names": language_names(lang),
    }


def from_tag(tag: str | None) -> str | None:
    """Our code for a browser language tag: fr-BE -> fr, zh-TW and zh-Hant-HK -> zh-Hant."""
    if not tag:
        return None
    found = resolve(tag)
    if found:
        return found
    parts = tag.replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        return "zh-Hant" if TRADITIONAL & set(parts[1:]) else "zh-Hans"
    return resolve(parts[0])


def best_language(tags: list[str], default: str = "en") -> str:
    """The first of the browser's languages (in preference order) that the chat speaks."""
    for tag in tags:
        found = from_tag(tag)
        if found:
            return found
    return default


EDITORS_FOLDER = FOLDER / "editors"


@functools.cache
def editor_strings(lang: str) -> dict[str, str]:
    """The editors' pages' catalogue (``catalogs/editors/<lang>.json``), same keys in every language (a test checks)."""
    return _catalogue(EDITORS_FOLDER, lang)
