"""The editors' JSON API (read side): who may read it, and articles in the shape of their YAML files."""
import pytest
import yaml

from assistant.editors import accounts
from tests.conftest import KNOWLEDGE

TOKEN = "editor-api-token"
LANGS = ["de", "en", "fr", "ko", "zh-Hans", "zh-Hant"]


@pytest.fixture
def bearer(app):
    app.config["ADMIN_TOKEN"] = TOKEN
    return {"Authorization": f"Bearer {TOKEN}"}


def test_without_a_session_or_the_token_nothing_is_shown(client, app):
    app.config["ADMIN_TOKEN"] = TOKEN
    assert client.get("/api/v1/editor/articles").status_code == 401
    assert client.get("/api/v1/editor/articles", headers={"Authorization": "Bearer guess"}).status_code == 401


def test_a_named_editors_session_reads_the_articles(client, app):
    accounts.create(app.extensions["db"], "ana.lima", "correct horse battery", "editor", by="test")
    client.post("/editors/login", data={"name": "ana.lima", "password": "correct horse battery"})
    listed = client.get("/api/v1/editor/articles").get_json()
    assert listed["total"] == len(list(KNOWLEDGE.glob("*.yaml"))) and listed["total"] >= 30


def test_an_article_comes_back_as_its_yaml_file_holds_it(client, bearer):
    path = sorted(KNOWLEDGE.glob("*.yaml"))[0]
    source = yaml.safe_load(path.read_text(encoding="utf-8"))
    got = client.get(f"/api/v1/editor/articles/{source['id']}", headers=bearer).get_json()
    assert got["id"] == source["id"] and got["category"] == source["category"] and got["languages"] == LANGS
    for lang, translation in source["translations"].items():
        assert got["translations"][lang]["title"] == translation["title"]
        assert got["translations"][lang]["questions"] == list(translation.get("questions", []))
        assert got["translations"][lang]["body"].strip() == translation["body"].strip()


def test_the_list_filters_by_words_and_category(client, bearer):
    found = client.get("/api/v1/editor/articles?q=2fa", headers=bearer).get_json()["articles"]
    assert found and all("2fa" in (a["id"] + a["title"]).lower() for a in found)
    every = client.get("/api/v1/editor/articles", headers=bearer).get_json()["articles"]
    category = every[0]["category"]
    same = client.get(f"/api/v1/editor/articles?category={category}", headers=bearer).get_json()["articles"]
    assert {a["id"] for a in same} == {a["id"] for a in every if a["category"] == category}
    assert client.get("/api/v1/editor/articles?missing=ko", headers=bearer).get_json()["total"] == 0


@pytest.mark.parametrize("url, status", [("/api/v1/editor/articles/no-such-article", 404),
                                         ("/api/v1/editor/articles?colour=red", 400),
                                         ("/api/v1/editor/articles?limit=0", 400)])
def test_bad_requests_get_clear_errors(client, bearer, url, status):
    response = client.get(url, headers=bearer)
    assert response.status_code == status and response.get_json()["error"]["message"]
