"""The supplier chat in a real browser: questions in several languages and scripts, language
changes, the always-available tools and typed commands, hostile input, the keyboard alone."""
import pytest

from assistant.i18n import strings

from .conftest import PHONE
from .driver import Chat, expect


def test_french_question_is_answered_in_french(pages, server):
    page = pages(locale="fr-FR")
    chat = Chat(page, server.url, "fr").open()
    expect(page.locator("html")).to_have_attribute("lang", "fr")  # from Accept-Language
    chat.identify("claire@fournisseur.example", "Claire Martin")
    chat.setup("FR")
    chat.choose("menu.ask")
    chat.say("Comment désactiver la double authentification ?")
    card = chat.answer_card()
    expect(card.locator(".card-title")).to_have_attribute("lang", "fr")
    expect(card.locator(".card-title")).to_contain_text("authentification à deux facteurs")
    expect(card.locator(".article")).to_contain_text("paramètres du compte")
    chat.button("answer.yes", card).click()
    expect(chat.last_bot()).to_contain_text(chat.t("answer.thanks"))


@pytest.mark.parametrize("locale, lang, question, title_part", [
    ("ko-KR", "ko", "연결 요청을 보내려면 어떻게 하나요?", "연결 요청"),
    ("zh-TW", "zh-Hant", "服務國家/地區是什麼意思？", "服務國家"),
], ids=["ko", "zh-Hant"])
def test_korean_and_traditional_chinese_questions_are_answered_in_their_language(pages, server, locale, lang, question, title_part):
    page = pages(locale=locale)
    chat = Chat(page, server.url, lang).open()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(chat.step().locator(f"input[type=radio][value='{lang}']")).to_have_count(0)  # not yet: identify first
    chat.identify("min@supplier.example", "김민수" if lang == "ko" else "陳怡君")
    expect(chat.step().locator(f"input[type=radio][value='{lang}']")).to_be_checked()
    chat.setup("KR" if lang == "ko" else "TW")
    chat.choose("menu.ask")
    chat.say(question)
    card = chat.answer_card()
    expect(card.locator(".card-title")).to_have_attribute("lang", lang)
    expect(card.locator(".card-title")).to_contain_text(title_part)
    chat.button("answer.no", card).click()  # "not helpful": the chat offers an issue
    expect(chat.step()).to_contain_text(chat.t("answer.sorry"))
    chat.button("menu.raise").click()
    expect(chat.step().get_by_label(chat.t("raise.subject"))).to_have_value(question)


def test_a_question_in_another_language_is_answered_in_it_with_an_offer_to_switch(page, server):
    chat = Chat(page, server.url, "en").start("jonas@lieferant.example", "Jonas Weber", "DE")
    chat.say("Wie schalte ich die Zwei-Faktor-Authentifizierung aus?")
    card = chat.answer_card()
    expect(card.locator(".card-title")).to_have_attribute("lang", "de")
    offer = page.locator(".msg.bot .notice").last
    expect(offer).to_contain_text(strings("de")["language.offer"].format(language="Deutsch"))
    offer.get_by_role("button", name=strings("de")["language.switch"].format(language="Deutsch")).click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#say")).to_have_attribute("placeholder", strings("de")["composer.placeholder"])


def test_changing_language_mid_chat_changes_every_label(page, server):
    chat = Chat(page, server.url, "en").start("ana@lima.example", "Ana Lima", "BR")
    chat.say("How can I turn on two-factor authentication?")
    chat.answer_card()
    page.get_by_role("button", name="Change language").click()
    chat.step().get_by_role("button", name="한국어").click()
    chat.lang = "ko"
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(chat.menu_option("menu.payments")).to_be_visible()
    ko = strings("ko")
    for key in ("tools.refresh", "tools.menu", "tools.language", "tools.country", "composer.send", "app.tagline"):
        expect(page.locator(".app").get_by_text(ko[key], exact=True).first).to_be_visible()
    expect(page.locator("#say")).to_have_attribute("placeholder", ko["composer.placeholder"])
    expect(page.locator("#log")).to_have_attribute("aria-label", ko["log.label"])
    # Nothing of the English interface is left anywhere, earlier messages included.
    shown = page.locator(".app").inner_text()
    english = {text for key, text in strings("en").items()
               if text != ko[key] and "{" not in text and not key.startswith("commands.") and len(text) > 3}
    assert not [text for text in english if text in shown]


