"""The editors' JSON API, read side: the articles as served, in the YAML's shape, for the page and for scripts.

``/api/v1/editor/`` takes an editors' session (a named editor, or a sign-in
with ADMIN_TOKEN) or ``Authorization: Bearer <ADMIN_TOKEN>``.  An article
comes back in the shape of its YAML file (id, category, tags, updated, a
translation per language with title, questions, body, updated), with
``stale`` marking each translation older than the article.  A draft is
saved (``PUT drafts/<id>``) only when the indexer's validator passes it,
else 422 lists its problems by field; it can be tried against the live
knowledge, then published by a publisher; every change has its history and
can be rolled back.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify

from indexer.documents import article_data, check, stamped

from ..auth import bearer_token_valid, editor_session_valid, signed_in_editor
from ..contract import read_body, read_query
from ..editors import accounts, changes, drafts, history, trial
from ..errors import ApiError
from ..knowledge import retriever
from ..rendering import markdown_to_html
from ..validation import json_body

bp = Blueprint("editor_api", __name__, url_prefix="/api/v1/editor")


@bp.before_request
def signed_in_editor_or_token() -> None:
    if not (editor_session_valid() or bearer_token_valid("ADMIN_TOKEN")):
        raise ApiError(401, "Sign in at /editors, or send 'Authorization: Bearer <ADMIN_TOKEN>'.")


@bp.errorhandler(changes.ChangeError)
def change_refused(exc: changes.ChangeError):
    error = ApiError(exc.status, exc.message)
    return jsonify(error.to_dict()), error.status


@bp.get("/articles")
def list_articles():
    """Articles filtered by words of their id or titles (q), category, a language they miss, and staleness."""
    query = read_query("EditorArticlesQuery")
    served = retriever()
    found = [a for a in sorted(served.articles.values(), key=lambda a: (a.category, a.id)) if _matches(a, query)]
    page = found[query["offset"]:query["offset"] + query["limit"]]
    return jsonify({"version": served.version, "total": len(found), "limit": query["limit"], "offset": query["offset"],
                    "articles": [_summary(a) for a in page]})


@bp.get("/articles/<article_id>")
def get_article(article_id: str):
    article = retriever().articles.get(article_id)
    if article is None:
        raise ApiError(404, f"No article with id {article_id!r}.")
    return jsonify({**_summary(article), "translations": {lang: {
        "title": t.title, "questions": list(t.questions), "body": t.body, "updated": _date(t.updated),
        "stale": t.stale(article.updated)} for lang, t in article.translations.items()}})


def _matches(article, query: dict) -> bool:
    words = (query["q"] or "").lower().split()
    searchable = " ".join([article.id, *(t.title for t in article.translations.values())]).lower()
    return (all(word in searchable for word in words)
            and (not query["category"] or article.category == query["category"])
            and (not query["missing"] or query["missing"] not in article.translations)
            and (query["stale"] is None or bool(_stale(article)) == (query["stale"] == "true")))


def _stale(article) -> list[str]:
    return [lang for lang, t in article.translations.items() if t.stale(article.updated)]


def _summary(article) -> dict:
    english = article.translations.get("en") or next(iter(article.translations.values()))
    return {"id": article.id, "category": article.category, "tags": list(article.tags), "updated": _date(article.updated),
            "title": english.title, "titles": {lang: t.title for lang, t in article.translations.items()},
            "languages": sorted(article.translations), "stale": _stale(article)}


def _date(value) -> str | None:
    return value.isoformat() if value else None


# --- drafts, trying, publishing, history ---------------------------------------------------------


def _who() -> tuple[str, str]:
    """(name recorded with a change, role): a named editor, or "admin token" with the admin role."""
    editor = signed_in_editor()
    return (editor.name, editor.role) if editor else ("admin token", "admin")


def _require(role: str) -> str:
    name, held = _who()
    if not accounts.allows(held, role):
        raise ApiError(403, f"Only a {role} may do this; you are signed in as {held}.")
    return name


def _validated(article_id: str, data) -> tuple:
    """(article or None, content with its dates stamped, the problems at their fields) for ``data`` among the rest."""
    served = retriever().articles
    live = served.get(article_id)
    content = stamped(data, article_data(live) if live else None, dt.date.today())
    article, problems = check(content, article_id, served.values(), current_app.config["REQUIRED_LANGUAGES"].split())
    return article, content, [{"field": p.field, "message": p.message, "code": p.code, "args": p.args}
                              for p in problems]


def _checked(article_id: str, data) -> tuple:
    """The draft's article and content (dates stamped), or 422 with every problem at its field."""
    article, content, problems = _validated(article_id, data)
    if problems:
        raise ApiError(422, f"The article has {len(problems)} problem(s).", problems=problems)
    return article, content


def _draft_json(draft) -> dict:
    return {"article_id": draft.article_id, "content": draft.content, "base_revision": draft.base_revision,
            "saved_at": draft.saved_at.isoformat(), "saved_by": draft.saved_by}


@bp.get("/drafts")
def list_drafts():
    return jsonify({"drafts": [_draft_json(d) for d in drafts.listing(current_app.extensions["db"])]})


@bp.get("/drafts/<article_id>")
def get_draft(article_id: str):
    draft = drafts.get(current_app.extensions["db"], article_id)
    if draft is None:
        raise ApiError(404, f"No draft of {article_id!r}.")
    return jsonify(_draft_json(draft))


