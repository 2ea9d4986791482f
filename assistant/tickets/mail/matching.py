"""Which ticket a received email is about, and whether it may change it.

A ticket is named, most trusted first, by the address the mail was sent to
(the plus address of the ticket's Reply-To), by the thread (In-Reply-To and
References lead to one of our mails), or by a ``CS`` number in the subject,
then in the text.  Naming a ticket is not enough to change it: that takes
the ticket's reference code in the mail (the seed asks suppliers to keep it;
every mail about a ticket repeats it) or, for an accept or reject, the
signed decision line of a solution mail's mailto link, and the sender must
be the ticket's own address.
"""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from sqlalchemy import Engine, select

from ... import db
from ..model import hash_reference
from .outgoing import DECISION_PATTERN, read_decision
from .reading import Received

NUMBER = re.compile(r"(?<![A-Za-z0-9])CS\d{7}(?!\d)", re.I)
_CHAR = "[A-HJ-NP-Z2-9]"  # model.REFERENCE_ALPHABET: no 0/O, no 1/I
CODE = re.compile(rf"(?<![A-Za-z0-9]){_CHAR}{{4}}[- ]?{_CHAR}{{4}}[- ]?{_CHAR}{{4}}(?![A-Za-z0-9])", re.I)
MAX_CODES = 200  # candidate codes hashed per mail at most: a pasted log cannot make matching slow


@dataclass(frozen=True)
class Decision:
    """An accept or reject carried by a mail, bound to one proposal of one ticket."""

    action: str  # accept or reject
    number: str
    proposed_at: str  # ISO time of the proposal it answers


def address_pattern(reply_template: str) -> re.Pattern[str]:
    """The ticket's reply address (``procuree+{number}@host``) as a pattern capturing the number."""
    address = reply_template.rsplit("<", 1)[-1].rstrip(">").strip()
    before, _, after = address.partition("{number}")
    return re.compile(re.escape(before.lower()) + r"(cs\d{7})" + re.escape(after.lower()))


def named_number(engine: Engine, received: Received, envelope: tuple[str, ...], addresses: re.Pattern[str]) -> str | None:
    """The ticket number the mail names, by address, thread, subject, then text; None if it names none."""
    for recipient in (*envelope, *received.recipients):
        if found := addresses.fullmatch(recipient.lower()):
            return found.group(1).upper()
    if number := number_of_thread(engine, received.in_reply_to):
        return number
    for text in (received.subject, received.text, received.searchable):
        if found := NUMBER.search(text):
            return found.group(0).upper()
    return None


def number_of_thread(engine: Engine, message_ids: tuple[str, ...]) -> str | None:
    """The ticket of the first of ``message_ids`` that is one of our mails."""
    ids = [f"<{m}>" for m in message_ids if m] + list(message_ids)
    if not ids:
        return None
    query = (select(db.tickets.c.number).select_from(db.mail.join(db.tickets, db.mail.c.ticket_id == db.tickets.c.id))
             .where(db.mail.c.message_id.in_(ids)).limit(1))
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def codes_in(text: str) -> list[str]:
    return [found.group(0) for _, found in zip(range(MAX_CODES), CODE.finditer(text))]


def has_code(text: str, key_hash: str) -> bool:
    """Whether ``text`` holds the code whose hash is ``key_hash`` (compared in constant time, each candidate)."""
    return any(hmac.compare_digest(hash_reference(code), key_hash) for code in codes_in(text))


def blank_codes(text: str | None, key_hash: str | None = None) -> str | None:
    """``text`` with the ticket's code (``key_hash``) and anything else shaped like a code blanked out.

    What is kept of a mail never holds a code in clear.  Besides the ticket's
    own code, only runs with both letters and digits count, so an ordinary
    word in capitals keeps its place in the text agents read.
    """
    if not text:
        return text

    def blank(match: re.Match) -> str:
        run = match.group(0)
        looks_like_code = re.search(r"\d", run) and re.search(r"[A-Za-z]", run)
        is_the_code = key_hash is not None and hmac.compare_digest(hash_reference(run), key_hash)
        return "············" if looks_like_code or is_the_code else run

    return CODE.sub(blank, text)


def decision_in(text: str, secret: str, number: str) -> Decision | None:
    """The one signed decision line in ``text`` for ticket ``number``; None if there is none, or two that differ."""
    found = set()
    for token in DECISION_PATTERN.findall(text):
        data = read_decision(secret, token)
        if data and data.get("n") == number and data.get("a") in ("accept", "reject"):
            found.add(Decision(data["a"], data["n"], data["p"]))
    return found.pop() if len(found) == 1 else None


def without_prepared_lines(text: str, prepared: tuple[str, ...], labels: tuple[str, ...]) -> str:
    """The supplier's own words in a decision mail: the mailto body's prepared lines, the lines starting
    with a footer ``label`` ("Reference code:") and the decision line removed."""
    lines = [line for line in text.splitlines()
             if line.strip() not in prepared and not line.strip().startswith(labels) and not DECISION_PATTERN.fullmatch(line)]
    return "\n".join(lines).strip()
