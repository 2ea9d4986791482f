"""The supplier chat: the page at ``/``, the same page for iframes at ``/embed``, and ``/widget.js``.

The page is static HTML, CSS and JavaScript (``assistant/static``) that
talks to the public JSON API only; the server adds nothing but the first
catalogue (so the page speaks the browser's language from the first paint)
and strict security headers: a Content-Security-Policy with no inline
script or style, and ``frame-ancestors`` from ``EMBED_ORIGINS`` for the
embedded chat.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from indexer.languages import CODES, LANGUAGES

from .. import i18n
from ..config import as_list
from ..errors import ApiError
from ..contract import country_codes

bp = Blueprint("chat", __name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9.-]+(:\d{1,5})?$")
LABELS_PLACEHOLDER = "/*LABELS*/{}"
WIDGET_KEYS = ("widget.open", "widget.close", "widget.title")
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
          "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}")


def embed_origins(config) -> list[str]:
    """EMBED_ORIGINS checked: scheme://host[:port], a leading *. allowed; anything else stops the start."""
    found = [origin.rstrip("/").lower() for origin in as_list(config.get("EMBED_ORIGINS"))]
    bad = [origin for origin in found if not ORIGIN.match(origin)]
    if bad:
        raise ValueError(f"EMBED_ORIGINS: {', '.join(bad)} is not an origin like https://portal.example.com")
    return found


@bp.record_once
def _check_settings(state) -> None:
    embed_origins(state.app.config)  # fail at start-up, not on the first embed


@bp.get("/")
def page():
    return _chat_page(embed=False)


@bp.get("/embed")
def embed():
    """The chat for widget.js's iframe; only EMBED_ORIGINS (and this origin) may frame it."""
    return _chat_page(embed=True)


@bp.get("/chat/catalog/<lang>.json")
def catalog(lang: str):
    """One language's strings, country names and language names, for a language change in the page."""
    if lang not in LANGUAGES:
        raise ApiError(404, f"No catalogue for {lang!r}; use one of: {', '.join(CODES)}.")
    response = jsonify(i18n.catalog(lang))
    response.cache_control.public, response.cache_control.max_age = True, 3600
    return response


@bp.get("/widget.js")
def widget():
    """The launcher script a buyer's portal includes; its labels come from the catalogues."""
    labels = {lang: {key: i18n.strings(lang)[key] for key in WIDGET_KEYS} for lang in CODES}
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    response = Response(source.replace(LABELS_PLACEHOLDER, json.dumps(labels, ensure_ascii=False)),
                        mimetype="text/javascript")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # loaded by other sites' pages
    response.cache_control.public, response.cache_control.max_age = True, 300
    return response


def chosen_language() -> str:
    """?lang= (the widget's data-lang) if it names one of ours, else the browser's Accept-Language."""
    asked = i18n.from_tag(request.args.get("lang"))
    return asked or i18n.best_language(list(request.accept_languages.values()))


def asset(filename: str) -> str:
    """A static file's URL with its modification time, so a new release is never served from cache."""
    stamp = int((STATIC / filename).stat().st_mtime)
    return url_for("static", filename=filename, v=stamp)


def _chat_page(embed: bool) -> Response:
    lang = chosen_language()
    country = (request.args.get("country") or "").upper()
    boot = {
        "lang": lang,
        "catalog": i18n.catalog(lang),
        "languages": [{"code": code, "name": LANGUAGES[code].native_name} for code in CODES],
        "commands": i18n.commands(),
        "embed": embed,
        "cross_site_cookies": current_app.config.get("SESSION_COOKIE_SAMESITE") == "None",  # sessions work in any iframe
        "country": country if country in country_codes() else None,
        "urls": {"catalog": url_for("chat.catalog", lang="LANG"), "home": url_for("chat.page")},
    }
    html = render_template("chat.html", lang=lang, t=i18n.strings(lang), boot=boot, embed=embed, asset=asset)
    response = Response(html, mimetype="text/html")
    ancestors = ["'self'", *embed_origins(current_app.config)] if embed else ["'self'"]
    response.headers.update({
        "Content-Security-Policy": POLICY.format(ancestors=" ".join(ancestors)),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-cache",
        "Vary": "Accept-Language",
    })
    if not embed:
        response.headers["X-Frame-Options"] = "SAMEORIGIN"  # for browsers without frame-ancestors
    return response
