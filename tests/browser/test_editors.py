"""The editors' web editor in Chromium: the whole loop, from signing in to rolling back, on two servers.

Two servers share one SQLite database and nothing else (KNOWLEDGE_SOURCE=database);
the editor works on the first, a supplier asks the second.  The loop runs at
desktop and at phone width, in two of the page's languages.
"""
import time

import pytest
import yaml

from assistant import i18n
from assistant.editors import accounts, drafts
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, Server
from tests.browser.driver import expect  # the package may be missing: then the browser tests are skipped
from tests.conftest import DATA

ARTICLE = yaml.safe_load((DATA / "gift-shop-umbrellas.yaml").read_text(encoding="utf-8"))
QUESTION = "Can suppliers order branded umbrellas from the buyer's gift shop?"
PASSWORD = "correct horse battery staple"
BOXES = ".translation, .panel, .metadata, dialog"  # nothing may stick out of these at 360 px
DEADLINE_S = 90  # generous: a replica picks a new version up at its next poll (every second here)


@pytest.fixture
def servers(built_index, tmp_path):
    """Two servers sharing one database; tests ask for them before `pages`, so the pages are checked while they run."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    config = {"DATABASE_URL": url, "KNOWLEDGE_SOURCE": "database", "RELOAD_POLL_SECONDS": 1, "ANSWER_CACHE_SIZE": 0,
              "EDITOR_EVAL_SETS": str(DATA / "editor-labelled.yaml")}
    first = Server(tmp_path / "first", built_index, **config)
    second = Server(tmp_path / "second", built_index, **config)
    accounts.create(first.app.extensions["db"], "mina", PASSWORD, "publisher", by="test")
    yield first, second
    second.stop()
    first.stop()


def answered_by(server: Server, question: str) -> str | None:
    with server.app.test_client() as client:
        return client.post("/api/v1/ask", json={"question": question}).get_json().get("article_id")


def eventually(condition, what: str) -> None:
    """Wait for ``condition`` (a replica's poll, a background build) without betting on how long it takes."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {DEADLINE_S} s for {what}"
        time.sleep(0.2)


def sign_in(page, server: Server, lang: str, then: str) -> None:
    page.goto(f"{server.url}/editors/login?lang={lang}&next={then}")
    page.fill("#name", "mina")
    page.fill("#password", PASSWORD)
    page.click("main.login form[method=post] button[type=submit]")
    page.wait_for_url(f"**{then}")


def write_article(page, leave_empty: str) -> None:
    """Type the article's metadata and six translations, all but ``leave_empty``'s title."""
    page.fill("#article-id", ARTICLE["id"])
    page.select_option("#article-category", ARTICLE["category"])
    page.fill("#article-tags", ", ".join(ARTICLE["tags"]))
    for lang, translation in ARTICLE["translations"].items():
        if lang != leave_empty:
            page.fill(f"#{lang}-title", translation["title"])
        page.fill(f"#{lang}-questions", "\n".join(translation["questions"]))
        page.fill(f"#{lang}-body", translation["body"])


@pytest.mark.parametrize("viewport, lang", [(DESKTOP, "en"), (PHONE, "ko")], ids=["desktop-en", "phone-ko"])
def test_an_editor_writes_tries_publishes_and_rolls_back_an_article(servers, pages, viewport, lang):
    first, second = servers
    page = pages(viewport=viewport, scrolls=True, boxes=BOXES, statuses=(409,))  # 409: publishing needs a confirmation
    strings = i18n.editor_strings(lang)
    sign_in(page, first, lang, "/editors/articles/new")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("#save").text_content() == strings["edit.save"]

    # A validation error shows at its field as the editor types, and goes when it is fixed.
    write_article(page, leave_empty="ko")
    page.wait_for_selector("#ko-title[aria-invalid=true]")
    assert page.text_content("#error-translations-ko-title") == strings["problem.empty"].format(name="ko.title")
    assert page.locator("#en-title[aria-invalid=true]").count() == 0
    page.fill("#ko-title", ARTICLE["translations"]["ko"]["title"])
    page.wait_for_selector(".verdict-line.good")
    assert page.locator("#ko-title[aria-invalid=true]").count() == 0
    preview = page.locator(".translation[data-lang=en] .preview-card .article strong")
    assert preview.text_content() == "branded umbrellas"  # the Markdown rendered as the chat renders it

    page.click("#save")
    page.wait_for_selector(".status[data-event=saved]")
    assert page.url.endswith(f"/editors/articles/{ARTICLE['id']}")

    # Try: the draft answers the question the live knowledge cannot.
    page.fill("#try-questions", f"{QUESTION}\n供应商可以从礼品店订购雨伞吗？")
    page.click("#try-run")
    page.wait_for_selector("table.tried tbody tr")
    rows = page.locator("table.tried").first.locator("tbody tr")
    assert rows.count() == 2
    for row in range(2):
        assert ARTICLE["id"] in rows.nth(row).locator("td").nth(2).text_content()
        assert ARTICLE["id"] not in rows.nth(row).locator("td").nth(1).text_content()
    page.locator("section.try").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"editors-try-{lang}.png"))

    # Publish, confirming that a labelled question goes wrong: the second replica answers with it.
    assert answered_by(second, QUESTION) != ARTICLE["id"]
    page.click("#publish")
    page.fill("#publish-note", "umbrellas for suppliers")
    page.click("#confirm-ok")
    page.wait_for_selector("#confirm-body li")
    assert "Do you sell branded umbrellas in the gift shop?" in page.text_content("#confirm-body li")
    assert page.text_content("#confirm-ok") == strings["publish.anyway"]
    page.click("#confirm-ok")
    page.wait_for_selector(".status[data-event=published]")
    eventually(lambda: answered_by(second, QUESTION) == ARTICLE["id"], "the second replica to serve the article")
    page.locator("#article-heading").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"editors-editor-{lang}.png"))

    # History, then a rollback to before the article existed: gone on the second replica too.
    page.click("#show-history")
    page.wait_for_selector(".history li[data-revision='1']")
    assert page.locator(".history li[data-revision='1'] .note").text_content() == "umbrellas for suppliers"
    assert page.locator(".history li[data-revision='1'] pre.diff .add").count() >= 6
    page.locator(".history li[data-revision='0'] button").click()
    page.click("#confirm-ok")
    page.wait_for_selector(".status[data-event=rolled-back]")
    page.wait_for_selector(".history li[data-revision='2']")
    eventually(lambda: answered_by(second, QUESTION) != ARTICLE["id"], "the second replica to drop the article")
    assert ARTICLE["id"] not in first.app.extensions["knowledge"].current().retriever.articles


