"""The editors' and operators' API: which knowledge version serves, and reloading it."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from indexer import KnowledgeError
from indexer.gaps import parse_since
from indexer.languages import CODES

from .. import db, questions
from ..auth import bearer_token_valid, editor_session_valid
from ..contract import read_query
from ..errors import ApiError
from ..knowledge import Knowledge, knowledge, retriever
from ..reports import report as build_report

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")


@bp.before_request
def require_admin():
    """The admin token as a bearer header; the editors' page session may only read (GET)."""
    if bearer_token_valid("ADMIN_TOKEN"):
        return
    if request.method == "GET" and editor_session_valid():
        return
    raise ApiError(401, "This API needs 'Authorization: Bearer <ADMIN_TOKEN>'.")


@bp.get("/report")
def report():
    """Gaps clusters, per-article statistics and questions per day, for editors."""
    query = read_query("ReportQuery")
    try:
        since = parse_since(query["since"])
    except ValueError as exc:
        raise ApiError(400, str(exc), field="since") from None
    questions.question_log().flush()  # the report counts every question answered so far
    return jsonify(build_report(db.engine(), retriever(), since, query["lang"]) | {"languages": list(CODES)})


@bp.get("/status")
def status():
    return jsonify(status_json(knowledge()))


@bp.post("/reload")
def reload():
    """Validate the knowledge folder and swap it in; on problems keep serving the old version (422)."""
    held = knowledge()
    try:
        held.load(from_folder=True)
    except KnowledgeError as exc:
        raise ApiError(
            422,
            f"The knowledge folder has {len(exc.problems)} problem(s); still serving version {held.current().version}.",
            "invalid_knowledge",
            problems=[str(p) for p in exc.problems[:100]],
        ) from None
    return jsonify(status_json(held))


def status_json(held: Knowledge) -> dict:
    loaded = held.current()
    return {
        "version": loaded.version,
        "loaded_at": loaded.loaded_at.isoformat(timespec="seconds"),
        "source": loaded.source,
        "articles": len(loaded.retriever.articles),
        "languages": list(loaded.retriever.indexes),
        "semantic": loaded.retriever.semantic_index is not None,
        "errors": [str(p) for p in held.last_error[:100]],
        "error_at": held.last_error_at.isoformat(timespec="seconds") if held.last_error_at else None,
    }
