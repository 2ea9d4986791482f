"""The editors' and operators' API: which knowledge version serves, and reloading it."""
from __future__ import annotations

from flask import Blueprint, jsonify

from indexer import KnowledgeError

from ..auth import require_bearer
from ..errors import ApiError
from ..knowledge import Knowledge, knowledge

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")
bp.before_request(require_bearer("ADMIN_TOKEN"))


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
        "errors": [str(p) for p in held.last_error[:100]],
        "error_at": held.last_error_at.isoformat(timespec="seconds") if held.last_error_at else None,
    }
