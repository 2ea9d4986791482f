"""The accept and reject links of a "solution proposed" email.

GET shows a small page in the ticket's language with a confirm button (and,
to reject, a required comment); only the POST changes the ticket, because
mail scanners open links.  The link's signed token names the ticket, the
action and the proposal, so it stops working once the ticket has moved on.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template_string, request

from ..errors import ApiError
from ..tickets import Ticket
from ..tickets.mail.outgoing import read_decision, text
from ..tickets.store import store

bp = Blueprint("decisions", __name__, url_prefix="/tickets")

PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="icon" href="{{ url_for('static', filename='procuree.svg') }}" type="image/svg+xml">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
textarea{width:100%;min-height:8rem}button{font-size:1rem;padding:.5rem 1.5rem}.error{color:#a00}</style>
</head><body>
<h1>{{ title }}</h1>
{% if ticket_line %}<p>{{ ticket_line }}</p>{% endif %}
{% if message %}<p{% if error %} class="error"{% endif %}>{{ message }}</p>{% endif %}
{% if form %}<form method="post">
<input type="hidden" name="token" value="{{ token }}">
{% if action == "reject" %}<p><label for="comment">{{ t("page.comment") }}</label><br>
<textarea id="comment" name="comment" maxlength="5000" required></textarea></p>{% endif %}
<p><button type="submit">{{ t("page.confirm") }}</button></p>
</form>{% endif %}
</body></html>"""


@bp.route("/<number>/accept", methods=["GET", "POST"])
def accept(number: str):
    return decide(number, "accept")


@bp.route("/<number>/reject", methods=["GET", "POST"])
def reject(number: str):
    return decide(number, "reject")


def decide(number: str, action: str):
    """GET: the confirmation page; POST: do it, if the token still matches the ticket's proposal."""
    token = request.values.get("token", "")
    ticket = _ticket_for(token, number, action)
    lang = ticket.lang if ticket else "en"
    if ticket is None:
        return _page(lang, action, None, text(lang, "page.stale"), error=True, status=409)
    if request.method == "GET":
        return _page(lang, action, ticket, form=True, token=token)
    comment = (request.form.get("comment") or "").strip()[:5000] or None
    if action == "reject" and not comment:
        return _page(lang, action, ticket, text(lang, "page.comment_required"), error=True, form=True, token=token, status=422)
    try:
        store().apply(ticket.number, action, message=comment)
    except ApiError:  # moved on between the page and the click
        return _page(lang, action, ticket, text(lang, "page.stale"), error=True, status=409)
    done = "page.accepted" if action == "accept" else "page.rejected"
    return _page(lang, action, ticket, text(lang, done, number=ticket.number))


def _ticket_for(token: str, number: str, action: str) -> Ticket | None:
    """The ticket the token was made for, if it still awaits exactly that decision."""
    claims = read_decision(current_app.config["SECRET_KEY"], token)
    if not claims or claims.get("n") != number or claims.get("a") != action:
        return None
    ticket = store().get(number)
    if ticket is None or ticket.status != "solution_proposed" or ticket.solution_proposed_at is None:
        return None
    return ticket if ticket.solution_proposed_at.isoformat() == claims.get("p") else None


def _page(lang: str, action: str, ticket: Ticket | None, message: str | None = None, *, error: bool = False,
          form: bool = False, token: str = "", status: int = 200):
    def t(key: str, **fields) -> str:
        return text(lang, key, **fields)

    line = t("page.ticket", number=ticket.number, subject=ticket.subject) if ticket else None
    html = render_template_string(PAGE, lang=lang, title=t(f"page.{action}"), ticket_line=line, message=message,
                                  error=error, form=form, token=token, action=action, t=t)
    headers = {
        "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                                    "form-action 'self'; frame-ancestors 'none'"),
        # The URL carries the token: never sent to another site. Not "no-referrer": with it a browser
        # sends "Origin: null" with the form, which the cross-site check rightly refuses.
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    return html, status, headers
