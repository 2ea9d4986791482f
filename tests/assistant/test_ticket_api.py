"""The supplier's ticket API over HTTP: raise, look up, reply, accept, reject; escalation from /ask."""
import pytest
from sqlalchemy import func, select

from assistant import db
from tests.assistant.support import matches_document

pytestmark = pytest.mark.store  # on SQLite and PostgreSQL (tests/conftest.py)

KEY = "X-Ticket-Key"


def ticket_count(app) -> int:
    with app.extensions["db"].connect() as conn:
        return conn.execute(select(func.count()).select_from(db.tickets)).scalar_one()


def test_raise_a_ticket(client):
    response = client.post("/api/v1/tickets", json={
        "email": "Ana@Example.com", "name": "Ana Lima", "subject": "Rechnung nicht bezahlt",
        "description": "Unsere Rechnung INV-7 vom März wurde noch nicht bezahlt.", "country": "de",
        "supplier_name": "Lima GmbH", "supplier_number": "S-1001", "invoice_numbers": ["INV-7"], "po_numbers": "PO-45",
    })
    assert response.status_code == 201
    matches_document("/api/v1/tickets", "post", response)
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/tickets/{body['number']}"
    assert (body["status"], body["priority"], body["lang"], body["country"]) == ("new", "normal", "de", "DE")
    assert body["email"] == "ana@example.com"
    assert body["references"] == {"invoice_numbers": ["INV-7"], "po_numbers": ["PO-45"]}
    assert [h["kind"] for h in body["history"]] == ["created"]
    assert len(body["reference"]) >= 10


def test_look_up_with_the_reference_code(client, raise_ticket):
    number, reference, _ = raise_ticket()
    response = client.get(f"/api/v1/tickets/{number}", headers={KEY: reference})
    assert response.status_code == 200
    matches_document("/api/v1/tickets/{number}", "get", response)
    assert response.get_json()["number"] == number
    assert "reference" not in response.get_json() and "key_hash" not in response.get_json()
    assert client.get(f"/api/v1/tickets/{number.lower()}", headers={KEY: reference.lower()}).status_code == 200


