"""Mail in over HTTP: a raw email POSTed by a provider's inbound webhook or a Postfix pipe.

``POST /api/v1/inbound/email`` with the message as the body
(``Content-Type: message/rfc822``) and ``Authorization: Bearer
<INBOUND_TOKEN>``.  The 202 comes only once the message is stored; with
INBOUND_PROCESS_AT_ONCE it is then processed before answering, and the answer
says what it did (a failure there leaves it stored, for the worker to retry).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .. import db
from ..auth import require_bearer
from ..errors import ApiError
from ..tickets.mail import inbox, incoming

bp = Blueprint("inbound", __name__, url_prefix="/api/v1/inbound")
bp.before_request(require_bearer("INBOUND_TOKEN"))

MEDIA_TYPE = "message/rfc822"


@bp.post("/email")
def receive_email():
    """Store the email (202 once durable), then process it; the same Message-ID again is a duplicate, not a second reply."""
    if request.mimetype != MEDIA_TYPE:
        raise ApiError(415, f"Send the raw email as the body with Content-Type: {MEDIA_TYPE}.")
    raw = request.get_data(cache=False)
    if not raw:
        raise ApiError(400, "The body is empty: send the whole raw email (headers and body).", "empty_message")
    try:
        stored = inbox.store(db.engine(), current_app.config, raw, "http")
    except inbox.TooLarge as exc:
        raise ApiError(413, f"The email is too large: {exc}.") from None
    if current_app.config["INBOUND_PROCESS_AT_ONCE"] and not stored.duplicate:
        incoming.process_due(current_app._get_current_object(), ids=(stored.id,))
    mail = inbox.get(db.engine(), stored.id)
    return jsonify({"id": stored.id, "duplicate": stored.duplicate, "state": mail.state, "reason": mail.reason,
                    "ticket_number": mail.ticket_number}), 202
