"""The widget on a supplier portal of another origin: one script tag, a launcher, the chat in an iframe."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.i18n import strings
from tests.assistant.support import free_port

from .conftest import DESKTOP, screenshots
from .driver import expect

PORTAL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme supplier portal</title></head>
<body style="font-family: sans-serif; margin: 0; background: #fafafa">
<header style="background: #24323f; color: #fff; padding: 1rem 2rem"><strong>Acme</strong> supplier portal</header>
<main style="padding: 2rem"><h1>Announcements</h1><p>Questions about invoices or payments? Ask Procuree.</p></main>
<script src="{chat}/widget.js" data-lang="fr" data-country="FR"></script>
</body></html>"""


class Portal:
    """A 'supplier portal' on its own origin (localhost:<port>, not the chat's 127.0.0.1) serving one page."""

    def __init__(self, port: int, chat_url: str):
        page = PORTAL.format(chat=chat_url).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://localhost:{port}/"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def portal(server, portal_port):
    running = Portal(portal_port, server.url)  # the origin the server's EMBED_ORIGINS names
    yield running
    running.stop()


def test_widget_opens_the_chat_from_another_origin(page, portal):
    fr = strings("fr")
    page.goto(portal.url)
    launcher = page.locator("#procuree-launcher")
    expect(launcher).to_have_attribute("aria-label", fr["widget.open"])
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(page.locator("#procuree-frame")).to_be_visible()
    expect(launcher).to_have_attribute("aria-label", fr["widget.close"])
    frame = page.frame_locator("#procuree-frame")
    expect(frame.locator("html")).to_have_attribute("lang", "fr")
    frame.get_by_label(fr["identify.email"]).fill("claire@fournisseur.example")
    frame.get_by_label(fr["identify.name"]).fill("Claire Martin")
    frame.get_by_role("button", name=fr["identify.submit"]).click()
    expect(frame.get_by_label(fr["setup.country"])).to_have_value("FR")  # data-country
    frame.get_by_role("button", name=fr["setup.continue"]).click()
    expect(frame.locator(".menu-option").first).to_be_visible()
    # Another site's iframe gets no SameSite=Lax session cookie: the chat says so before mailing a code.
    frame.locator(".menu-option[data-menu=tickets]").click()
    frame.get_by_role("button", name=fr["tickets.recent"]).click()
    expect(frame.locator(".msg.bot").last).to_contain_text(fr["code.cookies"])
    expect(frame.get_by_role("link", name=fr["app.new_window"]).last).to_have_attribute("href", "/?lang=fr")
    frame.locator("#say").press("Escape")  # Escape in the chat closes the panel, focus returns to the launcher
    expect(page.locator("#procuree-frame")).to_be_hidden()
    expect(launcher).to_be_focused()
    launcher.press("Enter")
    expect(page.locator("#procuree-frame")).to_be_visible()
    frame.get_by_role("button", name=fr["app.close"]).click()
    expect(page.locator("#procuree-frame")).to_be_hidden()
    launcher.click()  # open for the screenshots


def test_a_portal_not_in_embed_origins_cannot_frame_the_chat(browser, server, request):
    other = Portal(free_port(), server.url)  # a port EMBED_ORIGINS does not name
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(other.url)
        with page.expect_console_message(lambda message: "frame-ancestors" in message.text) as refused:
            page.locator("#procuree-launcher").click()
        assert "violates the following Content Security Policy directive" in refused.value.text
        assert page.frame_locator("#procuree-frame").locator("#log").count() == 0
        screenshots(page, request.node.name)
    finally:
        context.close()
        other.stop()
