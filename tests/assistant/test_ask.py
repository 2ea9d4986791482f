"""POST /api/v1/ask: answers in the question's language, escalates what it cannot answer."""
import dataclasses

import pytest

from assistant.knowledge import AnswerCache

QUESTIONS = [
    ("en", "How can I turn on two-factor authentication?", "csp-2fa-enable"),
    ("fr", "Qui me paie mes factures, Coupa ou mon client ?", "csp-who-pays"),
    ("de", "Wo werden meine Bankdaten für Überweisungen gespeichert?", "csp-bank-details"),
    ("ko", "티켓 번호로 티켓 상태를 확인하려면 어떻게 하나요?", "stp-ticket-status"),
    ("zh-Hans", "怎么添加新用户到我们公司的账户？", "csp-add-user"),
    ("zh-Hant", "服務國家/地區是什麼意思？", "stp-service-country"),
]


@pytest.mark.parametrize("lang, question, article_id", QUESTIONS)
def test_answers_in_the_language_of_the_question(client, lang, question, article_id):
    response = client.post("/api/v1/ask", json={"question": question})
    assert response.status_code == 200
    body = response.get_json()
    assert body["answered"] is True
    assert body["article_id"] == article_id
    assert body["lang"] == lang
    assert body["detected_lang"] == lang
    assert body["answer"] and "<p>" in body["answer_html"]
    assert body["candidates"][0]["article_id"] == article_id
    assert 0.0 <= body["confidence"] <= 1.0


@pytest.mark.parametrize(
    "lang, question",
    [
        ("en", "What's a good recipe for banana bread?"),
        ("fr", "Quel temps fera-t-il à Lyon demain ?"),
        ("de", "Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?"),
        ("ko", "주말에 볼 만한 영화 추천해 주세요"),
        ("zh-Hans", "明天北京会下雨吗？"),
        ("zh-Hant", "台北有什麼好吃的夜市？"),
    ],
)
def test_off_topic_questions_are_escalated_and_ask_for_contact(client, lang, question):
    body = client.post("/api/v1/ask", json={"question": question}).get_json()
    assert body["answered"] is False
    assert body["article_id"] is None and body["answer"] is None
    assert body["lang"] == lang
    assert body["escalation"] == {"needs": ["email", "name"]}
    assert len(body["candidates"]) <= 5


def test_chosen_language_decides_when_the_text_cannot(client):
    body = client.post("/api/v1/ask", json={"question": "CS0012345", "lang": "ko"}).get_json()
    assert body["lang"] == "ko"


def test_clearly_german_question_in_a_french_chat_is_answered_in_german(client):
    body = client.post("/api/v1/ask", json={"question": "Wie schalte ich die Zwei-Faktor-Authentifizierung aus?", "lang": "fr"}).get_json()
    assert body["lang"] == "de"
    assert body["article_id"] == "csp-2fa-disable"


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({}, 422, "invalid"),
        ({"question": ""}, 422, "invalid"),
        ({"question": "   "}, 422, "invalid"),
        ({"question": 42}, 422, "invalid"),
        ({"question": "x" * 1001}, 422, "invalid"),
        ({"question": "PO?", "lang": "es"}, 422, "unknown_language"),
        ({"question": "PO?", "email": "not-an-email"}, 422, "invalid"),
        ({"question": "PO?", "country": "XX"}, 422, "invalid"),
        ([1, 2], 400, "bad_json"),
    ],
)
def test_bad_input_gets_a_clear_json_error(client, payload, status, code):
    response = client.post("/api/v1/ask", json=payload)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]


def test_malformed_json_and_wrong_media_type(client):
    broken = client.post("/api/v1/ask", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "bad_json"
    form = client.post("/api/v1/ask", data={"question": "hi"})
    assert form.status_code == 415


def test_oversized_body_is_refused(client):
    response = client.post("/api/v1/ask", json={"question": "a", "padding": "x" * 100_000})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_wrong_method_and_unknown_path_are_json(client):
    assert client.get("/api/v1/ask").status_code == 405
    assert client.get("/api/v1/ask").get_json()["error"]["code"] == "method_not_allowed"
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_the_outcome_says_answer_suggest_or_escalate(app, client):
    sure = client.post("/api/v1/ask", json={"question": "How can I turn on two-factor authentication?"}).get_json()
    assert (sure["outcome"], sure["suggestions"]) == ("answered", [])
    nothing = client.post("/api/v1/ask", json={"question": "Wie backe ich einen Apfelkuchen?"}).get_json()
    assert (nothing["outcome"], nothing["answered"], nothing["suggestions"]) == ("escalated", False, [])
    calibration = app.extensions["knowledge"].current().retriever.calibration
    strict = dataclasses.replace(calibration, fast=dataclasses.replace(calibration.fast, threshold=1.01),
                                 full=dataclasses.replace(calibration.full, threshold=1.01))
    held = app.extensions["knowledge"]
    held._loaded = dataclasses.replace(held.current(), retriever=held.current().retriever.with_calibration(strict),
                                       answers=AnswerCache(0))
    unsure = client.post("/api/v1/ask", json={"question": "How can I turn on two-factor authentication?"}).get_json()
    assert (unsure["outcome"], unsure["answered"], unsure["article_id"]) == ("suggested", False, None)
    assert unsure["suggestions"] == unsure["candidates"][:3]
    assert unsure["suggestions"][0]["article_id"] == "csp-2fa-enable"


def test_the_fast_path_alone_is_a_configuration(instance, built_index):
    from assistant import create_app

    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "SEMANTIC": False,
                      "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0})
    body = app.test_client().post("/api/v1/ask", json={"question": "Qui me paie mes factures, Coupa ou mon client ?"})
    assert (body.get_json()["outcome"], body.get_json()["article_id"]) == ("answered", "csp-who-pays")
    app.extensions["db"].dispose()
