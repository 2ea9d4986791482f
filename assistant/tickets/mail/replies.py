"""The new text of a supplier's emailed reply: no quoted history, no signature.

Suppliers answer our mails from Gmail, Outlook, Apple Mail, Naver, QQ/Foxmail
and their phones, in the ticket's six languages.  Each client introduces the
history its own way, so the markers live in one table per language
(``LANGUAGES``) and the scan below is the same for all of them:

* a hard cut ends the new text: a quote header ("On … wrote:", "Le … a
  écrit :", "… 写道："), an Outlook header block ("From:" then "Sent:" …), an
  "Original Message" separator, a sig dash ("-- ") or a mobile sign-off;
* lines starting with ">" are the history and are dropped, but the lines
  between them are kept, so an answer written inline between quotes survives.

A quote header needs a time of day (10:00) and must end its line, and an
Outlook block needs three header lines in a row: a supplier's sentence that
merely contains "wrote:" or a colon is never taken for history.  A closing
such as "Best regards, Marie" is the supplier's text and stays.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

TIME = r"\d{1,2}[:：]\d{2}"  # every client's quote header carries the time of the quoted mail
COLON = r"\s?[:：]"  # French puts a (no-break) space before it; Chinese clients use the full-width one


@dataclass(frozen=True)
class Markers:
    """What one language's mail clients write around the history."""

    headers: tuple[str, ...]  # a quote header, matched on the whole line (or two lines joined)
    outlook: tuple[str, ...]  # Outlook's header labels, the "From" one first
    separators: tuple[str, ...]  # the words inside "-----Original Message-----"
    signoffs: tuple[str, ...]  # a phone's or Outlook app's line, matched on the whole line


LANGUAGES: dict[str, Markers] = {
    "en": Markers(
        headers=(rf"On\s.*{TIME}.*\swrote:",),
        outlook=("From", "Sent", "To", "Subject", "Date", "Cc"),
        separators=("Original Message", "Forwarded message"),
        signoffs=(r"Sent from my [\w .-]{2,30}", r"Sent from (?:Outlook|Mail|Yahoo Mail) for [\w ]{2,20}",
                  r"Get Outlook for (?:iOS|Android)"),
    ),
    "fr": Markers(
        headers=(rf"Le\s.*{TIME}.*\sa\sécrit\s?:",),
        outlook=("De", "Envoyé", "À", "A", "Objet", "Date", "Cc"),
        separators=("Message d['’]origine", "Message transféré"),
        signoffs=(r"Envoyé (?:de|depuis) mon [\w .-]{2,30}", r"(?:Obtenir|Télécharger) Outlook pour (?:iOS|Android)"),
    ),
    "de": Markers(
        headers=(rf"Am\s.*{TIME}.*\sschrieb\s.+:", rf".+\sschrieb am\s.*{TIME}.*:"),
        outlook=("Von", "Gesendet", "An", "Betreff", "Datum", "Cc"),
        separators=("Ursprüngliche Nachricht", "Weitergeleitete Nachricht"),
        signoffs=(r"Von meinem [\w .-]{2,30} gesendet", r"Gesendet von meinem [\w .-]{2,30}",
                  r"Outlook für (?:iOS|Android) (?:herunterladen|beziehen)"),
    ),
    "ko": Markers(
        headers=(rf"\d{{4}}[년.].*{TIME}.*작성(?:하였습니다|했습니다|한 메일)?\s?:",),
        outlook=("보낸 사람", "보낸 날짜", "받는 사람", "제목", "참조", "날짜"),
        separators=("원본 메시지", "Original Message"),
        signoffs=(r"[\w .-]{2,30}에서 보냄", r"[\w .-]{2,30}에서 보냈습니다\.?", r"(?:iOS|Android)용 Outlook 받기"),
    ),
    "zh-Hans": Markers(
        headers=(rf".*\d{{4}}年.*{TIME}.*写道\s?[:：]",),
        outlook=("发件人", "发送时间", "收件人", "主题", "抄送", "日期"),
        separators=("原始邮件", "转发邮件"),
        signoffs=(r"发自我的\s?[\w .-]{2,20}", r"从我的\s?[\w .-]{2,20}发送", r"获取\s?(?:iOS|Android)\s?版\s?Outlook"),
    ),
    "zh-Hant": Markers(
        headers=(rf".*\d{{4}}年.*{TIME}.*寫道\s?[:：]",),
        outlook=("寄件者", "寄件日期", "收件者", "主旨", "副本", "日期"),
        separators=("原始郵件", "轉寄郵件"),
        signoffs=(r"(?:從|从)我的\s?[\w .-]{2,20}\s?(?:傳送|發送)", r"寄自我的\s?[\w .-]{2,20}",
                  r"取得\s?(?:iOS|Android)\s?版\s?Outlook"),
    ),
}


