"""GET /api/v1/openapi.json: the API described for other tools."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..openapi import document

bp = Blueprint("docs", __name__)


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(document(current_app.config))
