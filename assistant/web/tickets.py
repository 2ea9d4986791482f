"""The supplier's ticket API: raise a ticket, look it up, reply, accept or reject a solution.

A ticket is reached with its number and the ``X-Ticket-Key`` header (the
reference code from the confirmation email), or through a session that
proved the ticket's email address.  Anything else, including a number that
does not exist, is the same 404: the API never tells whether a number exists.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, current_app, jsonify, request

from indexer.detect import detect

from .. import db, questions, sessions
from ..contract import form_data, read_body
from ..errors import ApiError
from ..limits import tickets_budget
from ..tickets import NewTicket, Ticket, attachments
from ..tickets.store import store
from ..validation import json_body

bp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets")

NUMBER = re.compile(r"^CS\d{7}$")
NOT_FOUND = "No ticket with this number and reference code."


@bp.post("")
@tickets_budget  # each ticket sends an email
def create():
    """201 with the ticket and its reference code; JSON, or multipart with up to 5 attachments."""
    data, uploads = ticket_input("NewTicket")
    new = new_ticket(data)
    answered_before = data.get("question_id")
    ticket, reference = create_with_files(new, uploads)
    if answered_before:
        questions.question_log().followed_by_ticket(answered_before, ticket.number)
    response = jsonify({**ticket.to_dict(), "reference": reference})
    response.headers["Location"] = f"/api/v1/tickets/{ticket.number}"
    return response, 201


@bp.get("")
def recent():
    """The 5 most recent tickets of the address proven in this session."""
    email = sessions.current_email()
    if email is None:
        raise ApiError(401, "Prove your email address first: POST /api/v1/session/code, then /api/v1/session.")
    return jsonify({"email": email, "tickets": [summary(t) for t in store().recent_for(email, 5)]})


@bp.get("/<number>")
def show(number: str):
    """The ticket and its history, for the holder of its key or its address's session."""
    return jsonify(authorised(number).to_dict())


@bp.post("/<number>/reply")
@tickets_budget
def reply(number: str):
    """More information from the supplier; answers an info request (JSON or multipart)."""
    ticket = authorised(number)
    data, uploads = ticket_input("Reply")
    return jsonify(apply_with_files(ticket, "reply", data["message"], uploads).to_dict())


@bp.post("/<number>/accept")
@tickets_budget
def accept(number: str):
    """Accept the proposed solution (optional ``comment``); the ticket closes."""
    ticket = authorised(number)
    comment = read_body("Comment", json_body()).get("comment") if request.content_length else None
    return jsonify(store().apply(ticket.number, "accept", message=comment).to_dict())


@bp.post("/<number>/reject")
@tickets_budget
def reject(number: str):
    """Reject the proposed solution; ``comment`` is required; the ticket reopens for the agent."""
    ticket = authorised(number)
    comment = read_body("RequiredComment", json_body())["comment"]
    return jsonify(store().apply(ticket.number, "reject", message=comment).to_dict())


def authorised(number: str) -> Ticket:
    """The ticket if the caller holds its reference code or a session for its address; else 404."""
    number = number.upper()
    ticket = store().find(number if NUMBER.match(number) else "", request.headers.get("X-Ticket-Key", ""))
    if ticket is None and (email := sessions.current_email()):
        held = store().get(number) if NUMBER.match(number) else None
        ticket = held if held is not None and held.email == email else None
    if ticket is None:
        raise ApiError(404, NOT_FOUND)
    return ticket


def ticket_input(schema: str) -> tuple[dict, list]:
    """The request's cleaned fields (checked against ``schema``) and its files: a JSON object, or
    multipart form fields plus ``attachments``."""
    if request.mimetype == "multipart/form-data":
        if "attachments" in request.form:
            raise ApiError(422, "'attachments' must be files.", field="attachments")
        return read_body(schema, form_data(schema)), request.files.getlist("attachments")
    return read_body(schema, json_body()), []


def new_ticket(data: dict) -> NewTicket:
    """A new ticket from its cleaned fields; the language is detected from the text when not given."""
    subject, description = data["subject"], data["description"]
    return NewTicket(
        email=data["email"],
        subject=subject,
        description=description,
        lang=data.get("lang") or detect(f"{subject}\n{description}").lang,
        name=data.get("name"),
        supplier_name=data.get("supplier_name"),
        supplier_number=data.get("supplier_number"),
        country=data.get("country"),
        category=data.get("category"),
        invoice_numbers=data.get("invoice_numbers", ()),
        po_numbers=data.get("po_numbers", ()),
        previous_number=data.get("previous_number"),
    )


def _file_limits() -> tuple:
    config = current_app.config
    return attachments.folder(current_app.instance_path), config["ATTACHMENTS_MAX_FILES"], config["ATTACHMENT_MAX_BYTES"]


def check_address_budget(email: str) -> None:
    """At most TICKETS_PER_ADDRESS_PER_HOUR new tickets (each sends an email) for one address: 429 beyond.

    The per-client rate limit cannot stop many clients mailing one victim;
    this caps what any address receives.
    """
    cap = int(current_app.config["TICKETS_PER_ADDRESS_PER_HOUR"])
    if store().created_since(email, db.utcnow() - dt.timedelta(hours=1)) >= cap:
        raise ApiError(429, f"At most {cap} new tickets an hour for one email address; please try again later.")


def create_with_files(new: NewTicket, uploads: list) -> tuple[Ticket, str]:
    """Store the files, then the ticket; if the ticket fails the files go too."""
    check_address_budget(new.email)
    folder, max_files, max_bytes = _file_limits()
    files = attachments.store(uploads, folder, max_files, max_bytes)
    try:
        return store().create(new, files)
    except BaseException:
        attachments.discard(files, folder)
        raise


def apply_with_files(ticket: Ticket, action: str, message: str | None, uploads: list) -> Ticket:
    folder, max_files, max_bytes = _file_limits()
    files = attachments.store(uploads, folder, max_files, max_bytes)
    try:
        return store().apply(ticket.number, action, message=message, files=files)
    except BaseException:
        attachments.discard(files, folder)
        raise


def summary(ticket: Ticket) -> dict:
    """What a ticket list shows of one ticket."""
    keys = ("number", "subject", "status", "resolution", "priority", "lang", "created_at", "updated_at", "closed_at")
    snapshot = ticket.snapshot()
    return {key: snapshot[key] for key in keys}


def escalate(answer, email: str, name: str | None, country: str | None) -> dict:
    """A ticket for a question the assistant could not answer; what the chat shows of it."""
    question = answer.question
    subject = " ".join(question.split())
    subject = subject if len(subject) <= 120 else subject[:119].rstrip() + "…"
    new = NewTicket(
        email=email, subject=subject, description=question, lang=answer.lang, name=name, country=country,
        question=question, detected_lang=answer.detected_lang,
        articles_tried=tuple({"article_id": c.article_id, "title": c.title, "confidence": c.confidence}
                             for c in answer.candidates),
    )
    check_address_budget(email)
    ticket, reference = store().create(new)
    return {"number": ticket.number, "reference": reference, "status": ticket.status, "lang": ticket.lang}
