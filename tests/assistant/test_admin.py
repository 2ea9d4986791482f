"""Editors' loop: reload a changed knowledge folder without a restart, keep serving on errors."""
import shutil
import time
from pathlib import Path

import pytest

from assistant import create_app

DATA = Path(__file__).resolve().parents[1] / "data"
TOKEN = {"Authorization": "Bearer editor-secret"}
NEW_QUESTION = {"question": "Where can I read the supplier code of conduct?"}


@pytest.fixture
def editable(instance, knowledge_copy):
    app = create_app({
        "INSTANCE": str(instance), "KNOWLEDGE": str(knowledge_copy), "ADMIN_TOKEN": "editor-secret",
        "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0,
    })
    return app, app.test_client(), knowledge_copy


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "editor-secret"}])
def test_admin_api_refuses_without_the_token(editable, headers):
    _, client, _ = editable
    for method, url in (("GET", "/api/v1/admin/status"), ("POST", "/api/v1/admin/reload")):
        response = client.open(url, method=method, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_reload_answers_with_a_new_article(editable):
    _, client, folder = editable
    before = client.get("/api/v1/admin/status", headers=TOKEN).get_json()
    assert client.post("/api/v1/ask", json=NEW_QUESTION).get_json()["article_id"] != "supplier-code-of-conduct"
    shutil.copy(DATA / "supplier-code-of-conduct.yaml", folder)
    reloaded = client.post("/api/v1/admin/reload", headers=TOKEN)
    assert reloaded.status_code == 200
    assert reloaded.get_json()["version"] != before["version"]
    assert reloaded.get_json()["articles"] == 33
    answer = client.post("/api/v1/ask", json=NEW_QUESTION).get_json()
    assert (answer["answered"], answer["article_id"]) == (True, "supplier-code-of-conduct")


def test_broken_file_keeps_the_old_index_serving_and_is_reported(editable):
    _, client, folder = editable
    version = client.get("/api/v1/admin/status", headers=TOKEN).get_json()["version"]
    (folder / "csp-who-pays.yaml").write_text("id: csp-who-pays\ncategory: [broken\n", encoding="utf-8")
    response = client.post("/api/v1/admin/reload", headers=TOKEN)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_knowledge" and version in error["message"]
    assert any("csp-who-pays.yaml:3: YAML does not parse" in p for p in error["problems"])
    answer = client.post("/api/v1/ask", json={"question": "Does Coupa pay me?"}).get_json()
    assert answer["article_id"] == "csp-who-pays"  # the old version still serves
    status = client.get("/api/v1/admin/status", headers=TOKEN).get_json()
    assert status["version"] == version and status["errors"] and status["error_at"]
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["knowledge_errors"]


def test_watcher_picks_up_a_change_without_a_request(instance, knowledge_copy):
    app = create_app({
        "INSTANCE": str(instance), "KNOWLEDGE": str(knowledge_copy), "BACKGROUND_WORKER": False,
        "RELOAD_POLL_SECONDS": 0.2,
    })
    held = app.extensions["knowledge"]
    version = held.current().version
    shutil.copy(DATA / "supplier-code-of-conduct.yaml", knowledge_copy)
    deadline = time.monotonic() + 180
    while held.current().version == version and time.monotonic() < deadline:
        time.sleep(0.1)
    assert held.current().version != version
    assert "supplier-code-of-conduct" in held.current().retriever.articles


def test_editors_page_and_report_refuse_without_the_token(editable):
    _, client, _ = editable
    page = client.get("/editors")
    assert page.status_code == 401 and b'name="token"' in page.data and b"Articles" not in page.data
    assert client.get("/api/v1/admin/report").status_code == 401
    wrong = client.post("/editors/login", data={"token": "guess"})
    assert wrong.status_code == 401 and b"not right" in wrong.data
    assert client.get("/api/v1/admin/report").status_code == 401


def test_editors_session_reads_the_report_but_cannot_reload(editable):
    _, client, _ = editable
    signed_in = client.post("/editors/login", data={"token": "editor-secret"})
    assert signed_in.status_code == 303
    page = client.get("/editors")
    assert page.status_code == 200 and b"What nothing answered" in page.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/api/v1/admin/report").status_code == 200
    assert client.post("/api/v1/admin/reload").status_code == 401  # writes need the bearer token
    client.post("/editors/logout")
    assert client.get("/api/v1/admin/report").status_code == 401


def test_report_counts_feedback_and_escalations(editable):
    _, client, _ = editable
    answered = client.post("/api/v1/ask", json={"question": "Who pays my invoices?"}).get_json()
    client.post("/api/v1/feedback", json={"question_id": answered["question_id"], "helpful": True})
    for question in ("Wie backe ich einen Apfelkuchen?", "Wie backe ich einen Käsekuchen?"):
        client.post("/api/v1/ask", json={"question": question})
    report = client.get("/api/v1/admin/report?since=1d", headers=TOKEN).get_json()
    who_pays = next(a for a in report["articles"] if a["id"] == "csp-who-pays")
    assert (who_pays["answers"], who_pays["helpful_rate"], who_pays["missing"]) == ({"en": 1}, 1.0, [])
    assert report["gaps"][0]["lang"] == "de" and report["gaps"][0]["questions"] == 2
    days = {(d["lang"], d["answered"], d["escalated"]) for d in report["daily"]}
    assert ("en", 1, 0) in days and ("de", 0, 2) in days
    assert client.get("/api/v1/admin/report?since=soon", headers=TOKEN).status_code == 400
    assert client.get("/api/v1/admin/report?lang=xx", headers=TOKEN).status_code == 400


def test_doubtful_answers_reach_the_report(editable):
    app, client, _ = editable
    ask = lambda q: client.post("/api/v1/ask", json={"question": q}).get_json()  # noqa: E731
    unhelpful = ask("Who pays my invoices?")
    client.post("/api/v1/feedback", json={"question_id": unhelpful["question_id"], "helpful": False})
    followed = ask("How can I turn on two-factor authentication?")
    ticket = client.post("/api/v1/tickets", json={"email": "ana@lima.example", "subject": "2FA", "lang": "en",
                                                  "description": "The article did not help.",
                                                  "question_id": followed["question_id"]})
    assert ticket.status_code == 201
    fine = ask("Comment désactiver l'authentification à deux facteurs ?")
    report = client.get("/api/v1/admin/report?since=1d", headers=TOKEN).get_json()
    doubtful = {d["question"]: d for d in report["doubtful"]}
    assert doubtful["Who pays my invoices?"]["reasons"][-1] == "unhelpful"
    assert "ticket" in doubtful["How can I turn on two-factor authentication?"]["reasons"]
    entry = doubtful["How can I turn on two-factor authentication?"]
    assert entry["article_id"] == "csp-2fa-enable" and entry["runner_up"] and entry["runner_up"] != "csp-2fa-enable"
    wide_margin = fine["candidates"][0]["confidence"] - fine["candidates"][1]["confidence"] >= 0.25
    assert wide_margin and fine["answered"] and "Comment désactiver l'authentification à deux facteurs ?" not in doubtful
