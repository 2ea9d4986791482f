"""The support agents' API: list and filter tickets, set priority, ask, propose, close.

Every route needs ``Authorization: Bearer <AGENT_TOKEN>``; the token is
compared in constant time, and an empty AGENT_TOKEN turns the API off.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, send_file

from .. import attachments
from ..auth import require_bearer
from ..errors import ApiError
from ..tickets import PRIORITIES, STATUSES, Ticket, store
from ..validation import choice_field, email_field, json_body, text_field
from .tickets import MAX_MESSAGE, NUMBER

bp = Blueprint("agent", __name__, url_prefix="/api/v1/agent")
bp.before_request(require_bearer("AGENT_TOKEN"))


@bp.get("/tickets")
def list_tickets():
    """Filter by status (or 'active'), priority, email, q; business-critical first, then oldest first."""
    args = request.args
    status = choice_field(args, "status", (*STATUSES, "active"))
    priority = choice_field(args, "priority", PRIORITIES)
    email = email_field(args)
    text = text_field(args, "q", 200, single_line=True)
    limit, offset = _int_arg("limit", 50, 1, 200), _int_arg("offset", 0, 0, 10**9)
    found, total = store().search(status, priority, email, text, limit, offset)
    return jsonify({"total": total, "limit": limit, "offset": offset, "tickets": [t.snapshot() for t in found]})


@bp.get("/tickets/<number>")
def show(number: str):
    return jsonify(_ticket(number).to_dict())


@bp.post("/tickets/<number>/priority")
def set_priority(number: str):
    data = json_body()
    priority = choice_field(data, "priority", PRIORITIES, required=True)
    return _apply(number, data, "set_priority", priority=priority)


@bp.post("/tickets/<number>/request-info")
def request_info(number: str):
    return _apply(number, json_body(), "request_info", required=True)


@bp.post("/tickets/<number>/propose-solution")
def propose_solution(number: str):
    return _apply(number, json_body(), "propose_solution", required=True)


@bp.post("/tickets/<number>/close")
def close(number: str):
    data = json_body() if request.content_length else {}
    return _apply(number, data, "close")


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


def _apply(number: str, data: dict, action: str, required: bool = False, priority: str | None = None):
    message = text_field(data, "message", MAX_MESSAGE, required=required)
    agent = text_field(data, "agent", 80, single_line=True)
    ticket = _ticket(number)
    changed = store().apply(ticket.number, action, actor=f"agent:{agent}" if agent else "agent",
                            message=message, priority=priority)
    return jsonify(changed.to_dict())


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ApiError(400, f"'{name}' must be a whole number from {low} to {high}.")
    return int(raw)
