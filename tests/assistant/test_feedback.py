"""Question log and feedback: what editors learn, and what the law lets us keep."""
import datetime as dt

import pytest

from assistant import db, questions
from indexer.gaps import read_unanswered

QUESTION = {"question": "Comment désactiver l'authentification à deux facteurs ?"}


def test_every_question_is_logged_without_the_email(app, client):
    answer = client.post("/api/v1/ask", json=QUESTION | {"email": "ana@example.com"}).get_json()
    assert answer["question_id"]
    with app.extensions["db"].connect() as conn:
        row = conn.execute(db.questions.select()).one()
    assert (row.public_id, row.lang, row.article_id, row.answered) == (answer["question_id"], "fr", "csp-2fa-disable", 1)
    assert row.question == QUESTION["question"]
    assert row.supplier_key and "ana" not in row.supplier_key
    assert row.index_version == app.extensions["knowledge"].current().version


def test_feedback_is_recorded_and_a_no_offers_a_ticket(app, client):
    question_id = client.post("/api/v1/ask", json=QUESTION).get_json()["question_id"]
    yes = client.post("/api/v1/feedback", json={"question_id": question_id, "helpful": True})
    assert yes.status_code == 201 and yes.get_json()["offer_ticket"] is False
    no = client.post("/api/v1/feedback", json={"question_id": question_id, "helpful": False, "comment": "Pas clair"})
    assert no.status_code == 201
    assert no.get_json() == {"question_id": question_id, "helpful": False, "article_id": "csp-2fa-disable",
                             "lang": "fr", "offer_ticket": True}
    stats = questions.article_stats(app.extensions["db"], dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    assert stats["csp-2fa-disable"] == {"answers": {"fr": 1}, "helpful": 1, "unhelpful": 1}


@pytest.mark.parametrize(
    "payload, status",
    [
        ({"question_id": "nope", "helpful": True}, 404),
        ({"question_id": "x", "helpful": "yes"}, 422),
        ({"helpful": True}, 422),
        ({"question_id": "x", "helpful": True, "comment": "c" * 1001}, 422),
    ],
)
def test_bad_feedback_is_refused(client, payload, status):
    response = client.post("/api/v1/feedback", json=payload)
    assert response.status_code == status and response.get_json()["error"]["message"]


def test_unhelpful_and_escalated_questions_feed_the_gaps_report(app, client):
    helpful_id = client.post("/api/v1/ask", json={"question": "Who pays my invoices?"}).get_json()["question_id"]
    client.post("/api/v1/feedback", json={"question_id": helpful_id, "helpful": False})
    client.post("/api/v1/ask", json={"question": "Wie backe ich einen Apfelkuchen?"})
    found = read_unanswered(app.extensions["db"], dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    assert sorted((q.lang, q.reason) for q in found) == [("de", "escalated"), ("en", "unhelpful")]
    only_de = read_unanswered(app.extensions["db"], dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), "de")
    assert [q.text for q in only_de] == ["Wie backe ich einen Apfelkuchen?"]


def test_old_questions_are_purged_with_their_feedback(app, client):
    question_id = client.post("/api/v1/ask", json=QUESTION).get_json()["question_id"]
    client.post("/api/v1/feedback", json={"question_id": question_id, "helpful": True})
    engine = app.extensions["db"]
    assert questions.purge(engine, 90) == 0
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=91)
    assert questions.purge(engine, 90, now=later) == 1
    with engine.connect() as conn:
        assert conn.execute(db.feedback.select()).all() == []
    assert client.post("/api/v1/feedback", json={"question_id": question_id, "helpful": True}).status_code == 404
