"""Drafts in the editors' API: validated at their fields, tried, published to every replica, with history and rollback."""
import copy

import pytest
import yaml

from assistant import create_app
from assistant.editors import accounts
from tests.assistant.support import answered
from tests.conftest import DATA
from tests.conftest import REPLICAS_TOKEN as TOKEN

QUESTION = "Can suppliers order branded umbrellas from the buyer's gift shop?"
ARTICLE = yaml.safe_load((DATA / "gift-shop-umbrellas.yaml").read_text(encoding="utf-8"))


def signed_in(app, role: str):
    accounts.create(app.extensions["db"], f"{role}.one", "correct horse battery", role, by="test")
    client = app.test_client()
    client.post("/editors/login", data={"name": f"{role}.one", "password": "correct horse battery"})
    return client


def test_problems_come_back_at_their_fields_and_nothing_is_saved(replicas):
    client = signed_in(replicas[0], "editor")
    broken = copy.deepcopy(ARTICLE)
    broken["category"] = "helpp"
    del broken["translations"]["ko"]["body"]
    broken["translations"]["fr"]["questions"].append(7)
    response = client.put("/api/v1/editor/drafts/gift-shop-umbrellas", json=broken)
    assert response.status_code == 422
    problems = response.get_json()["error"]["problems"]
    fields = {p["field"] for p in problems}
    assert fields == {"category", "translations.ko.body", "translations.fr.questions[1]"}
    category = next(p for p in problems if p["field"] == "category")  # what a page says in its own language
    assert (category["code"], category["args"]) == ("unknown_category", {"category": "helpp", "suggestion": "help"})
    assert category["message"] == "unknown category 'helpp' (did you mean 'help'?)"
    assert client.get("/api/v1/editor/drafts/gift-shop-umbrellas").status_code == 404
    checked = client.post("/api/v1/editor/drafts/gift-shop-umbrellas/check", json=broken).get_json()
    assert {p["field"] for p in checked["problems"]} == fields
    assert "<strong>branded umbrellas</strong>" in checked["preview"]["en"]


def test_a_translation_in_the_wrong_language_or_a_question_of_another_article_is_refused(replicas):
    client = signed_in(replicas[0], "editor")
    wrong = copy.deepcopy(ARTICLE)
    wrong["translations"]["fr"] = copy.deepcopy(ARTICLE["translations"]["de"])
    taken = replicas[0].extensions["knowledge"].current().retriever.articles["csp-2fa-disable"]
    wrong["translations"]["en"]["questions"].append(taken.translations["en"].questions[0])
    problems = client.put("/api/v1/editor/drafts/gift-shop-umbrellas", json=wrong).get_json()["error"]["problems"]
    assert {p["field"] for p in problems} == {"translations.fr", "translations.en.questions[1]"}


def test_an_editor_saves_and_tries_but_only_a_publisher_publishes(replicas):
    editor = signed_in(replicas[0], "editor")
    saved = editor.put("/api/v1/editor/drafts/gift-shop-umbrellas", json=ARTICLE)
    assert saved.status_code == 200 and saved.get_json()["saved_by"] == "editor.one"
    tried = editor.post("/api/v1/editor/drafts/gift-shop-umbrellas/try", json={"questions": [QUESTION]}).get_json()
    [one] = tried["asked"]
    assert one["draft"]["article_id"] == "gift-shop-umbrellas" and one["live"]["article_id"] != "gift-shop-umbrellas"
    assert editor.post("/api/v1/editor/drafts/gift-shop-umbrellas/publish", json={}).status_code == 403
    assert answered(replicas[1], QUESTION) != "gift-shop-umbrellas"


