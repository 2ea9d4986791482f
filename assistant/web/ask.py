"""POST /api/v1/ask: a supplier's question in, an answer or an escalation out."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify

from indexer import Answer

from .. import questions
from ..contract import read_body
from ..knowledge import retriever, served
from ..limits import ask_limit, asks_with_email_budget, limiter
from ..rendering import markdown_to_html
from ..validation import json_body
from .tickets import escalate

bp = Blueprint("ask", __name__, url_prefix="/api/v1")


@bp.post("/ask")
@limiter.limit(ask_limit)
@asks_with_email_budget  # with an email an unanswered question becomes a ticket and an email
def ask():
    data = read_body("AskRequest", json_body())
    question, chosen, email = data["question"], data.get("lang"), data.get("email")
    name, country = data.get("name"), data.get("country")
    semantic, budget = bool(current_app.config["SEMANTIC"]), current_app.config["ASK_BUDGET_MS"] / 1000
    answer = served().answers.get((question, chosen, semantic),
                                  lambda: retriever().ask(question, chosen, budget=budget, semantic=semantic), budget)
    g.log_fields = {"lang": answer.lang, "answered": answer.answered, "outcome": answer.outcome}
    ticket = escalate(answer, email, name, country) if email and not answer.answered else None
    escalation = None if answer.answered or email else {"needs": ["email", "name"]}
    question_id = questions.question_log().record(
        answer,
        retriever().version,
        questions.supplier_key(current_app.config["SECRET_KEY"], email),
        ticket["number"] if ticket else None,
    )
    return jsonify(answer_json(answer, ticket=ticket, escalation=escalation) | {"question_id": question_id})


def answer_json(answer: Answer, ticket: dict | None, escalation: dict | None) -> dict:
    """The public shape of an answer; other tools read these field names."""
    return {
        "answered": answer.answered,
        "outcome": answer.outcome,
        "lang": answer.lang,
        "detected_lang": answer.detected_lang,
        "article_id": answer.article_id,
        "title": answer.title,
        "answer": answer.body,
        "answer_html": markdown_to_html(answer.body) if answer.body else None,
        "confidence": answer.confidence,
        "candidates": [
            {"article_id": c.article_id, "title": c.title, "confidence": c.confidence} for c in answer.candidates
        ],
        "suggestions": [
            {"article_id": c.article_id, "title": c.title, "confidence": c.confidence} for c in answer.suggestions
        ],
        "ticket": ticket,
        "escalation": escalation,
    }
