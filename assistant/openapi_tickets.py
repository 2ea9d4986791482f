"""The ticket, session and agent routes in the OpenAPI document (added to ``openapi.PATHS``)."""
from __future__ import annotations

from indexer.languages import CODES

from .openapi import ERRORS, PATHS, SCHEMAS, _error_response, _json
from .tickets.lifecycle import PRIORITIES, STATUSES

NS = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
STRINGS = {"type": "array", "items": {"type": "string"}}  # in responses
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^CS[0-9]{7}$"}}
KEY = {"name": "X-Ticket-Key", "in": "header", "required": False, "schema": {"type": "string"},
       "description": "The reference code; not needed with a supplier session for the ticket's address."}
NOT_FOUND = _error_response("Unknown number, or wrong or missing key: the same answer")
CONFLICT = _error_response("The ticket's status does not allow this (a closed ticket: open a new one)")
UNAUTHORISED = _error_response("Missing or wrong credentials")
AGENT_AUTH = "Needs the header Authorization: Bearer <AGENT_TOKEN>."

SUMMARY_KEYS = ("number", "subject", "status", "resolution", "priority", "lang", "created_at", "updated_at", "closed_at")
TICKET = {
    "number": {"type": "string", "pattern": "^CS[0-9]{7}$"},
    "email": {"type": "string"},
    "name": NS, "supplier_name": NS, "supplier_number": NS, "country": NS, "category": NS,
    "lang": {"type": "string", "enum": list(CODES)},
    "subject": {"type": "string"}, "description": {"type": "string"},
    "references": {"type": "object", "properties": {"invoice_numbers": STRINGS, "po_numbers": STRINGS}},
    "priority": {"enum": list(PRIORITIES)},
    "status": {"enum": list(STATUSES)},
    "resolution": {"enum": ["accepted", "auto_closed", "closed_by_agent", None]},
    "question": {**NS, "description": "The question the assistant could not answer"},
    "detected_lang": NS,
    "articles_tried": {"type": "array", "items": {"$ref": "#/components/schemas/Candidate"}},
    "previous_number": NS,
    "created_at": TIME, "updated_at": TIME, "solution_proposed_at": NS, "closed_at": NS,
    "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
}

