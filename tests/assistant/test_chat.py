"""The chat page and widget as the server serves them: headers, catalogues, language choice."""
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assistant import create_app, i18n
from indexer.languages import CODES

STATIC = Path(i18n.__file__).resolve().parent / "static"
TEMPLATE = Path(i18n.__file__).resolve().parent / "templates" / "chat.html"
SCRIPTS = sorted([STATIC / "chat.js", *(STATIC / "chat").glob("*.js")])

# Strings that are the same word in English and in that language (names, "Status", "Document"...).
SAME_AS_ENGLISH = {"app.title", "bot.name", "identify.done", "setup.done", "ticket.label", "actor.agent", "actor.system",
                   "payments.po_number"}
ALSO_SAME = {"fr": {"log.label", "payments.kind"}, "de": {"raise.optional", "ticket.status", "payments.status"}}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.boot = ""
        self._in_boot = False

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))
        self._in_boot = dict(attrs).get("id") == "procuree-boot"

    def handle_data(self, data):
        if self._in_boot:
            self.boot += data

    def handle_endtag(self, tag):
        self._in_boot = False


def parse(response) -> Tags:
    tags = Tags()
    tags.feed(response.get_data(as_text=True))
    return tags


def test_page_is_served_with_a_strict_content_security_policy(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'self'" in policy and "default-src 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Accept-Language" in response.headers["Vary"]


def test_page_has_no_inline_script_or_style(client):
    tags = parse(client.get("/"))
    scripts = [attrs for tag, attrs in tags.found if tag == "script"]
    assert all(attrs.get("src") or attrs.get("type") == "application/json" for attrs in scripts)
    assert not [tag for tag, attrs in tags.found if tag == "style" or "style" in attrs or any(a.startswith("on") for a in attrs)]


def test_scripts_write_no_html_and_no_inline_styles():
    """Text goes in with textContent; the one innerHTML is the sanitised article in a <template>."""
    for script in SCRIPTS:
        source = script.read_text(encoding="utf-8")
        allowed = 1 if script.name == "dom.js" else 0
        assert source.count("innerHTML") == allowed, script.name
        assert "insertAdjacentHTML" not in source and "document.write" not in source and "eval(" not in source
        assert 'setAttribute("style"' not in source and ".style." not in source, script.name


def test_static_files_are_served(client):
    for path in ("/static/chat.js", "/static/chat/dom.js", "/static/chat.css", "/static/procuree.svg"):
        assert client.get(path).status_code == 200, path
    assert "javascript" in client.get("/static/chat/api.js").mimetype


def test_embed_may_be_framed_by_the_configured_origins_only(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "EMBED_ORIGINS": "https://portal.example.com https://*.suppliers.example"})
    client = app.test_client()
    embed = client.get("/embed?lang=fr").headers
    assert embed["Content-Security-Policy"].endswith("frame-ancestors 'self' https://portal.example.com https://*.suppliers.example")
    assert "X-Frame-Options" not in embed
    assert client.get("/").headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    app.extensions["db"].dispose()


@pytest.mark.parametrize("origins", [["https://portal.example.com; script-src *"], ["portal.example.com"],
                                     ["https://portal.example.com/path"], ["'unsafe-inline'"]])
def test_a_bad_embed_origin_stops_the_start(instance, built_index, origins):
    with pytest.raises(ValueError, match="EMBED_ORIGINS"):
        create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False, "EMBED_ORIGINS": origins})


@pytest.mark.parametrize("header, lang", [
    ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
    ("de-AT", "de"),
    ("ko-KR,ko;q=0.9", "ko"),
    ("zh-CN,zh;q=0.9", "zh-Hans"),
    ("zh-TW", "zh-Hant"),
    ("zh-Hant-HK", "zh-Hant"),
    ("es-ES,es;q=0.9,de;q=0.5", "de"),
    ("es-ES", "en"),
    ("", "en"),
])
def test_language_is_preselected_from_accept_language(client, header, lang):
    response = client.get("/", headers={"Accept-Language": header} if header else {})
    tags = parse(response)
    assert dict(tags.found[0][1])["lang"] == lang
    boot = json.loads(tags.boot)
    assert boot["lang"] == lang and boot["catalog"]["strings"] == i18n.strings(lang)


def test_lang_in_the_query_wins_over_the_browser(client):
    tags = parse(client.get("/embed?lang=zh-hant&country=kr", headers={"Accept-Language": "fr"}))
    boot = json.loads(tags.boot)
    assert (boot["lang"], boot["embed"], boot["country"]) == ("zh-Hant", True, "KR")
    assert json.loads(parse(client.get("/?country=XX")).boot)["country"] is None


def test_every_catalogue_has_every_key():
    keys = {lang: set(i18n.strings(lang)) for lang in CODES}
    every = set().union(*keys.values())
    for lang in CODES:
        assert not every - keys[lang], f"{lang}.json lacks {sorted(every - keys[lang])}"


@pytest.mark.parametrize("lang", [code for code in CODES if code != "en"])
def test_catalogues_are_written_in_their_language(lang):
    english, own = i18n.strings("en"), i18n.strings(lang)
    same = {key for key in english if own[key] == english[key]}
    assert same <= SAME_AS_ENGLISH | ALSO_SAME.get(lang, set()), f"{lang}: still English: {sorted(same)}"
    placeholders = re.compile(r"\{(\w+)\}")
    for key, text in english.items():
        assert set(placeholders.findall(own[key])) == set(placeholders.findall(text)), f"{lang}:{key}"
        assert own[key].strip(), f"{lang}:{key} is empty"


def test_every_key_the_page_uses_exists():
    """Literal keys in the scripts and the template are in the catalogue; a typo fails here."""
    known = set(i18n.strings("en"))
    prefixes = {key.split(".")[0] for key in known}
    used = set(re.findall(r"""["'`]((?:%s)\.[a-z_]+)["'`]""" % "|".join(prefixes),
                          "\n".join(path.read_text(encoding="utf-8") for path in [*SCRIPTS, TEMPLATE])))
    used |= set(re.findall(r"""(?:data-i18n="|:)([a-z_]+\.[a-z_]+)""", TEMPLATE.read_text(encoding="utf-8")))
    assert used and not used - known, sorted(used - known)


def test_commands_in_every_language():
    commands = i18n.commands()
    for word in ("cancel", "annuler", "abbrechen", "취소", "取消"):
        assert word in commands["cancel"]
    for word in ("menu", "menü", "메뉴", "菜单", "選單", "功能表"):
        assert word in commands["menu"]
    assert not set(commands["cancel"]) & set(commands["menu"])


def test_catalogue_route_names_countries_and_languages(client):
    body = client.get("/chat/catalog/ko.json").get_json()
    assert body["lang"] == "ko" and ["KR", "대한민국"] in body["countries"]
    assert body["language_names"]["de"] == "독일어"
    assert not {code for code, _ in body["countries"]} & i18n.NOT_COUNTRIES
    french = [name for _, name in client.get("/chat/catalog/fr.json").get_json()["countries"]]
    assert french.index("Égypte") < french.index("Émirats arabes unis") < french.index("Équateur") < french.index("Érythrée")
    assert client.get("/chat/catalog/xx.json").status_code == 404


def test_widget_script_carries_the_catalogues_labels(client):
    response = client.get("/widget.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    source = response.get_data(as_text=True)
    assert "/*LABELS*/{}" not in source
    assert i18n.strings("fr")["widget.open"] in source and i18n.strings("zh-Hant")["widget.title"] in source
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
