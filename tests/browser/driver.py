"""Drive the chat like a supplier: by the visible labels of the current language's catalogue."""
from __future__ import annotations

import re

import pytest

from assistant.i18n import strings

from .conftest import ENABLE

sync_api = pytest.importorskip("playwright.sync_api", reason=f"browser tests skipped: the playwright package is missing; {ENABLE}")
expect, Locator, Page = sync_api.expect, sync_api.Locator, sync_api.Page

STEP = ".msg.step:not(.retired)"  # the step the chat waits on; earlier ones are disabled


class Chat:
    def __init__(self, page: Page, url: str, lang: str = "en"):
        self.page, self.url, self.lang = page, url, lang
        self.created = 0  # ticket confirmations seen so far

    def t(self, key: str, **fields) -> str:
        text = strings(self.lang)[key]
        return text.format(**fields) if fields else text

    def open(self, query: str = "") -> Chat:
        self.page.goto(self.url + "/" + query)
        expect(self.step()).to_be_visible()
        return self

    def step(self) -> Locator:
        return self.page.locator(STEP).last

    def last_bot(self) -> Locator:
        return self.page.locator(".msg.bot").last

    def button(self, key: str, scope: Locator | None = None, **fields) -> Locator:
        return (scope or self.step()).get_by_role("button", name=self.t(key, **fields), exact=True)

    def identify(self, email: str, name: str) -> None:
        step = self.step()
        step.get_by_label(self.t("identify.email")).fill(email)
        step.get_by_label(self.t("identify.name")).fill(name)
        self.button("identify.submit").click()
        expect(self.page.get_by_label(self.t("setup.country"))).to_be_visible()

    def setup(self, country: str, lang: str | None = None) -> None:
        if lang and lang != self.lang:
            self.step().locator(f"input[type=radio][value='{lang}']").check()
            self.lang = lang
            expect(self.page.locator("html")).to_have_attribute("lang", lang)
        self.step().get_by_label(self.t("setup.country")).select_option(country)
        self.button("setup.continue").click()
        expect(self.menu_option("menu.ask")).to_be_visible()

    def start(self, email: str, name: str, country: str = "FR", lang: str | None = None) -> Chat:
        self.open()
        self.identify(email, name)
        self.setup(country, lang)
        return self

    def menu_option(self, key: str) -> Locator:
        return self.step().locator(".menu-option").filter(has_text=self.t(key))

    def choose(self, key: str) -> None:
        self.menu_option(key).click()

    def say(self, text: str) -> None:
        box = self.page.locator("#say")
        box.fill(text)
        box.press("Enter")

    def answer_card(self) -> Locator:
        card = self.page.locator(".msg.bot").filter(has=self.page.locator(".card-title")).last
        expect(card).to_be_visible()
        return card

    def ticket_created(self) -> tuple[str, str]:
        """The number and reference code of the ticket just created (a new confirmation, not an earlier one)."""
        self.created += 1
        cards = self.page.locator(".msg.bot .bubble.success")
        expect(cards).to_have_count(self.created)
        card = cards.last
        number = card.locator("[data-ticket-number]").inner_text()
        reference = card.locator("[data-ticket-reference]").inner_text()
        assert re.fullmatch(r"CS\d{7}", number), number
        return number, reference
