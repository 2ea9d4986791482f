"""The support agents' API: list and filter tickets, set priority, ask, propose, close; review received mail.

Every route needs ``Authorization: Bearer <AGENT_TOKEN>``; the token is
compared in constant time, and an empty AGENT_TOKEN turns the API off.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, send_file

from ..auth import require_bearer
from ..contract import read_body, read_query
from ..errors import ApiError
from .. import db
from ..tickets import Ticket, attachments
from ..tickets.mail import inbox, incoming
from ..tickets.store import store
from ..validation import json_body
from .tickets import NUMBER

bp = Blueprint("agent", __name__, url_prefix="/api/v1/agent")
bp.before_request(require_bearer("AGENT_TOKEN"))


@bp.get("/tickets")
def list_tickets():
    """Filter by status (or 'active'), priority, email, q; business-critical first, then oldest first."""
    query = read_query("AgentTicketsQuery")
    limit, offset = query["limit"], query["offset"]
    found, total = store().search(query["status"], query["priority"], query["email"], query["q"], limit, offset)
    return jsonify({"total": total, "limit": limit, "offset": offset, "tickets": [t.snapshot() for t in found]})


@bp.get("/tickets/<number>")
def show(number: str):
    """The ticket, its history, and every email received about it (its inbound history)."""
    ticket = _ticket(number)
    return jsonify({**ticket.to_dict(), "emails": [m.to_dict() for m in inbox.for_ticket(db.engine(), ticket.id)]})


@bp.post("/tickets/<number>/priority")
def set_priority(number: str):
    data = read_body("Priority", json_body())
    return _apply(number, {}, "set_priority", priority=data["priority"])


@bp.post("/tickets/<number>/request-info")
def request_info(number: str):
    return _apply(number, read_body("AgentMessage", json_body()), "request_info")


@bp.post("/tickets/<number>/propose-solution")
def propose_solution(number: str):
    return _apply(number, read_body("AgentMessage", json_body()), "propose_solution")


@bp.post("/tickets/<number>/close")
def close(number: str):
    return _apply(number, read_body("AgentNote", json_body()) if request.content_length else {}, "close")


@bp.get("/tickets/<number>/attachments/<int:attachment_id>")
def download(number: str, attachment_id: int):
    """One attachment, always as a download with its checked type."""
    found = next((a for a in _ticket(number).attachments if a.id == attachment_id), None)
    if found is None:
        raise ApiError(404, f"Ticket {number} has no attachment {attachment_id}.")
    path = attachments.path_of(found, attachments.folder(current_app.instance_path))
    name = attachments.safe_download_name(found.filename, found.kind)
    response = send_file(path, mimetype=found.content_type, as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _ticket(number: str) -> Ticket:
    ticket = store().get(number.upper()) if NUMBER.match(number.upper()) else None
    if ticket is None:
        raise ApiError(404, f"No ticket {number}.")
    return ticket


def _apply(number: str, data: dict, action: str, priority: str | None = None):
    """``data``: the cleaned body (message, agent)."""
    message, agent = data.get("message"), data.get("agent")
    ticket = _ticket(number)
    changed = store().apply(ticket.number, action, actor=f"agent:{agent}" if agent else "agent",
                            message=message, priority=priority)
    return jsonify(changed.to_dict())


@bp.get("/inbound")
def list_inbound():
    """Received emails, oldest first; ``state=review`` is the review list (no code, another sender, no ticket)."""
    query = read_query("InboundQuery")
    found, total = inbox.listing(db.engine(), query["state"], query["limit"], query["offset"])
    return jsonify({"total": total, "limit": query["limit"], "offset": query["offset"],
                    "emails": [m.to_dict() for m in found]})


@bp.get("/inbound/<int(max=2147483647):mail_id>")
def show_inbound(mail_id: int):
    found = inbox.get(db.engine(), mail_id)
    if found is None:
        raise ApiError(404, f"No received mail {mail_id}.")
    return jsonify(found.to_dict())


@bp.post("/inbound/<int(max=2147483647):mail_id>/apply")
def apply_inbound(mail_id: int):
    """The agent vouches for a reviewed mail: its text and files become the supplier's reply on ``number``."""
    data = read_body("InboundApply", json_body())
    number = data["number"].upper()
    incoming.apply_reviewed(current_app._get_current_object(), mail_id, number, data.get("agent"))
    return jsonify(inbox.get(db.engine(), mail_id).to_dict())


@bp.post("/inbound/<int(max=2147483647):mail_id>/dismiss")
def dismiss_inbound(mail_id: int):
    data = read_body("AgentNote", json_body()) if request.content_length else {}
    incoming.dismiss(current_app._get_current_object(), mail_id, data.get("agent"))
    return jsonify(inbox.get(db.engine(), mail_id).to_dict())
