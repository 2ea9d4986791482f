"""POST /api/v1/feedback: was this answer helpful?  A "no" lets the chat offer a ticket."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .. import db, questions
from ..errors import ApiError
from ..limits import ask_limit, limiter
from ..validation import json_body, text_field

bp = Blueprint("feedback", __name__, url_prefix="/api/v1")
MAX_COMMENT = 1000


@bp.post("/feedback")
@limiter.limit(ask_limit)
def give_feedback():
    data = json_body()
    question_id = text_field(data, "question_id", 64, required=True)
    helpful = data.get("helpful")
    if not isinstance(helpful, bool):
        raise ApiError(422, "'helpful' must be true or false.", field="helpful")
    comment = text_field(data, "comment", MAX_COMMENT)
    recorded = questions.add_feedback(db.engine(), question_id, helpful, comment)
    if recorded is None:
        raise ApiError(404, "No such question; it may be older than the retention period.")
    return jsonify({
        "question_id": recorded.question_id,
        "helpful": recorded.helpful,
        "article_id": recorded.article_id,
        "lang": recorded.lang,
        "offer_ticket": recorded.offer_ticket,
    }), 201
