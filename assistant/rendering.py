"""Markdown to HTML that is safe to put in a page.

Articles are Markdown written by editors; the chat shows them as HTML.
markdown-it renders with raw HTML disabled, then nh3 (ammonia) keeps only
an allow-list of tags and attributes, so nothing in an article can run.
"""
from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "h3", "h4", "blockquote", "a", "hr",
                "table", "thead", "tbody", "tr", "th", "td"}  # the chat's dom.js keeps the same list
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@functools.lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> str:
    """Render and sanitise; links keep only http(s) and mailto targets.

    Memoised: the same few hundred article bodies are rendered for every
    answer (~1 ms each), and a body is plain text, so a cache is exact.
    """
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
