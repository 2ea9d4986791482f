"""Question log and feedback: what editors learn, and what the law lets us keep."""
import datetime as dt

import pytest

from assistant import db, questions
from indexer.gaps import read_unanswered

pytestmark = pytest.mark.store  # on SQLite and PostgreSQL (tests/conftest.py)

QUESTION = {"question": "Comment désactiver l'authentification à deux facteurs ?"}


def test_every_question_is_logged_without_the_email(app, client):
    answer = client.post("/api/v1/ask", json=QUESTION | {"email": "ana@example.com"}).get_json()
    assert answer["question_id"]
    app.extensions["questions"].flush()  # written in batches by the log's thread
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
    app.extensions["questions"].flush()
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


def test_no_answer_waits_for_the_log_and_nothing_asked_is_lost(instance, built_index):
    """With a long flush interval the rows wait in memory; whatever reads the log writes them first."""
    from assistant import create_app

    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "RELOAD_POLL_SECONDS": 0, "QUESTION_LOG_FLUSH_SECONDS": 3600})
    client = app.test_client()
    ids = [client.post("/api/v1/ask", json={"question": q}).get_json()["question_id"]
           for q in ("Who pays my invoices?", "Wie backe ich einen Apfelkuchen?", "2fa off")]
    with app.extensions["db"].connect() as conn:
        assert conn.execute(db.questions.select()).all() == []  # nothing written on the request path
    assert client.post("/api/v1/feedback", json={"question_id": ids[0], "helpful": False}).status_code == 201
    with app.extensions["db"].connect() as conn:
        assert {row.public_id for row in conn.execute(db.questions.select())} == set(ids)
    app.extensions["db"].dispose()


def test_a_repeated_question_is_answered_from_the_cache_of_its_version(app, client):
    served = app.extensions["knowledge"].current()
    first = client.post("/api/v1/ask", json={"question": "Who pays my invoices?"}).get_json()
    again = client.post("/api/v1/ask", json={"question": "Who pays my invoices?"}).get_json()
    assert (served.answers.misses, served.answers.hits) == (1, 1)
    assert first["question_id"] != again["question_id"]  # each ask is still its own logged question
    assert {k: v for k, v in first.items() if k != "question_id"} == {k: v for k, v in again.items() if k != "question_id"}
    client.post("/api/v1/ask", json={"question": "Who pays my invoices?", "lang": "de"})
    assert served.answers.misses == 2  # the chosen language is part of the question
