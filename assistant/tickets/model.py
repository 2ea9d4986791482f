"""What a ticket is: the values read from the store and the rules for its number and reference code."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read from an email, typed by hand
REFERENCE_LENGTH = 12  # 60 bits


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change: what happened, who did it, when, and the status it left."""

    kind: str  # "created" or an action name
    actor: str
    at: dt.datetime
    status_from: str | None
    status_to: str
    message: str | None = None
    via: str | None = None  # "email": the change arrived by mail

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": _iso(self.at)}


@dataclass(frozen=True)
class Attachment:
    """A file stored with a ticket (its bytes live under a random name in the instance folder)."""

    id: int
    filename: str
    kind: str
    content_type: str
    size: int
    sha256: str
    stored_name: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "filename": self.filename, "type": self.kind, "content_type": self.content_type,
                "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class NewTicket:
    """What a supplier (or an escalated question) brings; validated by the web layer."""

    email: str
    subject: str
    description: str
    lang: str
    name: str | None = None
    supplier_name: str | None = None
    supplier_number: str | None = None
    country: str | None = None
    category: str | None = None
    invoice_numbers: tuple[str, ...] = ()
    po_numbers: tuple[str, ...] = ()
    question: str | None = None
    detected_lang: str | None = None
    articles_tried: tuple[dict[str, Any], ...] = ()
    previous_number: str | None = None


@dataclass(frozen=True)
class Ticket:
    """A ticket as read from the store; ``history`` is filled only for single-ticket reads."""

    id: int
    number: str
    email: str
    name: str | None
    supplier_name: str | None
    supplier_number: str | None
    country: str | None
    lang: str
    category: str | None
    subject: str
    description: str
    references: dict[str, list[str]]
    priority: str
    status: str
    resolution: str | None
    question: str | None
    detected_lang: str | None
    articles_tried: tuple[dict[str, Any], ...]
    previous_number: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    solution_proposed_at: dt.datetime | None
    closed_at: dt.datetime | None
    attachments: tuple[Attachment, ...] = ()
    history: tuple[HistoryEntry, ...] = field(default=(), compare=False)

    def snapshot(self) -> dict[str, Any]:
        """The ticket as events and the API show it (never the reference code or its hash)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in ("id", "history")}
        data["articles_tried"] = list(self.articles_tried)
        data["attachments"] = [a.to_dict() for a in self.attachments]
        for name in ("created_at", "updated_at", "solution_proposed_at", "closed_at"):
            data[name] = _iso(data[name])
        return data

    def to_dict(self) -> dict[str, Any]:
        return {**self.snapshot(), "history": [h.to_dict() for h in self.history]}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def new_number() -> str:
    """``CS`` and 7 random digits: unguessable order, nothing revealed about volume."""
    return f"CS{secrets.randbelow(10**7):07d}"


def new_reference() -> str:
    """12 characters from an alphabet without look-alikes: about 60 random bits."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def hash_reference(reference: str) -> str:
    """SHA-256 of the normalised code: 60 random bits need no slow hash, only no plaintext at rest."""
    normalised = "".join(reference.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode()).hexdigest()


NO_TICKET = hash_reference("no ticket has this code")