def _whole_line(patterns: list[str]) -> re.Pattern[str]:
    """One regex for many alternatives, each anchored to the whole line, so a marker inside a sentence never matches."""
    return re.compile(r"^\s*(?:" + "|".join(patterns) + r")\s*$", re.IGNORECASE)


def _compile() -> tuple[re.Pattern[str], ...]:
    """Every language's markers at once: a supplier writing French may still answer from an English phone."""
    markers = LANGUAGES.values()
    headers = _whole_line([p for m in markers for p in m.headers])
    froms = _whole_line([rf"\*?{re.escape(m.outlook[0])}\*?{COLON}.*" for m in markers])
    labels = _whole_line([rf"\*?(?:{'|'.join(map(re.escape, m.outlook))})\*?{COLON}.*" for m in markers])
    words = "|".join(w for m in markers for w in m.separators)
    separators = _whole_line([rf"-{{2,}}\s*(?:{words})\s*-{{2,}}"])
    signoffs = _whole_line([p for m in markers for p in m.signoffs] + ["--"])
    return headers, froms, labels, separators, signoffs


HEADER, OUTLOOK_FROM, OUTLOOK_LABEL, SEPARATOR, SIGNOFF = _compile()
QUOTED = re.compile(r"^\s*>")
RULE = re.compile(r"^\s*(?:_{8,}|-{8,})\s*$")  # Outlook's line of underscores above its header block


def new_text(text: str) -> str:
    """The supplier's new text in a reply's plain-text body; "" when they wrote nothing new."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    index = 0
    while index < len(lines):
        if _hard_cut(lines, index):
            break
        span = _header_span(lines, index)
        if span:  # a quote header above quotes that the supplier answers inline: drop only the header
            index += span
            continue
        if not QUOTED.match(lines[index]):
            kept.append(lines[index])
        index += 1
    return _tidy(kept)


def _hard_cut(lines: list[str], index: int) -> bool:
    """Whether the history or the signature starts at this line, so nothing from here on is new."""
    line = lines[index]
    if SEPARATOR.match(line) or SIGNOFF.match(line) or _outlook_block(lines, index):
        return True
    span = _header_span(lines, index)
    return bool(span) and not _answered_inline(lines, index + span)


def _header_span(lines: list[str], index: int) -> int:
    """How many lines a quote header takes here (Gmail wraps a long one onto two), 0 if none starts here."""
    if HEADER.match(lines[index]):
        return 1
    if index + 1 < len(lines) and lines[index + 1].strip() and HEADER.match(lines[index] + " " + lines[index + 1].strip()):
        return 2
    return 0


def _outlook_block(lines: list[str], index: int) -> bool:
    """Outlook's "From:" line and the two header lines below it: a "From:" and a "To:" may be the supplier's words."""
    if not OUTLOOK_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1:index + 6] if line.strip()][:2]
    return len(following) == 2 and all(OUTLOOK_LABEL.match(line) for line in following)


def _answered_inline(lines: list[str], start: int) -> bool:
    """Whether the quotes below a header are followed by the supplier's own lines before any other cut."""
    seen_quote = False
    for index in range(start, len(lines)):
        line = lines[index]
        if SEPARATOR.match(line) or SIGNOFF.match(line) or _outlook_block(lines, index) or _header_span(lines, index):
            return False
        if QUOTED.match(line):
            seen_quote = True
        elif line.strip():
            return seen_quote
    return False


def _tidy(kept: list[str]) -> str:
    """The kept lines without Outlook's rule or blank runs left where quotes were dropped, trimmed."""
    while kept and (not kept[-1].strip() or RULE.match(kept[-1])):
        kept.pop()
    tidy: list[str] = []
    for line in kept:
        if line.strip() or (tidy and tidy[-1].strip()):
            tidy.append(line)
    return "\n".join(tidy).strip("\n")