def test_unknown_number_and_wrong_key_are_the_same_404(client, raise_ticket):
    number, reference, _ = raise_ticket()
    other = "CS0000000" if number != "CS0000000" else "CS0000001"
    wrong_key = reference[:-1] + ("A" if reference[-1] != "A" else "B")
    responses = [
        client.get(f"/api/v1/tickets/{other}", headers={KEY: reference}),  # unknown number
        client.get(f"/api/v1/tickets/{number}", headers={KEY: wrong_key}),  # wrong key
        client.get(f"/api/v1/tickets/{number}"),  # no key
        client.get(f"/api/v1/tickets/{number}", headers={KEY: ""}),  # empty key
        client.get("/api/v1/tickets/not-a-number", headers={KEY: reference}),  # malformed number
        client.post(f"/api/v1/tickets/{number}/reply", json={"message": "hi"}, headers={KEY: wrong_key}),
    ]
    first = responses[0]
    assert first.status_code == 404
    matches_document("/api/v1/tickets/{number}", "get", first)
    route_headers = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"}
    for response in responses[1:]:
        assert response.status_code == 404
        assert response.get_data() == first.get_data()
        # rate-limit headers depend on the route, never on whether the ticket exists
        assert sorted(set(response.headers.keys()) - route_headers) == sorted(first.headers.keys())
    unknown = client.post(f"/api/v1/tickets/{other}/reply", json={"message": "hi"}, headers={KEY: reference})
    assert unknown.get_data() == responses[-1].get_data()
    assert sorted(unknown.headers.keys()) == sorted(responses[-1].headers.keys())


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": None}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"description": None}, "description"),
        ({"country": "XX"}, "country"),
        ({"invoice_numbers": [1, 2]}, "invoice_numbers"),
        ({"po_numbers": ["PO"] * 21}, "po_numbers"),
        ({"previous_number": "12345"}, "previous_number"),
    ],
)
def test_bad_ticket_fields_are_422_and_create_nothing(app, client, change, field):
    body = {"email": "a@example.com", "subject": "Help", "description": "Details", **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post("/api/v1/tickets", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field
    matches_document("/api/v1/tickets", "post", response)
    assert ticket_count(app) == 0


def test_unknown_language_is_refused(client):
    response = client.post("/api/v1/tickets", json={"email": "a@example.com", "subject": "s", "description": "d", "lang": "es"})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_language"


def test_reply_accept_and_the_closed_ticket_cannot_reopen(client, ticket_store, raise_ticket):
    number, reference, _ = raise_ticket()
    headers = {KEY: reference}
    ticket_store.apply(number, "request_info", message="Which PO?")
    replied = client.post(f"/api/v1/tickets/{number}/reply", json={"message": "PO-45"}, headers=headers)
    assert replied.status_code == 200 and replied.get_json()["status"] == "open"
    matches_document("/api/v1/tickets/{number}/reply", "post", replied)
    ticket_store.apply(number, "propose_solution", message="Paid on Monday.")
    accepted = client.post(f"/api/v1/tickets/{number}/accept", headers=headers)
    assert accepted.status_code == 200
    assert (accepted.get_json()["status"], accepted.get_json()["resolution"]) == ("closed", "accepted")
    for path, body in (("reply", {"message": "one more thing"}), ("reject", {"comment": "no"}), ("accept", {})):
        refused = client.post(f"/api/v1/tickets/{number}/{path}", json=body, headers=headers)
        assert refused.status_code == 409
        matches_document(f"/api/v1/tickets/{{number}}/{path}", "post", refused)
        error = refused.get_json()["error"]
        assert error["code"] == "ticket_closed" and "open a new ticket" in error["message"].lower()
    _, _, follow_up = raise_ticket(previous_number=number)
    assert follow_up["previous_number"] == number and follow_up["number"] != number


def test_reject_needs_a_comment_and_reopens(client, ticket_store, raise_ticket):
    number, reference, _ = raise_ticket()
    ticket_store.apply(number, "propose_solution", message="Paid on Monday.")
    missing = client.post(f"/api/v1/tickets/{number}/reject", json={}, headers={KEY: reference})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "comment"
    rejected = client.post(f"/api/v1/tickets/{number}/reject", json={"comment": "Nothing arrived."}, headers={KEY: reference})
    assert rejected.status_code == 200
    body = rejected.get_json()
    assert body["status"] == "reopened"
    assert (body["history"][-1]["kind"], body["history"][-1]["message"]) == ("reject", "Nothing arrived.")


def test_reply_while_a_solution_waits_is_a_409(client, ticket_store, raise_ticket):
    number, reference, _ = raise_ticket()
    ticket_store.apply(number, "propose_solution", message="Paid.")
    response = client.post(f"/api/v1/tickets/{number}/reply", json={"message": "?"}, headers={KEY: reference})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "invalid_transition"


def test_unanswered_question_with_email_becomes_a_ticket(app, client):
    response = client.post("/api/v1/ask", json={
        "question": "Quel temps fera-t-il à Lyon demain ?", "email": "Ana@Example.com", "name": "Ana", "country": "FR"})
    body = response.get_json()
    assert body["answered"] is False and body["escalation"] is None
    ticket = body["ticket"]
    assert set(ticket) == {"number", "reference", "status", "lang"}
    assert (ticket["status"], ticket["lang"]) == ("new", "fr")
    stored = client.get(f"/api/v1/tickets/{ticket['number']}", headers={KEY: ticket["reference"]}).get_json()
    assert stored["question"] == "Quel temps fera-t-il à Lyon demain ?"
    assert (stored["detected_lang"], stored["email"], stored["name"], stored["country"]) == ("fr", "ana@example.com", "Ana", "FR")
    assert [c["article_id"] for c in stored["articles_tried"]] == [c["article_id"] for c in body["candidates"]]


def test_unanswered_question_without_email_asks_for_it_and_creates_nothing(app, client):
    body = client.post("/api/v1/ask", json={"question": "明天北京会下雨吗？"}).get_json()
    assert body["ticket"] is None and body["escalation"] == {"needs": ["email", "name"]}
    assert ticket_count(app) == 0


def test_answered_question_with_email_creates_no_ticket(app, client):
    body = client.post("/api/v1/ask", json={"question": "How can I turn on two-factor authentication?",
                                            "email": "a@example.com"}).get_json()
    assert body["answered"] is True and body["ticket"] is None
    assert ticket_count(app) == 0


def test_language_is_detected_when_not_given(client, raise_ticket):
    _, _, body = raise_ticket(lang=None, subject="인보이스 결제", description="송장 INV-7 대금이 아직 입금되지 않았습니다.")
    assert body["lang"] == "ko"


def test_raising_tickets_is_rate_limited_per_client(app, client, raise_ticket):
    app.config["RATE_LIMIT_TICKETS"] = "2 per minute"
    raise_ticket()
    raise_ticket()
    response = client.post("/api/v1/tickets", json={"email": "a@example.com", "subject": "s", "description": "d"})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"
    assert ticket_count(app) == 2
