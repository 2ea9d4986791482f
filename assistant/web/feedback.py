"""POST /api/v1/feedback: was this answer helpful?  A "no" lets the chat offer a ticket."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .. import questions
from ..contract import read_body
from ..errors import ApiError
from ..limits import ask_limit, limiter
from ..validation import json_body

bp = Blueprint("feedback", __name__, url_prefix="/api/v1")


@bp.post("/feedback")
@limiter.limit(ask_limit)
def give_feedback():
    data = read_body("FeedbackRequest", json_body())
    recorded = questions.question_log().add_feedback(data["question_id"], data["helpful"], data.get("comment"))
    if recorded is None:
        raise ApiError(404, "No such question; it may be older than the retention period.")
    return jsonify({
        "question_id": recorded.question_id,
        "helpful": recorded.helpful,
        "article_id": recorded.article_id,
        "lang": recorded.lang,
        "offer_ticket": recorded.offer_ticket,
    }), 201
