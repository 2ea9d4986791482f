"""The editors' page: gaps, article statistics and a chart, behind the admin token.

Editors sign in once, by name and password (``editors.accounts``) or with
ADMIN_TOKEN; a signed session cookie then lets
the page read ``/api/v1/admin/report`` (read-only: reloading still needs the
token as a bearer header).  The page is static HTML and a script from
``static/``; every value it shows is inserted as text.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from ..auth import EDITOR_SESSION, count_staff_failure, editor_session_valid, open_editor_session, token_matches
from ..editors import accounts
from ..errors import ApiError

bp = Blueprint("editors", __name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@bp.after_request
def secure(response):
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.get("/editors")
def page():
    if not editor_session_valid():
        return render_template("editors_login.html", failed=False), 401
    return render_template("editors.html")


@bp.post("/editors/login")
def login():
    """Sign in as a named editor (name and password) or with ADMIN_TOKEN; wrong attempts are throttled per client."""
    name, password, token = (request.form.get(key, "") for key in ("name", "password", "token"))
    editor = accounts.verify(current_app.extensions["db"], name, password) if name and password else None
    if editor is None and not (token and token_matches("ADMIN_TOKEN", token)):
        try:
            count_staff_failure("editors' sign-in")
        except ApiError as exc:
            return render_template("editors_login.html", failed=True, throttled=True), 429, exc.headers
        return render_template("editors_login.html", failed=True), 401
    open_editor_session(editor)
    return redirect(url_for("editors.page"), code=303)


@bp.post("/editors/logout")
def logout():
    session.pop(EDITOR_SESSION, None)
    return redirect(url_for("editors.page"), code=303)
