"""Payment and PO status for the supplier whose email the session proved.

``GET /api/v1/payments/status`` says whether a provider is connected (no
session needed, so the chat can say so before asking for a code).
``GET /api/v1/payments?invoice=...`` or ``?po=...`` returns that
supplier's matching records: 503 ``not_connected`` without a provider,
401 without a session, and never a record of another address.
"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify

from .. import sessions
from ..contract import read_query
from ..errors import ApiError
from ..limits import ask_limit, limiter
from ..payments import PaymentsUnavailable, provider

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__, url_prefix="/api/v1/payments")

NOT_CONNECTED = "Payment and PO status lookup is not connected: no payments provider is configured."


@bp.get("/status")
def status():
    connected = provider()
    return jsonify({"connected": connected is not None, "provider": connected.name if connected else None})


@bp.get("")
@limiter.limit(ask_limit)
def lookup():
    """The proven supplier's records for an invoice and/or PO number."""
    connected = provider()
    if connected is None:
        raise ApiError(503, NOT_CONNECTED, "not_connected")
    email = sessions.current_email()
    if email is None:
        raise ApiError(401, "Prove your email address first: POST /api/v1/session/code, then /api/v1/session.")
    query = read_query("PaymentsQuery")
    invoice, po = query["invoice"], query["po"]
    if not invoice and not po:
        raise ApiError(422, "Give an invoice number ('invoice') or a PO number ('po').", field="invoice")
    try:
        found = connected.find(email, invoice=invoice, po=po)
    except PaymentsUnavailable as exc:
        log.error("payments provider %s: %s", connected.name, exc)
        raise ApiError(503, "The payment records cannot be read at the moment.", "payments_unavailable") from None
    records = [record.to_dict() for record in found if record.supplier_email.lower() == email]  # whatever the provider did
    return jsonify({"connected": True, "provider": connected.name, "email": email, "invoice": invoice, "po": po,
                    "payments": records})