def test_did_you_mean_shows_the_three_suggestions_and_none_of_these(page, server):
    """The API's suggestions (fixed here) become buttons; the article itself comes from the real API."""
    chat = Chat(page, server.url, "en").start("ana@lima.example", "Ana Lima", "BR")
    candidates = [{"article_id": "csp-2fa-enable", "title": "How do I turn on two-factor authentication (2FA)?", "confidence": 0.31},
                  {"article_id": "csp-2fa-disable", "title": "How do I turn off 2FA?", "confidence": 0.2},
                  {"article_id": "csp-add-user", "title": "How do I add a user?", "confidence": 0.12},
                  {"article_id": "csp-who-pays", "title": "Who pays my invoices?", "confidence": 0.05}]
    unanswered = {"answered": False, "outcome": "suggested", "lang": "en", "detected_lang": "en", "article_id": None,
                  "title": None, "answer": None, "answer_html": None, "confidence": 0.31, "candidates": candidates,
                  "suggestions": candidates[:3], "ticket": None,
                  "escalation": {"needs": ["email", "name"]}, "question_id": "fixed-question-id"}
    page.route("**/api/v1/ask", lambda route: route.fulfill(json=unanswered))
    chat.say("login problem")
    suggestions = chat.step().locator(".suggestions button")
    expect(suggestions).to_have_text([c["title"] for c in candidates[:3]])
    expect(chat.step().locator(".actions button").first).to_have_text("None of these: send my question to the STP Knowledge Center")
    suggestions.first.click()
    card = chat.answer_card()
    expect(card.locator(".card-title")).to_have_text("How do I turn on two-factor authentication (2FA)?")
    expect(card.locator(".article li").first).to_be_visible()


def test_xss_attempts_are_shown_as_text_never_run(page, server):
    chat = Chat(page, server.url, "en").start("eve@supplier.example", "Eve <b>Bold</b>", "GB")
    attempts = ['<script>window.__xss = 1</script>', '<img src=x onerror="window.__xss = 2">',
                '"><svg onload="window.__xss = 3">']
    for attempt in attempts:
        chat.say(attempt)
        expect(page.locator(".msg.user .said").last).to_have_text(attempt)
        expect(page.locator(".msg.bot").last).not_to_be_empty()
    expect(page.locator(".msg.user .said").first).to_have_text("Eve <b>Bold</b> · eve@supplier.example")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#log img:not(.avatar), #log script, #log svg[onload]").count() == 0


def test_tools_and_typed_commands_in_every_language(page, server):
    chat = Chat(page, server.url, "en").start("li@supplier.example", "Li Wei", "CN")
    for word in ("메뉴", "選單", "菜单", "Menü", "menu principal", "功能表"):
        chat.say(word)
        expect(page.locator(".msg.user .said").last).to_have_text(word)
        expect(chat.menu_option("menu.raise")).to_be_visible()
    page.get_by_role("button", name="Change service country").click()
    chat.step().get_by_label(chat.t("setup.country")).select_option("DE")
    chat.button("setup.continue").click()
    expect(page.locator(".msg.user .said").last).to_have_text("Service country: Germany.")
    page.get_by_role("button", name="Refresh chat").click()
    expect(page.locator(".msg")).to_have_count(2)  # "New conversation." and the menu
    expect(chat.menu_option("menu.ask")).to_be_visible()
    chat.say("취소")
    expect(chat.last_bot()).to_contain_text(chat.t("end.message"))
    expect(page.locator("#say")).to_be_disabled()
    chat.button("end.restart").click()
    expect(chat.step().get_by_label(chat.t("identify.email"))).to_be_visible()


def test_keyboard_only_on_a_phone(page, server):
    page.set_viewport_size(PHONE)
    chat = Chat(page, server.url, "en").open()
    keys = page.keyboard
    expect(page.get_by_label("Company email address")).to_be_focused()
    keys.type("kim@supplier.example")
    keys.press("Tab")
    keys.type("Kim Ji-woo")
    keys.press("Enter")
    radio = chat.step().locator("input[type=radio][value='en']")
    expect(radio).to_be_focused()
    keys.press("ArrowRight")  # the language changes as soon as it is chosen
    chat.lang = "fr"
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    keys.press("Tab")
    expect(chat.step().get_by_label(chat.t("setup.country"))).to_be_focused()
    keys.type("Fran")  # type-ahead in the closed list
    expect(chat.step().get_by_label(chat.t("setup.country"))).to_have_value("FR")
    keys.press("Tab")
    keys.press("Enter")
    expect(chat.menu_option("menu.payments")).to_be_focused()
    keys.press("Tab")
    keys.press("Tab")
    expect(chat.menu_option("menu.ask")).to_be_focused()
    keys.press("Enter")
    expect(page.locator("#say")).to_be_focused()
    keys.type("Qui paie mes factures ?")
    keys.press("Enter")
    chat.answer_card()
    keys.press("Shift+Tab")  # back from the composer: "Non", then "Oui"
    keys.press("Shift+Tab")
    expect(chat.answer_card().get_by_role("button", name="Oui")).to_be_focused()
    keys.press("Enter")
    expect(chat.last_bot()).to_contain_text(chat.t("answer.thanks"))
    expect(page.locator("#say")).to_be_focused()  # back where the next question goes
    keys.type("menu")
    keys.press("Enter")
    expect(chat.menu_option("menu.payments")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
