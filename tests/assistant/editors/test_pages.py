"""The editors' pages as the server serves them: sign-in, the page's language, the new-article prefill, catalogues."""
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assistant import i18n
from assistant.editors import accounts
from indexer.articles import MAX_QUESTIONS
from indexer.problems import HINTS, MESSAGES
from indexer.languages import CODES

STATIC = Path(i18n.__file__).resolve().parent / "static"
TEMPLATES = Path(i18n.__file__).resolve().parent / "templates"
SCRIPTS = sorted((STATIC / "editors").glob("*.js"))
PASSWORD = "correct horse battery staple"
# Words French and German write as English does (Article, Question, Name, Revision), and a format with no words.
SAME_AS_ENGLISH = {
    "fr": {"nav.articles", "report.gap_questions.one", "report.gap_questions.other", "report.col.question",
           "report.articles_title", "report.col.article", "articles.title", "articles.count.one", "articles.count.other",
           "articles.col.article", "edit.metadata", "try.questions", "try.col.question", "history.metadata"},
    "de": {"login.name", "history.revision", "history.metadata"},
    "ko": {"history.metadata"}, "zh-Hans": {"history.metadata"}, "zh-Hant": {"history.metadata"},
}


class Boot(HTMLParser):
    """The page's boot data (a JSON script element) and its <html lang>."""

    def __init__(self, html: str):
        super().__init__()
        self.lang, self.data, self._inside = None, None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        self._inside = tag == "script" and attrs.get("id") == "editors-boot"

    def handle_data(self, data):
        if self._inside:
            self.data = json.loads(data)
            self._inside = False


@pytest.fixture
def editor(app):
    accounts.create(app.extensions["db"], "mina", PASSWORD, "editor", by="test")
    client = app.test_client()
    assert client.post("/editors/login", data={"name": "mina", "password": PASSWORD}).status_code == 303
    return client


def test_the_sign_in_page_leads_back_to_the_page_asked_for(app):
    client = app.test_client()
    accounts.create(app.extensions["db"], "mina", PASSWORD, "editor", by="test")
    asked = client.get("/editors/articles/csp-2fa-disable")
    assert asked.status_code == 401 and b'value="/editors/articles/csp-2fa-disable"' in asked.data
    assert client.get("/editors/login").status_code == 200
    signed_in = client.post("/editors/login", data={"name": "mina", "password": PASSWORD,
                                                    "next": "/editors/articles/csp-2fa-disable"})
    assert (signed_in.status_code, signed_in.headers["Location"]) == (303, "/editors/articles/csp-2fa-disable")
    assert client.get("/editors/articles/csp-2fa-disable").status_code == 200


@pytest.mark.parametrize("next_page", ["https://evil.example/", "//evil.example/editors", "/editors/login",
                                       "/\\evil.example", "/api/v1/editor/articles", ""])
def test_sign_in_never_sends_an_editor_off_the_editors_pages(app, next_page):
    accounts.create(app.extensions["db"], "mina", PASSWORD, "editor", by="test")
    signed_in = app.test_client().post("/editors/login", data={"name": "mina", "password": PASSWORD, "next": next_page})
    assert signed_in.headers["Location"] == "/editors/articles"


@pytest.mark.parametrize("lang", CODES)
def test_the_pages_speak_the_language_chosen_and_keep_it(editor, lang):
    chosen = editor.get(f"/editors/articles?lang={lang}")
    page = Boot(chosen.get_data(as_text=True))
    assert (page.lang, page.data["lang"]) == (lang, lang)
    assert page.data["strings"] == i18n.editor_strings(lang)
    assert i18n.editor_strings(lang)["nav.articles"] in chosen.get_data(as_text=True)
    report = Boot(editor.get("/editors", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert report.lang == lang  # the choice holds for the session, over the browser's languages


def test_without_a_choice_the_browsers_languages_decide(editor):
    def page_language(accept: str) -> str:
        return Boot(editor.get("/editors/articles", headers={"Accept-Language": accept}).get_data(as_text=True)).lang

    assert page_language("zh-TW,en;q=0.5") == "zh-Hant"
    assert page_language("it,de;q=0.8") == "de"


def test_write_an_article_for_this_prefills_the_clusters_questions(editor):
    questions = [f"우산은 어디서 {n}개 살 수 있나요?" for n in range(MAX_QUESTIONS + 5)]
    page = editor.get("/editors/articles/new", query_string=[("for", "ko"), *[("question", q) for q in questions]])
    prefill = Boot(page.get_data(as_text=True)).data["prefill"]
    assert prefill == {"lang": "ko", "questions": questions[:MAX_QUESTIONS]}  # what one translation can hold
    unknown = editor.get("/editors/articles/new", query_string=[("for", "xx"), ("question", "hello")])
    assert Boot(unknown.get_data(as_text=True)).data["prefill"] is None


def test_a_hostile_question_stays_data_in_the_page(editor):
    hostile = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    page = editor.get("/editors/articles/new", query_string=[("for", "en"), ("question", hostile)])
    html = page.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert Boot(html).data["prefill"]["questions"] == [hostile]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_every_editors_catalogue_has_the_same_keys_and_placeholders():
    english = i18n.editor_strings("en")
    placeholders = re.compile(r"\{(\w+)\}")
    for lang in CODES:
        own = i18n.editor_strings(lang)
        assert list(own) == list(english), f"editors/{lang}.json keys differ from en.json"
        for key, text in english.items():
            named, wanted = set(placeholders.findall(own[key])), set(placeholders.findall(text))
            optional = {"what"} if key.startswith("problem.") else set()  # an English word, may be left out
            assert wanted - optional <= named <= wanted, f"{lang}:{key}"
            assert own[key].strip(), f"{lang}:{key} is empty"
        same = {key for key, text in english.items() if lang != "en" and own[key] == text}
        left = same - SAME_AS_ENGLISH.get(lang, set())
        assert not left, f"editors/{lang}.json: still English: {sorted(left)}"


def test_every_kind_of_validator_problem_can_be_said_in_every_language():
    for lang in CODES:
        strings = i18n.editor_strings(lang)
        missing = [code for code in [*MESSAGES, *(f"hint.{name}" for name in HINTS)] if f"problem.{code}" not in strings]
        assert not missing, f"editors/{lang}.json has no text for {missing}"
    assert {key: text for key, text in i18n.editor_strings("en").items() if key.startswith("problem.")} == {
        **{f"problem.{code}": text for code, text in MESSAGES.items()},
        **{f"problem.hint.{name}": text for name, text in HINTS.items()}}  # English: the validator's own words


def test_every_key_the_pages_use_exists():
    """Literal keys in the scripts and templates are in the catalogue; a typo fails here."""
    known = set(i18n.editor_strings("en"))
    prefixes = "|".join(sorted({key.split(".")[0] for key in known}))
    sources = "\n".join(p.read_text(encoding="utf-8") for p in [*SCRIPTS, *TEMPLATES.glob("editors*.html")])
    used = set(re.findall(r"""["'`]((?:%s)\.[a-z_]+)["'`]""" % prefixes, sources))
    plural = set(re.findall(r"""tn\("([a-z_.]+)\"""", sources))
    assert used and not (used - plural) - known, sorted((used - plural) - known)
    assert all(f"{key}.other" in known for key in plural), sorted(plural)