def test_publish_reaches_the_other_replica_and_rollback_takes_it_back(replicas):
    first, second = replicas
    publisher = signed_in(first, "publisher")
    assert publisher.put("/api/v1/editor/drafts/gift-shop-umbrellas", json=ARTICLE).status_code == 200
    published = publisher.post("/api/v1/editor/drafts/gift-shop-umbrellas/publish", json={"note": "new"})
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["revisions"] == {"gift-shop-umbrellas": 1}
    assert answered(second, QUESTION) == "gift-shop-umbrellas"
    assert publisher.get("/api/v1/editor/drafts/gift-shop-umbrellas").status_code == 404  # published: gone

    changed = copy.deepcopy(ARTICLE)
    changed["translations"]["en"]["body"] = "Suppliers order umbrellas from the gift shop by phone."
    assert publisher.put("/api/v1/editor/drafts/gift-shop-umbrellas", json=changed).status_code == 200
    draft = publisher.get("/api/v1/editor/drafts/gift-shop-umbrellas").get_json()["content"]
    assert draft["translations"]["en"]["updated"] == draft["updated"]
    assert publisher.post("/api/v1/editor/drafts/gift-shop-umbrellas/publish", json={}).status_code == 200

    revisions = publisher.get("/api/v1/editor/articles/gift-shop-umbrellas/history").get_json()["revisions"]
    assert [r["revision"] for r in revisions] == [2, 1, 0] and revisions[0]["by"] == "publisher.one"
    assert "+body:" not in revisions[0]["changes"]["translations"]["en"]
    assert "-Suppliers order **branded umbrellas**" in revisions[0]["changes"]["translations"]["en"]
    assert "+Suppliers order umbrellas from the gift shop by phone." in revisions[0]["changes"]["translations"]["en"]
    assert set(revisions[0]["changes"]["translations"]) == {"en"}

    back = publisher.post("/api/v1/editor/articles/gift-shop-umbrellas/rollback", json={"version": 0})
    assert back.status_code == 200 and back.get_json()["action"] == "rollback"
    assert answered(second, QUESTION) != "gift-shop-umbrellas"
    assert second.test_client().get("/api/v1/editor/articles/gift-shop-umbrellas",
                                    headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_a_draft_started_before_another_publish_is_not_published_over_it(replicas):
    first, second = replicas
    one, other = signed_in(first, "publisher"), signed_in(second, "admin")
    assert one.put("/api/v1/editor/drafts/gift-shop-umbrellas", json=ARTICLE).status_code == 200
    assert other.post("/api/v1/editor/drafts/gift-shop-umbrellas/publish", json={}).status_code == 200
    again = copy.deepcopy(ARTICLE)
    again["tags"] = ["umbrellas"]
    assert other.put("/api/v1/editor/drafts/gift-shop-umbrellas", json=again).status_code == 200
    assert other.post("/api/v1/editor/drafts/gift-shop-umbrellas/publish", json={}).status_code == 200


@pytest.mark.parametrize("method, url, body, status", [
    ("put", "/api/v1/editor/drafts/Not_An_Id", ARTICLE, 422),
    ("post", "/api/v1/editor/drafts/nothing-here/try", {"questions": ["x"]}, 404),
    ("post", "/api/v1/editor/drafts/nothing-here/publish", {}, 404),
    ("post", "/api/v1/editor/articles/csp-2fa-disable/rollback", {"version": 3}, 404),
    ("post", "/api/v1/editor/articles/csp-2fa-disable/rollback", {"version": "three"}, 422),
    ("post", "/api/v1/editor/drafts/x/try", {"questions": ["q"] * 21}, 422),
    ("get", "/api/v1/editor/articles/no-such-article/history", None, 404),
])
def test_bad_requests_get_clear_errors(replicas, method, url, body, status):
    client = replicas[0].test_client()
    response = getattr(client, method)(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["message"]


def test_with_the_folder_source_publish_writes_the_file_and_rollback_removes_it(instance, built_index, knowledge_copy):
    """One host, KNOWLEDGE_SOURCE=folder: the article's file in today's format, then gone again."""
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "KNOWLEDGE": str(knowledge_copy),
                      "TESTING": True, "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0, "ANSWER_CACHE_SIZE": 0,
                      "EDITOR_EVAL_SETS": "", "EDITOR_TRY_LOG_QUESTIONS": 0})
    publisher = signed_in(app, "publisher")
    assert publisher.put("/api/v1/editor/drafts/gift-shop-umbrellas", json=ARTICLE).status_code == 200
    published = publisher.post("/api/v1/editor/drafts/gift-shop-umbrellas/publish", json={})
    assert published.status_code == 200, published.get_json()
    written = yaml.safe_load((knowledge_copy / "gift-shop-umbrellas.yaml").read_text(encoding="utf-8"))
    assert written["translations"]["ko"] == {**ARTICLE["translations"]["ko"], "updated": written["updated"]}
    assert not list(knowledge_copy.glob(".*.part"))  # replaced atomically, nothing left behind
    assert answered(app, QUESTION) == "gift-shop-umbrellas"
    rolled = publisher.post("/api/v1/editor/articles/gift-shop-umbrellas/rollback", json={"version": 0})
    assert rolled.status_code == 200, rolled.get_json()
    assert not (knowledge_copy / "gift-shop-umbrellas.yaml").exists()
    assert answered(app, QUESTION) != "gift-shop-umbrellas"
    app.extensions["db"].dispose()
