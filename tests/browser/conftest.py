"""Browser fixtures: the app served for real on 127.0.0.1, Debian's Chromium driven by Playwright.

Without /usr/bin/chromium (or without the playwright package) every browser
test is *skipped* with a message saying how to enable it.  Each test leaves a
desktop (1280x800) and a phone (360x740) screenshot in ``screenshots/`` at
the repository root, fails if the page logged a console error, and checks
that at 360 px the page itself does not scroll (only the conversation does)
and nothing sticks out of a message.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from assistant import create_app
from assistant.tickets.mail import outgoing as notifications
from tests.assistant.support import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = Path(os.environ.get("PROCUREE_CHROMIUM", "/usr/bin/chromium"))  # Debian's package; another path for other systems
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
ENABLE = ("to run them: apt-get install -y chromium fonts-noto-cjk, then pip install -e '.[test]' "
          "(Playwright drives /usr/bin/chromium; never run `playwright install`)")
AGENT_TOKEN = "browser-agent-token"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# As the chat does after a new message: a tall one from its top, a short one at the bottom.
SHOW_LAST = """() => {
  const box = document.getElementById("scroller"), last = [...document.querySelectorAll(".msg")].pop();
  if (box && last) last.scrollIntoView({block: last.offsetHeight > box.clientHeight ? "start" : "end", behavior: "instant"});
}"""


# How far the page itself scrolls sideways and down, and what sticks out of a box (the chat's message bubbles).
OVERFLOW = """(boxes) => {
  const root = document.documentElement, spilled = [];
  document.querySelectorAll(boxes).forEach((bubble) => {
    const edge = bubble.getBoundingClientRect().right + 1;
    bubble.querySelectorAll("*").forEach((el) => {
      const box = el.getBoundingClientRect();
      if (box.width && box.right > edge) spilled.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
    });
  });
  return [root.scrollWidth - root.clientWidth, root.scrollHeight - root.clientHeight, spilled];
}"""


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests skipped: {CHROMIUM} is missing; {ENABLE}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"browser tests skipped: the playwright package is missing; {ENABLE}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Server:
    """One app on 127.0.0.1 in a thread, with what tests need from behind the page."""

    def __init__(self, instance: Path, built_index: Path, **config):
        self.app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "TESTING": True,
                               "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0, "RELOAD_ON_SIGHUP": False,
                               "AGENT_TOKEN": AGENT_TOKEN, **config})
        self.http = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.http.shutdown()
        self.app.extensions["db"].dispose()

    def session_code(self, email: str) -> str:
        """The last one-time code mailed to ``email`` (mail stays in the table without SMTP)."""
        mails = notifications.pending(self.app.extensions["db"], self.app.config["MAIL_KEY"], email)
        body = [mail for mail in mails if mail.kind == "session_code"][-1].body  # bodies are sealed in the table
        return re.search(r"\b(\d{6})\b", body).group(1)

    def agent(self, number: str, action: str, message: str) -> dict:
        """An agent acting on a ticket through the agent API, with the bearer token."""
        client = self.app.test_client()
        response = client.post(f"/api/v1/agent/tickets/{number}/{action}", json={"message": message, "agent": "mina"},
                               headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture(scope="session")
def portal_port() -> int:
    """The port of the 'supplier portal' that embeds the widget from another origin."""
    return free_port()


@pytest.fixture(scope="session")
def server(built_index, tmp_path_factory, portal_port):
    running = Server(tmp_path_factory.mktemp("chat-instance"), built_index,
                     EMBED_ORIGINS=[f"http://localhost:{portal_port}"])
    yield running
    running.stop()


@pytest.fixture
def make_server_with(built_index, tmp_path):
    """Another server with its own settings (e.g. a payments provider), stopped after the test."""
    started = []

    def make(**config) -> Server:
        started.append(Server(tmp_path / f"instance{len(started)}", built_index, **config))
        return started[-1]

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def pages(request, browser):
    """Open pages (desktop unless told; optionally with a browser locale); each is screenshotted and checked afterwards.

    A page whose document is meant to scroll down (``scrolls``: the editors' pages, unlike the chat) is
    checked for sideways scrolling only, and ``boxes`` names what nothing may stick out of.  The browser
    logs every HTTP error a script receives; ``statuses`` are the ones the page is expected to handle.
    """
    opened: list[tuple[object, object, list[str], bool, str]] = []

    def open_page(locale: str | None = None, viewport: dict = DESKTOP, scrolls: bool = False, boxes: str = ".bubble",
                  statuses: tuple[int, ...] = ()):
        context = browser.new_context(viewport=viewport, **({"locale": locale} if locale else {}))
        page = context.new_page()
        errors: list[str] = []
        expected = tuple(f"status of {status} " for status in statuses)  # answers the page handles, e.g. 409
        page.on("console", lambda message: message.type == "error" and not any(e in message.text for e in expected)
                and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.on("dialog", lambda dialog: (errors.append(f"dialog opened: {dialog.message}"), dialog.dismiss()))
        opened.append((context, page, errors, scrolls, boxes))
        return page

    yield open_page
    problems = []
    for number, (context, page, errors, scrolls, boxes) in enumerate(opened):
        if not page.is_closed():
            sideways, down, spilled = screenshots(page, request.node.name + (f"-{number + 1}" if number else ""), boxes)
            if sideways > 0 or (down > 0 and not scrolls):
                problems.append(f"at 360 px the page itself scrolls: {sideways}px sideways, {down}px down")
            if spilled:
                problems.append(f"at 360 px these stick out of their box: {spilled[:5]}")
        problems += errors
        context.close()
    assert not problems, f"console errors or layout problems: {problems}"


@pytest.fixture
def page(pages):
    return pages()


def screenshots(page, name: str, boxes: str = ".bubble") -> tuple[int, int, list[str]]:
    """Desktop and phone screenshots of the page as the test left it; then the phone layout's overflow (OVERFLOW)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.wait_for_timeout(50)  # let the layout settle at the new width
        for frame in page.frames:  # the widget's chat is in an iframe
            try:
                frame.evaluate(SHOW_LAST)
            except Exception:  # a frame the browser refused to load
                pass
        page.screenshot(path=str(SCREENSHOTS / f"{safe}-{label}.png"))
    return tuple(page.evaluate(OVERFLOW, boxes))