SCHEMAS.update({
    "Attachment": {"type": "object", "required": ["id", "filename", "type", "size"], "properties": {
        "id": {"type": "integer"}, "filename": {"type": "string"}, "type": {"enum": ["pdf", "png", "jpg", "csv", "xlsx", "docx", "txt"]},
        "content_type": {"type": "string"}, "size": {"type": "integer"}, "sha256": {"type": "string"}}},
    "HistoryEntry": {"type": "object", "required": ["kind", "actor", "at", "status_to"], "properties": {
        "kind": {"type": "string"}, "actor": {"type": "string"}, "at": TIME,
        "status_from": NS, "status_to": {"enum": list(STATUSES)}, "message": NS,
        "via": {"enum": ["email", None], "description": "email: the change arrived by mail; null: the web or the API"}}},
    "TicketSnapshot": {"type": "object", "required": list(TICKET), "properties": TICKET},
    "Ticket": {"type": "object", "required": [*TICKET, "history"], "properties": {
        **TICKET, "history": {"type": "array", "items": {"$ref": "#/components/schemas/HistoryEntry"}}}},
    "TicketCreated": {"allOf": [{"$ref": "#/components/schemas/Ticket"}, {
        "required": ["reference"], "properties": {"reference": {"type": "string", "minLength": 10}}}]},
    "TicketSummaries": {"type": "object", "required": ["email", "tickets"], "properties": {
        "email": {"type": "string"}, "tickets": {"type": "array", "maxItems": 5, "items": {
            "type": "object", "required": list(SUMMARY_KEYS), "properties": {k: TICKET.get(k, NS) for k in SUMMARY_KEYS}}}}},
    "AgentTicketList": {"type": "object", "required": ["total", "limit", "offset", "tickets"], "properties": {
        "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "tickets": {"type": "array", "items": {"$ref": "#/components/schemas/TicketSnapshot"}}}},
    "SessionCodeSent": {"type": "object", "required": ["sent", "expires_in"], "properties": {
        "sent": {"const": True}, "expires_in": {"type": "integer"}}},
    "Session": {"type": "object", "required": ["email", "expires_at"], "properties": {
        "email": {"type": "string"}, "expires_at": TIME}},
})


def _op(summary: str, ok: str, schema: str | None, body: str | None = None, status: str = "200", **errors) -> dict:
    """An operation; ``body`` names its request in ``contract.BODIES`` (openapi.document adds it)."""
    operation = {"summary": summary, "responses": {status: {"description": ok, **({"content": _json(schema)} if schema else {})}}}
    if body:
        operation["x-body"] = body
    operation["responses"].update(errors)
    return operation


def _supplier(summary: str, body: str | None, **errors) -> dict:
    return {**_op(summary, "The ticket and its history", "Ticket", body, **errors), "parameters": [NUMBER, KEY]}


def _agent(summary: str, body: str | None, **extra) -> dict:
    operation = _op(summary, "The ticket and its history", "Ticket", body, **{
        "401": UNAUTHORISED, "404": _error_response("No such ticket"), "409": CONFLICT})
    return {**operation, "parameters": [NUMBER], "description": AGENT_AUTH, "security": [{"agentToken": []}], **extra}


HTML = {"description": "An HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
STALE = {**HTML, "description": "An HTML page: the link no longer matches the ticket"}
MISSING_COMMENT = {**HTML, "description": "An HTML page: a rejection needs a comment"}
DECISION = {"parameters": [NUMBER, {"name": "token", "in": "query", "required": True, "schema": {"type": "string"}}]}

PATHS.update({
    "/api/v1/tickets": {
        "post": {**_op("Raise a ticket (JSON, or multipart/form-data with attachments)", "Created", "TicketCreated",
                       "NewTicket", status="201", **{"429": ERRORS["429"]}), "x-multipart": True},
        "get": _op("The 5 most recent tickets of the address proven in this session", "Tickets", "TicketSummaries",
                   **{"401": UNAUTHORISED}),
    },
    "/api/v1/tickets/{number}": {"get": _supplier("A ticket and its history", None, **{"404": NOT_FOUND})},
    "/api/v1/tickets/{number}/reply": {"post": {**_supplier("Add information (JSON, or multipart with attachments)", "Reply",
                                                            **{"404": NOT_FOUND, "409": CONFLICT, "429": ERRORS["429"]}),
                                                "x-multipart": True}},
    "/api/v1/tickets/{number}/accept": {"post": {**_supplier("Accept the proposed solution; the ticket closes", "Comment",
                                                             **{"404": NOT_FOUND, "409": CONFLICT, "429": ERRORS["429"]}),
                                                 "x-optional-body": True}},
    "/api/v1/tickets/{number}/reject": {"post": _supplier("Reject the proposed solution with a comment; it reopens",
                                                          "RequiredComment",
                                                          **{"404": NOT_FOUND, "409": CONFLICT, "429": ERRORS["429"]})},
    "/api/v1/session/code": {"post": _op("Email a one-time 6-digit code", "Sent", "SessionCodeSent", "SessionCode",
                                         status="202", **{"429": ERRORS["429"]})},
    "/api/v1/session": {
        "post": _op("Trade the code for a session cookie", "Session opened", "Session", "SessionOpen",
                    **{"401": UNAUTHORISED, "429": ERRORS["429"]}),
        "delete": {"summary": "End the session", "responses": {"204": {"description": "Ended"}}},
    },
    "/api/v1/agent/tickets": {"get": {
        **_op("Tickets, business-critical first then oldest first", "Tickets", "AgentTicketList",
              **{"401": UNAUTHORISED}),
        "description": AGENT_AUTH, "security": [{"agentToken": []}], "x-query": "AgentTicketsQuery"}},
    "/api/v1/agent/tickets/{number}": {"get": _agent("A ticket with its history", None)},
    "/api/v1/agent/tickets/{number}/priority": {"post": _agent("Set the priority", "Priority")},
    "/api/v1/agent/tickets/{number}/request-info": {"post": _agent("Ask the supplier for information", "AgentMessage")},
    "/api/v1/agent/tickets/{number}/propose-solution": {"post": _agent("Propose a solution", "AgentMessage")},
    "/api/v1/agent/tickets/{number}/close": {"post": _agent("Close the ticket", "AgentNote", **{"x-optional-body": True})},
    "/api/v1/agent/tickets/{number}/attachments/{attachment_id}": {"get": {
        "summary": "Download an attachment", "description": AGENT_AUTH, "security": [{"agentToken": []}],
        "parameters": [NUMBER, {"name": "attachment_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "The file, as a download"}, "401": UNAUTHORISED, "404": _error_response("No such file")}}},
    "/tickets/{number}/accept": {"get": {"summary": "Emailed link: confirm accepting", **DECISION, "responses": {"200": HTML, "409": STALE}},
                                 "post": {"summary": "Accept (form post from that page)", **DECISION, "responses": {"200": HTML, "409": STALE}}},
    "/tickets/{number}/reject": {"get": {"summary": "Emailed link: confirm rejecting", **DECISION, "responses": {"200": HTML, "409": STALE}},
                                 "post": {"summary": "Reject with a comment (form post)", **DECISION,
                                          "responses": {"200": HTML, "409": STALE, "422": MISSING_COMMENT}}},
})

# --- mail in: the inbound endpoint and the agents' review list --------------------------------

INBOUND_AUTH = "Needs the header Authorization: Bearer <INBOUND_TOKEN>."
MAIL_ID = {"name": "mail_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SCHEMAS.update({
    "InboundMail": {"type": "object", "required": ["id", "received_at", "via", "state"], "properties": {
        "id": {"type": "integer"}, "received_at": TIME, "via": {"enum": ["http", "smtp", "lmtp", "imap"]},
        "state": {"enum": ["received", "applied", "review", "automated", "declined", "dismissed"],
                  "description": "received: stored, not processed yet; review: waits for an agent (see reason)"},
        "reason": {**NS, "description": "no_ticket, unknown_ticket, no_reference_code, sender_not_ticket_address, "
                                        "awaiting_decision, ticket_closed, reject_without_comment, stale_decision, "
                                        "nothing_new, auto_reply, bounce, ..."},
        "from": NS, "subject": NS, "text": {**NS, "description": "The new text, without quotes and signature"},
        "ticket_number": NS, "action": NS, "error": NS}},
    "InboundList": {"type": "object", "required": ["total", "limit", "offset", "emails"], "properties": {
        "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "emails": {"type": "array", "items": {"$ref": "#/components/schemas/InboundMail"}}}},
    "InboundReceipt": {"type": "object", "required": ["id", "duplicate", "state"], "properties": {
        "id": {"type": "integer"}, "duplicate": {"type": "boolean"}, "state": {"type": "string"}, "reason": NS,
        "ticket_number": NS}},
})


def _review(summary: str, body: str | None = None, **extra) -> dict:
    operation = _op(summary, "The received mail", "InboundMail", body, **{
        "401": UNAUTHORISED, "404": _error_response("No such mail (or ticket)"),
        "409": _error_response("The mail no longer waits for review, or the ticket takes no reply")})
    return {**operation, "parameters": [MAIL_ID], "description": AGENT_AUTH, "security": [{"agentToken": []}], **extra}


PATHS.update({
    "/api/v1/inbound/email": {"post": {
        "summary": "Receive a supplier's email (raw RFC 5322, as a provider's inbound webhook or a Postfix pipe sends it)",
        "description": INBOUND_AUTH + " Answers 202 once the message is stored; the same Message-ID again is a duplicate.",
        "requestBody": {"required": True, "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary", "minLength": 1}}}},
        "responses": {"202": {"description": "Stored (and processed, with INBOUND_PROCESS_AT_ONCE)",
                              "content": _json("InboundReceipt")},
                      "400": _error_response("Empty body"), "401": UNAUTHORISED, "413": ERRORS["413"],
                      "415": _error_response("Not message/rfc822")}}},
    "/api/v1/agent/inbound": {"get": {
        **_op("Received emails, oldest first; state=review is the review list", "Emails", "InboundList",
              **{"401": UNAUTHORISED}),
        "description": AGENT_AUTH, "security": [{"agentToken": []}], "x-query": "InboundQuery"}},
    "/api/v1/agent/inbound/{mail_id}": {"get": _review("One received email")},
    "/api/v1/agent/inbound/{mail_id}/apply": {"post": _review("Vouch for a reviewed email: it becomes the reply on a ticket",
                                                              "InboundApply")},
    "/api/v1/agent/inbound/{mail_id}/dismiss": {"post": _review("Take an email off the review list", "AgentNote",
                                                                **{"x-optional-body": True})},
})
