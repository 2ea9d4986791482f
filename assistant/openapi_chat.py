"""The chat page, its widget and the payment-status routes in the OpenAPI document."""
from __future__ import annotations

from indexer.languages import CODES

from .openapi import PATHS, SCHEMAS, _error_response, _json

NS = {"type": ["string", "null"]}
HTML = {"text/html": {"schema": {"type": "string"}}}
UNAUTHORISED = _error_response("No supplier session: prove the email with /api/v1/session/code, then /api/v1/session")
LANG_QUERY = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
              "description": "Language of the chat (one of ours, or a browser tag such as fr-CA); default: Accept-Language"}

SCHEMAS.update({
    "PaymentsStatus": {"type": "object", "required": ["connected", "provider"], "properties": {
        "connected": {"type": "boolean"}, "provider": NS}},
    "Payment": {"type": "object", "required": [
        "supplier_number", "supplier_email", "invoice_number", "po_number", "amount", "currency", "status",
        "status_text", "due_date", "paid_date"], "properties": {
        "supplier_number": {"type": "string"}, "supplier_email": {"type": "string"},
        "invoice_number": NS, "po_number": NS,
        "amount": {"type": "string", "description": "As exported by the ERP, never recomputed"},
        "currency": {"type": "string"},
        "status": {"enum": ["paid", "open", "scheduled", "blocked", "cancelled", "other"]},
        "status_text": {"type": "string", "description": "The ERP's own status word"},
        "due_date": NS, "paid_date": NS}},
    "Payments": {"type": "object", "required": ["connected", "provider", "email", "invoice", "po", "payments"], "properties": {
        "connected": {"const": True}, "provider": {"type": "string"}, "email": {"type": "string"},
        "invoice": NS, "po": NS, "payments": {"type": "array", "items": {"$ref": "#/components/schemas/Payment"}}}},
    "ChatCatalog": {"type": "object", "required": ["lang", "strings", "countries", "language_names"], "properties": {
        "lang": {"enum": list(CODES)},
        "strings": {"type": "object", "additionalProperties": {"type": "string"}},
        "countries": {"type": "array", "description": "[code, name] pairs, sorted by name",
                      "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string"}}},
        "language_names": {"type": "object", "additionalProperties": {"type": "string"}}}},
})

PATHS.update({
    "/": {"get": {"summary": "The supplier chat (HTML)", "parameters": [LANG_QUERY],
                  "responses": {"200": {"description": "The chat page", "content": HTML}}}},
    "/embed": {"get": {
        "summary": "The chat for widget.js's iframe; framed only by EMBED_ORIGINS (CSP frame-ancestors)",
        "parameters": [LANG_QUERY, {"name": "country", "in": "query", "required": False, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The chat page", "content": HTML}}}},
    "/widget.js": {"get": {"summary": "The launcher script for a supplier portal: <script src=\".../widget.js\" data-lang=\"fr\">",
                           "responses": {"200": {"description": "JavaScript",
                                                 "content": {"text/javascript": {"schema": {"type": "string"}}}}}}},
    "/chat/catalog/{lang}.json": {"get": {
        "summary": "The chat's strings, country names and language names in one language",
        "parameters": [{"name": "lang", "in": "path", "required": True, "schema": {"enum": list(CODES)}}],
        "responses": {"200": {"description": "The catalogue", "content": _json("ChatCatalog")},
                      "404": _error_response("Not one of the six languages")}}},
    "/api/v1/payments/status": {"get": {
        "summary": "Whether payment/PO status lookup is connected to an ERP (no session needed)",
        "responses": {"200": {"description": "Connected or not", "content": _json("PaymentsStatus")}}}},
    "/api/v1/payments": {"get": {
        "summary": "Payment records of the supplier proven in this session, by invoice and/or PO number",
        "description": "Needs the supplier session cookie. Only records of the proven email are ever returned.",
        "x-query": "PaymentsQuery",
        "responses": {
            "200": {"description": "The matching records (possibly none)", "content": _json("Payments")},
            "401": UNAUTHORISED,
            "422": _error_response("Neither invoice nor po given"),
            "429": _error_response("Too many requests; see Retry-After"),
            "503": _error_response("not_connected: no payments provider; payments_unavailable: it cannot answer now"),
        }}},
})
