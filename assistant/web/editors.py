"""The editors' pages: the questions report, and the articles with their drafts, tries, publishing and history.

Editors sign in once, by name and password (``editors.accounts``) or with
ADMIN_TOKEN; a signed session cookie then lets the pages call
``/api/v1/admin/report`` and ``/api/v1/editor/``.  The pages are HTML with a
script from ``static/`` (the CSP allows no inline script); every value a
script shows is inserted as text, and an article's preview goes through
the chat's own sanitiser.  They speak the editor's language: ``?lang=``
chooses it for the session, else the browser's languages decide.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from indexer.articles import CATEGORIES, MAX_QUESTIONS
from indexer.languages import CODES, LANGUAGES

from .. import i18n
from ..auth import (EDITOR_SESSION, count_staff_failure, editor_session_valid, open_editor_session, signed_in_editor,
                    token_matches)
from ..editors import accounts
from ..errors import ApiError
from .chat import asset

bp = Blueprint("editors", __name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes a browser send "Origin: null" with the sign-in form
    "Cache-Control": "no-store",
}
PAGE_LANGUAGE = "editor_lang"  # in the session: the language the editor chose for the pages


@bp.after_request
def secure(response):
    response.headers.update(SECURITY_HEADERS)
    return response


def page_language() -> str:
    """?lang= if it names one of the six (kept for the session), else the session's, else the browser's."""
    asked = i18n.from_tag(request.args.get("lang"))
    if asked:
        session[PAGE_LANGUAGE] = asked
        return asked
    kept = session.get(PAGE_LANGUAGE)
    return kept if kept in LANGUAGES else i18n.best_language(list(request.accept_languages.values()))


def _render(template: str, status: int = 200, **values):
    lang = page_language()
    editor = signed_in_editor()
    boot = {"lang": lang, "strings": i18n.editor_strings(lang), "language_names": i18n.language_names(lang),
            "codes": list(CODES), "role": editor.role if editor else "admin", **values.pop("boot", {})}
    html = render_template(template, lang=lang, t=i18n.editor_strings(lang), boot=boot, editor=editor, asset=asset,
                           languages=[(code, LANGUAGES[code].native_name) for code in CODES], **values)
    return html, status


def _sign_in_page(failed: bool = False, throttled: bool = False, status: int = 401):
    next_page = request.values.get("next") or request.full_path.rstrip("?")
    return _render("editors_login.html", status, failed=failed, throttled=throttled, next_page=_safe_next(next_page))


def _safe_next(target: str | None) -> str:
    """Only a page of the editors' own, so a crafted link cannot send a signed-in editor elsewhere."""
    target = target or ""
    ours = target.startswith("/editors") and not target.startswith("/editors/log") and not any(
        mark in target for mark in ("//", "\\"))
    return target if ours else "/editors/articles"


@bp.get("/editors")
def page():
    if not editor_session_valid():
        return _sign_in_page()
    return _render("editors.html")


@bp.get("/editors/articles")
def articles():
    if not editor_session_valid():
        return _sign_in_page()
    return _render("editors_articles.html", boot={"view": "list", "categories": list(CATEGORIES)})


@bp.get("/editors/articles/new")
def new_article():
    """A new article; from a cluster of unanswered questions, prefilled with them in their language."""
    if not editor_session_valid():
        return _sign_in_page()
    lang = request.args.get("for", "")
    questions = [q.strip()[:500] for q in request.args.getlist("question") if q.strip()]
    questions = questions[:MAX_QUESTIONS]  # what one translation can hold
    prefill = {"lang": lang, "questions": questions} if lang in LANGUAGES and questions else None
    return _render("editors_articles.html", boot=_editing(None, prefill))


@bp.get("/editors/articles/<article_id>")
def edit_article(article_id: str):
    if not editor_session_valid():
        return _sign_in_page()
    return _render("editors_articles.html", boot=_editing(article_id, None))


def _editing(article_id: str | None, prefill: dict | None) -> dict:
    return {"view": "edit", "article_id": article_id, "prefill": prefill, "categories": list(CATEGORIES),
            "try_questions": int(current_app.config["EDITOR_TRY_QUESTIONS"])}


@bp.get("/editors/login")
def sign_in_page():
    """The sign-in page itself (200); the pages behind it answer 401 with the same form."""
    return _sign_in_page(status=200)


@bp.post("/editors/login")
def login():
    """Sign in as a named editor (name and password) or with ADMIN_TOKEN; wrong attempts are throttled per client."""
    name, password, token = (request.form.get(key, "") for key in ("name", "password", "token"))
    editor = accounts.verify(current_app.extensions["db"], name, password) if name and password else None
    if editor is None and not (token and token_matches("ADMIN_TOKEN", token)):
        try:
            count_staff_failure("editors' sign-in")
        except ApiError as exc:
            html, status = _sign_in_page(failed=True, throttled=True, status=429)
            return html, status, exc.headers
        return _sign_in_page(failed=True)
    lang = session.get(PAGE_LANGUAGE)
    open_editor_session(editor)
    if lang:
        session[PAGE_LANGUAGE] = lang
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.post("/editors/logout")
def logout():
    session.pop(EDITOR_SESSION, None)
    return redirect(url_for("editors.page"), code=303)
