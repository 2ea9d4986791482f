"""Find the question in a pasted message.

Suppliers paste whole emails into the chat: a greeting, two or three
sentences about their situation, the question, a sign-off and a
signature.  Scored as one text, the question's words are diluted by all
the others and a right answer looks unsure.  ``segments`` cuts a message
into what is worth scoring on its own: the message without its courtesy
lines, each of its sentences, and each question with the sentence before
it (the situation it refers to).

Greetings and sign-offs are recognised with one table of phrases for all
six languages at once (a message often mixes them: "Hi, 请问…").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_SEGMENTS = 8  # sentences scored on their own, at most; the rest only count in the whole
MAX_QUESTIONS = 3  # questions scored with their context, at most

# Sentence ends: CJK punctuation ends a sentence wherever it is; Latin punctuation
# only before a space (4.5, e.g. and INV-2024.11 stay whole); a line break always.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])\s*|(?<=[.!?;])\s+|\s*\n+\s*")

GREETINGS = (
    "hi there", "hello there", "hi all", "hello all", "hi team", "hello team", "hey there", "hi", "hello", "hey",
    "dear sir or madam", "dear sirs", "dear team", "dear all", "dear colleagues", "dear", "good morning",
    "good afternoon", "good evening", "greetings",
    "bonjour à tous", "bonjour", "bonsoir", "salut", "madame, monsieur", "madame monsieur", "messieurs",
    "chère équipe", "cher", "chère",
    "hallo zusammen", "hallo team", "hallo", "guten morgen", "guten tag", "guten abend", "moin", "servus",
    "sehr geehrte damen und herren", "sehr geehrte", "sehr geehrter", "liebes team", "liebe",
    "안녕하세요", "안녕하십니까", "수고하십니다", "수고하세요", "담당자님",
    "您好", "你好", "大家好", "老师好", "早上好", "下午好", "嗨", "哈囉", "哈喽",
)
CLOSINGS = (
    "best regards", "kind regards", "warm regards", "regards", "best wishes", "many thanks", "thanks in advance",
    "thank you in advance", "thanks a lot", "thank you", "thanks", "thx", "cheers", "sincerely", "best",
    "cordialement", "bien cordialement", "salutations", "bien à vous", "merci d'avance", "merci par avance",
    "merci beaucoup", "merci", "bonne journée",
    "mit freundlichen grüßen", "mit freundlichen gruessen", "freundliche grüße", "viele grüße", "beste grüße",
    "liebe grüße", "gruß", "grüße", "vielen dank im voraus", "vielen dank", "danke im voraus", "danke schön",
    "danke",
    "감사합니다", "고맙습니다", "감사드립니다", "수고하세요", "드림", "올림",
    "谢谢", "謝謝", "多谢", "多謝", "感谢", "感謝", "此致", "敬礼", "敬禮", "祝好", "顺祝商祺", "順祝商祺",
    "麻烦了", "麻煩了", "辛苦了",
)


def _phrase_pattern(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


# A greeting opens the message ("Hallo zusammen," "您好，"); a name may follow it.
_GREETING = re.compile(rf"^\s*(?:{_phrase_pattern(GREETINGS)})(?![^\W\d_])[\s,，、!！.。:：~-]*", re.IGNORECASE)
# A sentence that is only courtesy: a closing phrase, maybe a name or a company after it.
_CLOSING = re.compile(rf"(?:^|[\s,，。.!！])(?:{_phrase_pattern(CLOSINGS)})(?![^\W\d_])", re.IGNORECASE)
_QUESTION_MARK = re.compile(r"[?？]")
_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Segment:
    """A part of a message worth scoring; ``whole`` for the message as a whole."""

    text: str
    whole: bool = False
    question: bool = False


def segments(message: str) -> list[Segment]:
    """The cleaned message, then its sentences and questions-with-context (short messages: just itself)."""
    sentences = split_sentences(message)
    body = strip_courtesy(sentences)
    whole = Segment(" ".join(body) or message.strip(), whole=True, question=bool(_QUESTION_MARK.search(message)))
    if len(body) < 2:
        return [whole]
    parts = [Segment(s, question=bool(_QUESTION_MARK.search(s))) for s in body[:MAX_SEGMENTS]]
    with_context = [
        Segment(f"{body[i - 1]} {s.text}", question=True) for i, s in enumerate(parts) if s.question and i > 0
    ]
    return [whole, *parts, *with_context[:MAX_QUESTIONS]]


def split_sentences(message: str) -> list[str]:
    text = unicodedata.normalize("NFKC", message)
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def strip_courtesy(sentences: list[str]) -> list[str]:
    """Drop the opening greeting and everything from the sign-off on (the signature follows it)."""
    body = list(sentences)
    if body:
        body[0] = _GREETING.sub("", body[0], count=1).strip()
        if not _WORDS.search(body[0]):
            body.pop(0)
    for i in range(len(body) - 1, 0, -1):  # the last sentences: a sign-off and whatever follows it
        if _is_courtesy(body[i]):
            body = body[:i]
        elif i < len(body) - 2:
            break
    return [s for s in body if _WORDS.search(s)]


def _is_courtesy(sentence: str) -> bool:
    """A sentence that starts with a closing phrase, or ends with one after at most a few words."""
    match = _CLOSING.search(sentence)
    if not match:
        return False
    before = sentence[: match.start()]
    return len(_WORDS.findall(before)) <= 2 and not _QUESTION_MARK.search(sentence)


def focus_text(message: str, fits) -> str:
    """The main question with as much of its context as ``fits`` (a predicate on text) allows.

    The last sentence with a question mark is the question (or the last
    sentence when none has one); sentences around it are added, nearest
    first, while the text still fits.  A slow reader of the text (the
    sentence encoder) then costs what the question needs, not what the
    whole pasted email would.
    """
    body = strip_courtesy(split_sentences(message)) or [message.strip()]
    asked = [i for i, s in enumerate(body) if _QUESTION_MARK.search(s)]
    center = asked[-1] if asked else len(body) - 1
    first, last = center, center + 1  # body[first:last] is chosen; it grows nearest first, each side until full
    grow_before, grow_after = True, True
    while grow_before or grow_after:
        grow_before = grow_before and first > 0 and fits(" ".join(body[first - 1 : last]))
        first -= grow_before
        grow_after = grow_after and last < len(body) and fits(" ".join(body[first : last + 1]))
        last += grow_after
    chosen = body[first:last]
    text = " ".join(chosen)
    while not fits(text) and len(text) > 1:  # one sentence longer than the budget: its start
        text = text[: len(text) * 3 // 4]
    return text