@bp.post("/drafts/<article_id>/check")
def check_draft(article_id: str):
    """The validator's problems and the chat's rendering of each body, as the editor types (nothing is saved)."""
    data = json_body()
    _, _, problems = _validated(article_id, data)
    translations = data.get("translations") if isinstance(data.get("translations"), dict) else {}
    preview = {lang: markdown_to_html(t["body"]) for lang, t in translations.items()
               if isinstance(t, dict) and isinstance(t.get("body"), str)}
    return jsonify({"problems": problems, "preview": preview})


@bp.put("/drafts/<article_id>")
def save_draft(article_id: str):
    """Save the draft when it passes the validator; 422 with the problems (nothing saved) when not."""
    name, _ = _who()
    _, content = _checked(article_id, json_body())
    engine = current_app.extensions["db"]
    held = drafts.get(engine, article_id)
    with engine.connect() as conn:
        base = held.base_revision if held else history.latest(conn, article_id)
    return jsonify(_draft_json(drafts.save(engine, article_id, content, base, name)))


@bp.delete("/drafts/<article_id>")
def discard_draft(article_id: str):
    with current_app.extensions["db"].begin() as conn:
        if not drafts.discard(conn, article_id):
            raise ApiError(404, f"No draft of {article_id!r}.")
    return "", 204


def _saved_draft(article_id: str):
    draft = drafts.get(current_app.extensions["db"], article_id)
    if draft is None:
        raise ApiError(404, f"No draft of {article_id!r}; save one first (PUT /api/v1/editor/drafts/{article_id}).")
    article, _ = _checked(article_id, draft.content)
    return draft, article


@bp.post("/drafts/<article_id>/try")
def try_draft(article_id: str):
    """The editor's questions, the labelled sets and the recent log, asked of the live knowledge and the draft's."""
    body = read_body("TryDraft", json_body())
    _, article = _saved_draft(article_id)
    app, live = current_app._get_current_object(), retriever()
    draft = trial.draft_retriever(app, live, article)
    budget = float(app.config["ASK_BUDGET_MS"]) / 1000
    asked = trial.compare(live, draft, [(q, None, None, "asked") for q in body.get("questions", ())], budget)
    labelled = trial.compare(live, draft, trial.labelled(app), budget) if body.get("sets", True) else []
    logged = trial.compare(live, draft, trial.logged(app), budget) if body.get("sets", True) else []
    return jsonify({"asked": [c.to_dict() for c in asked],
                    "labelled": _effect(labelled), "log": _effect(logged)})


def _effect(compared: list) -> dict:
    changed = [c for c in compared if c.changed]
    counts = {verdict: sum(c.verdict == verdict for c in changed) for verdict in ("better", "worse", "different")}
    return {"total": len(compared), **counts, "changes": [c.to_dict() for c in changed]}


@bp.post("/drafts/<article_id>/publish")
def publish_draft(article_id: str):
    """Publish the draft; a draft that makes a labelled question go wrong needs ``confirm``."""
    name = _require("publisher")
    body = read_body("PublishDraft", json_body())
    draft, article = _saved_draft(article_id)
    app, engine = current_app._get_current_object(), current_app.extensions["db"]
    with engine.connect() as conn:
        if history.latest(conn, article_id) != draft.base_revision:
            raise ApiError(409, "The article was published by someone else since this draft was started; "
                                "open the article again and redo the change on the new text.", "draft_outdated")
    if not body.get("confirm"):
        live = retriever()
        budget = float(app.config["ASK_BUDGET_MS"]) / 1000
        worse = [c for c in trial.compare(live, trial.draft_retriever(app, live, article), trial.labelled(app), budget)
                 if c.verdict == "worse"]
        if worse:
            raise ApiError(409, f"This draft makes {len(worse)} labelled question(s) go wrong; "
                                "publish again with confirm to do it anyway.", "confirm_needed",
                           worse=[c.to_dict() for c in worse])
    return _published(changes.publish(app, {article_id: article}, "publish", name, body.get("note") or ""))


def _published(change) -> tuple:
    return jsonify({"knowledge_version": change.knowledge_version, "action": change.action,
                    "revisions": change.revisions}), 200


@bp.get("/articles/<article_id>/history")
def article_history(article_id: str):
    """Each revision, newest first, with what it changed from the one before (a diff per translation)."""
    found = history.revisions(current_app.extensions["db"], article_id)
    if not found:
        if article_id not in retriever().articles:
            raise ApiError(404, f"No article with id {article_id!r}.")
        return jsonify({"article_id": article_id, "revisions": []})
    entries = []
    for newer, older in zip(found, [*found[1:], None]):
        entries.append({"revision": newer.revision, "action": newer.action, "at": newer.at.isoformat(),
                        "by": newer.by, "note": newer.note, "knowledge_version": newer.knowledge_version,
                        "exists": newer.content is not None,
                        "changes": history.changes(older.content if older else None, newer.content)
                        if older else None})
    return jsonify({"article_id": article_id, "revisions": entries})


@bp.post("/articles/<article_id>/rollback")
def rollback_article(article_id: str):
    """Publish an earlier revision's content again (revision 0 of a new article removes it)."""
    name = _require("publisher")
    body = read_body("RollbackArticle", json_body())
    engine = current_app.extensions["db"]
    target = history.get(engine, article_id, body["version"])
    if target is None:
        raise ApiError(404, f"{article_id!r} has no revision {body['version']}.")
    article = None
    if target.content is not None:
        article, _ = _checked(article_id, target.content)
    note = body.get("note") or f"back to revision {target.revision}"
    return _published(changes.publish(current_app._get_current_object(), {article_id: article}, "rollback", name,
                                      note))
