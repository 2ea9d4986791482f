"""Reading a received email: its headers, its text, its files, and whether a robot sent it.

Everything here works on the raw RFC 5322 bytes with the standard library's
``email`` package (``policy.default`` decodes encoded words and charsets) and
never raises on a malformed message: what cannot be read is simply absent,
so a broken mail still reaches the review list instead of a traceback.
"""
from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

MAX_TEXT_CHARS = 100_000  # a reply longer than this is cut: no supplier types more, a pasted log needs no more

# A robot's mail (RFC 3834 auto-replies, list and bulk mail, delivery reports): recorded, never answered.
AUTOMATED_HEADERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Auto-Submitted", re.compile(r"^(?!no\b)", re.I)),  # anything but "no"
    ("Precedence", re.compile(r"^(bulk|junk|list|auto_reply)\b", re.I)),
    ("X-Autoreply", re.compile(r".")),
    ("X-Autorespond", re.compile(r".")),
    ("X-Auto-Response-Suppress", re.compile(r"\b(all|oof|autoreply)\b", re.I)),
    ("List-Id", re.compile(r".")),
)
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.I)
BLOCK_TAGS = frozenset("p div br li tr h1 h2 h3 h4 h5 h6 table ul ol pre hr".split())
SKIPPED_TAGS = frozenset("script style head title".split())


@dataclass(frozen=True)
class File:
    """One attached file as the message carries it (checked later, like an upload)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Received:
    """What the assistant needs of one received email."""

    message_id: str | None
    sender: str  # the From address, lower case ("" if none)
    recipients: tuple[str, ...]  # To, Cc, Delivered-To, X-Original-To: where a plus address may name the ticket
    subject: str
    in_reply_to: tuple[str, ...]  # In-Reply-To then References, Message-IDs without angle brackets
    text: str  # the plain text (or the HTML's text without its quoted part), where the new text is read
    searchable: str  # every text part whole, quotes included: where the ticket number and the code are looked for
    automated: str | None  # None, or why it is a robot's: "auto_reply", "bounce"
    files: tuple[File, ...] = field(default=(), repr=False)
    bounced_ids: tuple[str, ...] = ()  # a delivery report: the Message-IDs of our mails it is about


def read(raw: bytes) -> Received:
    """The parts of ``raw`` that matching and applying need."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    sender = _address(_header(message, "From"))
    report = _is_delivery_report(message, sender)
    return Received(
        message_id=_message_id(_header(message, "Message-ID")),
        sender=sender,
        recipients=tuple(_addresses(message, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")),
        subject=" ".join(_header(message, "Subject").split())[:300],
        in_reply_to=tuple(_message_ids(_header(message, "In-Reply-To") + " " + _header(message, "References"))),
        text=body_text(message)[:MAX_TEXT_CHARS],
        searchable=searchable_text(message)[:MAX_TEXT_CHARS],
        automated="bounce" if report else _automated(message),
        files=tuple(_files(message)) if not report else (),
        bounced_ids=tuple(_bounced_ids(message)) if report else (),
    )


def message_id_of(raw: bytes) -> str | None:
    """Only the Message-ID (for deduplication, before anything else is read)."""
    headers = email.message_from_bytes(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0], policy=email.policy.default)
    return _message_id(_header(headers, "Message-ID"))


def _header(message: EmailMessage, name: str) -> str:
    """A header as text; "" when absent or so malformed that the parser gives up on it."""
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError):
        return ""
    return str(value) if value is not None else ""


def _address(value: str) -> str:
    return parseaddr(value)[1].strip().lower()


def _addresses(message: EmailMessage, *names: str) -> list[str]:
    found = []
    for name in names:
        try:
            values = [str(v) for v in message.get_all(name, [])]
        except (ValueError, TypeError, IndexError):
            continue
        found += [address.lower() for _, address in getaddresses(values) if "@" in address]
    return found


def _message_id(value: str) -> str | None:
    ids = _message_ids(value)
    return ids[0] if ids else (value.strip()[:255] or None)


def _message_ids(value: str) -> list[str]:
    return [found[:255] for found in re.findall(r"<([^<>\s]+)>", value)]


def _automated(message: EmailMessage) -> str | None:
    for name, pattern in AUTOMATED_HEADERS:
        value = _header(message, name).strip()
        if value and pattern.search(value):
            return "auto_reply"
    return None


def _is_delivery_report(message: EmailMessage, sender: str) -> bool:
    """RFC 3464 delivery status notifications, and the bounces of servers that send them as plain mail."""
    if message.get_content_type() == "multipart/report":
        return True
    return bool(BOUNCE_SENDERS.match(sender)) or _header(message, "Return-Path").strip() == "<>"


def _bounced_ids(message: EmailMessage) -> list[str]:
    """The Message-IDs quoted in a delivery report's returned message or headers (which of our mails bounced)."""
    ids = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            ids += _message_ids(_header(inner[0], "Message-ID")) if isinstance(inner, list) and inner else []
        elif kind in ("text/rfc822-headers", "message/rfc822-headers"):
            ids += _message_ids(" ".join(re.findall(r"^Message-ID:\s*(<[^>]+>)", _content(part), re.I | re.M)))
    return ids


def body_text(message: EmailMessage) -> str:
    """The message's text: its plain part, else its HTML part turned into text; "" if it has neither."""
    for preference in (("plain",), ("html",)):
        try:
            part = message.get_body(preferencelist=preference)
        except (KeyError, LookupError):
            part = None
        if part is None:
            continue
        content = _content(part)
        text = html_text(content) if part.get_content_subtype() == "html" else content
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return ""


def searchable_text(message: EmailMessage) -> str:
    """Every text part of the message, HTML quotes kept: the code a supplier keeps may sit in the quoted mail."""
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text" and part.get_content_disposition() != "attachment":
            content = _content(part)
            texts.append(html_text(content, keep_quotes=True) if part.get_content_subtype() == "html" else content)
    return "\n".join(texts)


def _content(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def _files(message: EmailMessage) -> list[File]:
    """Attached files; inline images a signature or a logo refers to (Content-ID) are left out."""
    found = []
    for part in message.iter_attachments() if message.is_multipart() else ():
        found += _files_of(part)
    return found


def _files_of(part: EmailMessage) -> list[File]:
    if part.is_multipart():
        return [f for inner in part.iter_parts() for f in _files_of(inner)]
    filename = part.get_filename()
    if not filename or (part.get("Content-ID") and part.get_content_disposition() != "attachment"):
        return []
    data = part.get_payload(decode=True) or b""
    return [File(filename, part.get_content_type(), data)]


class _TextOfHtml(HTMLParser):
    """The text of an HTML mail: block elements become line breaks, quoted history is dropped."""

    def __init__(self, keep_quotes: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.keep_quotes = keep_quotes

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        quoted = not self.keep_quotes and ("gmail_quote" in (attributes.get("class") or "")
                                           or attributes.get("id") in ("divRplyFwdMsg", "appendonsend") or tag == "blockquote")
        if tag in SKIPPED_TAGS or (self.skipping and tag in ("div", "blockquote")) or quoted:
            self.skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and (tag in SKIPPED_TAGS or tag in ("div", "blockquote")):
            self.skipping -= 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_text(html: str, keep_quotes: bool = False) -> str:
    """Plain text of an HTML body, a blank line between paragraphs; without its quoted history unless ``keep_quotes``."""
    parser = _TextOfHtml(keep_quotes)
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