def test_write_an_article_for_a_cluster_of_unanswered_questions(servers, pages):
    """From "What nothing answered" to a new article prefilled with the cluster's questions in their language."""
    first, _ = servers
    unanswered = ["우산은 어디서 살 수 있나요?", "우산은 어디에서 살 수 있나요?"]
    with first.app.test_client() as client:
        for question in unanswered:
            client.post("/api/v1/ask", json={"question": question, "lang": "ko"})
    page = pages(scrolls=True, boxes=BOXES)
    sign_in(page, first, "fr", "/editors")
    page.wait_for_selector("#gaps li a.button-link")
    page.locator("#gaps-title").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "editors-report-fr.png"))
    page.click("#gaps li a.button-link")
    page.wait_for_url("**/editors/articles/new?**")
    written = page.input_value("#ko-questions").splitlines()
    assert sorted(written) == sorted(unanswered)
    assert page.input_value("#en-questions") == ""
    assert page.locator("h1").first.text_content() == i18n.editor_strings("fr")["app.title"]


def test_cjk_and_right_to_left_marks_keep_the_layout(servers, pages):
    """A long run of CJK without spaces and a right-to-left mark in the inputs: nothing spills at phone width."""
    first, _ = servers
    page = pages(viewport=PHONE, scrolls=True, boxes=BOXES)
    sign_in(page, first, "zh-Hant", "/editors/articles/csp-2fa-disable")
    page.wait_for_selector(".verdict-line.good")
    long_title = "供應商入口網站雙重驗證停用說明" * 8 + "\u200f(CSP)\u200f"
    page.fill("#zh-Hant-title", long_title)
    page.fill("#try-questions", "\u200fمرحبا 供應商" * 10)
    page.wait_for_selector(".translation[data-lang=zh-Hant] .preview-card .card-title")
    eventually(lambda: page.text_content(".translation[data-lang=zh-Hant] .card-title") == long_title, "the preview")


def test_a_change_to_one_translation_leaves_the_others_stale_until_checked(servers, pages):
    first, _ = servers
    page = pages(scrolls=True, boxes=BOXES)
    sign_in(page, first, "de", "/editors/articles/csp-2fa-disable")
    page.wait_for_selector(".verdict-line.good")
    assert page.locator(".translation.is-stale").count() == 0
    page.fill("#en-body", page.input_value("#en-body") + "\nAsk your administrator if the option is greyed out.\n")
    page.click("#save")
    page.wait_for_selector(".status[data-event=saved]")
    stale = sorted(page.locator(".translation.is-stale").evaluate_all("panels => panels.map(p => p.dataset.lang)"))
    assert stale == ["de", "fr", "ko", "zh-Hans", "zh-Hant"]
    page.click(".translation[data-lang=fr] .stale-marker + button")  # "Checked, still right"
    assert page.locator(".translation[data-lang=fr].is-stale").count() == 0
    assert page.locator(".status[data-event=saved]").count() == 0  # checking is a change to save
    page.click("#save")
    page.wait_for_selector(".status[data-event=saved]")
    content = drafts.get(first.app.extensions["db"], "csp-2fa-disable").content
    assert content["translations"]["fr"]["updated"] == content["translations"]["en"]["updated"] == content["updated"]
    assert content["translations"]["de"]["updated"] < content["updated"]  # still stale: nobody checked it


def test_the_article_list_searches_and_shows_titles_in_the_page_language(servers, pages):
    first, _ = servers
    page = pages(viewport=PHONE, scrolls=True, boxes=f"{BOXES}, table.articles tr")
    sign_in(page, first, "zh-Hans", "/editors/articles")
    served = first.app.extensions["knowledge"].current().retriever.articles
    expect(page.locator("table.articles tbody tr")).to_have_count(len(served))
    page.fill("input[name=q]", "2fa")
    expect(page.locator("table.articles tbody tr")).to_have_count(2)
    titles = page.locator("table.articles tbody tr td:first-child span.muted").all_text_contents()
    assert titles == [served[i].translations["zh-Hans"].title for i in ("csp-2fa-disable", "csp-2fa-enable")]
