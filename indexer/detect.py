"""Language detection for short supplier questions.

Script decides first: Hangul is Korean; Han is Chinese, then Simplified or
Traditional by which character forms the text uses.  Latin text goes to
lingua-language-detector restricted to en, fr and de (measured: ~0.03 ms a
question, where langdetect took ~1.5 ms and called "PO?" Portuguese and
Chinese questions Korean).  For short Latin questions where lingua is
unsure, the grammar words of our stop lists break the tie ("Was ist
Procuree?" has "ist").

The supplier's chosen language (``hint``) decides only when the text itself
cannot: "PO?", "CS0012345", or Han characters shared by both Chinese forms.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .analyzers import is_protected, opencc_converter, word_tokens
from .languages import LANGUAGES

DEFAULT_LANG = "en"
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_CODES = tuple(code for code, lang in LANGUAGES.items() if lang.script == "latin")
SURE = 0.7  # lingua confidence above which its answer stands alone
LIKELY = 0.5  # with no hint, lingua's best guess counts as detected above this


@dataclass(frozen=True)
class Detection:
    """``lang`` is what to answer in; ``detected`` what the text looked like."""

    lang: str
    detected: str | None
    certain: bool  # the text alone decided, without the hint or a default


def detect(text: str, hint: str | None = None) -> Detection:
    """Decide the language of ``text``; ``hint`` is the supplier's chosen language."""
    hangul, han = len(_HANGUL.findall(text)), len(_HAN.findall(text))
    if hangul and hangul >= han:
        return Detection("ko", "ko", True)
    if han:
        return _chinese(text, hint)
    return _latin(text, hint)


def _chinese(text: str, hint: str | None) -> Detection:
    traditional, simplified = chinese_forms(text)
    if traditional or simplified:
        # Traditional-only forms are a sure sign; "simplified-only" ones are
        # not (台, 吃, 后 convert although Taiwan writes them), so they count half.
        guess = "zh-Hant" if traditional and 2 * traditional >= simplified else "zh-Hans"
        return Detection(guess, guess, True)
    if hint in ("zh-Hans", "zh-Hant"):
        return Detection(hint, None, False)
    return Detection("zh-Hans", None, False)


def chinese_forms(text: str) -> tuple[int, int]:
    """Count characters that only Traditional, or only Simplified, writing uses."""
    chars = [c for c in text if _HAN.match(c)]
    joined = "".join(chars)
    to_simplified = opencc_converter("t2s").convert(joined)
    to_traditional = opencc_converter("s2t").convert(joined)
    traditional = sum(a != b for a, b in zip(joined, to_simplified))
    simplified = sum(a != b for a, b in zip(joined, to_traditional))
    return traditional, simplified


def _latin(text: str, hint: str | None) -> Detection:
    words = [w for w in word_tokens(text) if not is_protected(w) and not w.isdigit()]
    fallback = hint if hint in LANGUAGES else DEFAULT_LANG
    if not words or sum(map(len, words)) < 3:
        return Detection(fallback, None, False)
    ranked = lingua_ranking(" ".join(words))
    best, confidence = ranked[0]
    if confidence >= SURE:
        return Detection(best, best, True)
    voted = grammar_vote(words)
    if voted:
        return Detection(voted, voted, True)
    if hint in LANGUAGES:
        return Detection(hint, best, False)
    return Detection(best, best, confidence >= LIKELY)


def grammar_vote(words: list[str]) -> str | None:
    """The one Latin language whose own grammar words the text uses most, if any."""
    votes = {code: 0 for code in _LATIN_CODES}
    for word in words:
        owners = [code for code in _LATIN_CODES if word in LANGUAGES[code].stopwords]
        if len(owners) == 1:
            votes[owners[0]] += 1
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if ranked[0][1] > ranked[1][1]:
        return ranked[0][0]
    return None


def lingua_ranking(text: str) -> list[tuple[str, float]]:
    """(code, confidence) for en, fr, de, best first."""
    values = _lingua().compute_language_confidence_values(text)
    return [(_LINGUA_CODES[v.language.name], v.value) for v in values]


_LINGUA_CODES = {"ENGLISH": "en", "FRENCH": "fr", "GERMAN": "de"}


@functools.cache
def _lingua():
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _LINGUA_CODES]
    return LanguageDetectorBuilder.from_languages(*languages).build()
