"""Payment and PO status: a provider interface, so a buyer can connect its ERP.

A provider answers one question: which payment records of *this* supplier
email match an invoice or PO number.  The API passes only an address proven
with the one-time session code, and drops any record for another address
whatever the provider returns.  Nothing is ever made up: no provider, no
data (the API says ``not_connected``).

Providers are found through the entry-point group ``assistant.payments``;
an entry point names a factory ``(settings, instance_path) -> provider or
None`` (None: not configured).  The built-in ``csv`` provider is registered
the same way in code and reads an ERP export::

    [project.entry-points."assistant.payments"]
    sap = "procuree_sap:create_provider"

``PAYMENTS_PROVIDER`` picks one by name; empty means ``csv`` when
``PAYMENTS_CSV`` is set, else none.
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

log = logging.getLogger(__name__)

GROUP = "assistant.payments"
COLUMNS = ("supplier_number", "supplier_email", "invoice_number", "po_number", "amount", "currency",
           "status", "due_date", "paid_date")
# The ERP's status words, folded to the few the chat can name in six languages.
STATUS_WORDS = {
    "paid": ("paid", "cleared", "settled", "complete", "completed"),
    "open": ("open", "unpaid", "pending", "outstanding", "approved", "awaiting payment", "not paid", "posted"),
    "scheduled": ("scheduled", "payment scheduled", "in payment run", "released", "in process"),
    "blocked": ("blocked", "on hold", "hold", "disputed", "parked", "payment block"),
    "cancelled": ("cancelled", "canceled", "void", "voided", "reversed", "rejected"),
}
STATUSES = {word: status for status, words in STATUS_WORDS.items() for word in words}


class PaymentsUnavailable(Exception):
    """The provider is configured but cannot answer now (file missing, ERP down)."""


@dataclass(frozen=True)
class PaymentRecord:
    """One invoice or PO line as the ERP knows it; values are kept as exported."""

    supplier_number: str
    supplier_email: str
    invoice_number: str | None
    po_number: str | None
    amount: str  # as exported ("1234.50"): never rounded or recomputed
    currency: str
    status: str  # paid, open, scheduled, blocked, cancelled or other
    status_text: str  # the ERP's own word
    due_date: str | None  # ISO date when the export has one
    paid_date: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PaymentsProvider(Protocol):
    """What a provider implements."""

    name: str

    def find(self, email: str, *, invoice: str | None = None, po: str | None = None) -> list[PaymentRecord]:
        """Records of ``email`` matching the invoice and/or PO number; raise PaymentsUnavailable when down."""


Factory = Callable[[Mapping[str, Any], Path], "PaymentsProvider | None"]


def normalise_status(text: str) -> str:
    return STATUSES.get(" ".join(text.lower().replace("_", " ").split()), "other")


def iso_date(text: str) -> str | None:
    """The date as ISO 8601 when it is one (2025-03-31 or 2025-03-31T...), else the text itself; None if empty."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return text


def _header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


class CsvProvider:
    """The built-in provider: an ERP export (CSV, comma or semicolon) re-read whenever it changes."""

    name = "csv"

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._rows: list[PaymentRecord] = []

    def find(self, email: str, *, invoice: str | None = None, po: str | None = None) -> list[PaymentRecord]:
        email = email.strip().lower()
        wanted = [(field, value.strip().lower()) for field, value in (("invoice_number", invoice), ("po_number", po)) if value]
        return [row for row in self._load() if row.supplier_email == email
                and all((getattr(row, field) or "").lower() == value for field, value in wanted)]

    def _load(self) -> list[PaymentRecord]:
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise PaymentsUnavailable(f"cannot read {self.path}: {exc.strerror}") from None
        stamp = (stat.st_mtime, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._rows, self._stamp = self._read(), stamp
                except (OSError, UnicodeDecodeError, csv.Error) as exc:
                    raise PaymentsUnavailable(f"cannot read {self.path.name}: {exc}") from None
            return self._rows

    def _read(self) -> list[PaymentRecord]:
        text = self.path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
        first = text.split("\n", 1)[0]
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t") if first else csv.excel
        reader = csv.DictReader(text.splitlines(), dialect=dialect)
        reader.fieldnames = [_header(name) for name in reader.fieldnames or []]
        missing = [column for column in COLUMNS if column not in reader.fieldnames]
        if missing:
            raise PaymentsUnavailable(f"{self.path.name} lacks the column(s): {', '.join(missing)}")
        return [_record(row) for row in reader if (row.get("supplier_email") or "").strip()]


def _record(row: dict[str, str | None]) -> PaymentRecord:
    value = {column: (row.get(column) or "").strip() for column in COLUMNS}
    return PaymentRecord(
        supplier_number=value["supplier_number"],
        supplier_email=value["supplier_email"].lower(),
        invoice_number=value["invoice_number"] or None,
        po_number=value["po_number"] or None,
        amount=value["amount"],
        currency=value["currency"].upper(),
        status=normalise_status(value["status"]),
        status_text=value["status"],
        due_date=iso_date(value["due_date"]),
        paid_date=iso_date(value["paid_date"]),
    )


def csv_provider(settings: Mapping[str, Any], instance_path: Path) -> CsvProvider | None:
    """The built-in factory: PAYMENTS_CSV, relative to the instance folder; empty: not configured."""
    configured = str(settings.get("PAYMENTS_CSV") or "").strip()
    if not configured:
        return None
    path = Path(configured)
    return CsvProvider(path if path.is_absolute() else instance_path / path)


BUILT_IN: dict[str, Factory] = {"csv": csv_provider}


def registered(found: Iterable[EntryPoint] | None = None) -> dict[str, Factory | EntryPoint]:
    """The built-in factory and every ``assistant.payments`` entry point (loaded only when chosen), by name."""
    known: dict[str, Factory | EntryPoint] = dict(BUILT_IN)
    for ep in entry_points(group=GROUP) if found is None else found:
        if ep.name in known:
            raise ValueError(f"a payments provider named {ep.name!r} is already registered")
        known[ep.name] = ep
    return known


def choose(settings: Mapping[str, Any], instance_path: Path, found: Iterable[EntryPoint] | None = None):
    """The configured provider, or None; an unknown name is a ValueError listing the choices."""
    known = registered(found)
    name = str(settings.get("PAYMENTS_PROVIDER") or "").strip() or ("csv" if settings.get("PAYMENTS_CSV") else "")
    if not name:
        return None
    if name not in known:
        raise ValueError(f"unknown PAYMENTS_PROVIDER {name!r}; choose one of: {', '.join(sorted(known))}")
    factory = known[name]
    if isinstance(factory, EntryPoint):
        factory = factory.load()
    return factory(settings, instance_path)


def init_app(app: Flask) -> None:
    app.extensions["payments"] = choose(app.config, Path(app.instance_path))
    if app.extensions["payments"] is not None:
        log.info("payments provider: %s", app.extensions["payments"].name)


def provider() -> PaymentsProvider | None:
    return current_app.extensions.get("payments")
