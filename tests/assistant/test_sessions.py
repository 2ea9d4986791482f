"""Supplier sessions: a one-time email code, then the address's 5 most recent tickets."""
import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from assistant import db
from assistant.tickets.mail import outgoing as notifications

pytestmark = pytest.mark.store  # on SQLite and PostgreSQL (tests/conftest.py)

UTC = dt.timezone.utc


def sent_code(app, email: str) -> str:
    """The code in the newest session-code mail to ``email`` (the mail table is the outbox, its bodies sealed)."""
    codes = [m for m in notifications.pending(app.extensions["db"], app.config["MAIL_KEY"], email) if m.kind == "session_code"]
    return re.search(r"\b\d{6}\b", codes[-1].body).group()


def ask_code(client, email="ana@example.com", lang="en"):
    return client.post("/api/v1/session/code", json={"email": email, "lang": lang})


def log_in(client, app, email="ana@example.com"):
    assert ask_code(client, email).status_code == 202
    response = client.post("/api/v1/session", json={"email": email, "code": sent_code(app, email)})
    assert response.status_code == 200, response.get_json()
    return response


def test_code_then_session_then_the_five_most_recent_tickets(app, client, raise_ticket):
    mine = [raise_ticket(email="ana@example.com", subject=f"Question {i}")[0] for i in range(7)]
    raise_ticket(email="someone@else.example")
    response = ask_code(client, "Ana@Example.com", "de")
    assert response.status_code == 202 and response.get_json() == {"sent": True, "expires_in": 600}
    with app.extensions["db"].connect() as conn:
        mail = conn.execute(select(db.mail).where(db.mail.c.kind == "session_code")).one()
        stored = conn.execute(select(db.session_codes.c.code_hash)).scalar_one()
    assert (mail.lang, mail.to_addr, mail.subject) == ("de", "ana@example.com", "Ihr Bestätigungscode für Procuree")
    code = sent_code(app, "ana@example.com")
    assert code not in stored and len(stored) == 64  # only an HMAC is kept
    opened = client.post("/api/v1/session", json={"email": "ana@example.com", "code": code})
    assert opened.status_code == 200 and opened.get_json()["email"] == "ana@example.com"
    cookie = opened.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    listed = client.get("/api/v1/tickets")
    assert listed.status_code == 200
    body = listed.get_json()
    assert [t["number"] for t in body["tickets"]] == list(reversed(mine))[:5]
    assert all(set(t) >= {"number", "subject", "status", "created_at"} for t in body["tickets"])


def test_listing_needs_a_session(client):
    response = client.get("/api/v1/tickets")
    assert response.status_code == 401 and "session/code" in response.get_json()["error"]["message"]


def test_a_session_opens_its_own_tickets_without_a_key_and_no_others(app, client, raise_ticket):
    mine, _, _ = raise_ticket(email="ana@example.com")
    theirs, _, _ = raise_ticket(email="bob@example.com")
    log_in(client, app)
    assert client.get(f"/api/v1/tickets/{mine}").status_code == 200
    foreign = client.get(f"/api/v1/tickets/{theirs}")
    unknown = client.get("/api/v1/tickets/CS0000000" if mine != "CS0000000" else "/api/v1/tickets/CS0000001")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.get_data() == unknown.get_data()


def test_five_wrong_codes_use_up_the_code(app, client):
    ask_code(client)
    code = sent_code(app, "ana@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        response = client.post("/api/v1/session", json={"email": "ana@example.com", "code": wrong})
        assert response.status_code == 401
        assert response.get_json()["error"]["attempts_left"] == left
    response = client.post("/api/v1/session", json={"email": "ana@example.com", "code": code})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "too_many_attempts"
    assert client.get("/api/v1/tickets").status_code == 401


def test_an_expired_code_is_refused(app, client):
    ask_code(client)
    code = sent_code(app, "ana@example.com")
    with app.extensions["db"].begin() as conn:
        conn.execute(update(db.session_codes).values(expires_at=dt.datetime.now(UTC) - dt.timedelta(seconds=1)))
    response = client.post("/api/v1/session", json={"email": "ana@example.com", "code": code})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "code_expired"


def test_a_code_works_once_and_a_new_code_replaces_the_old(app, client):
    ask_code(client)
    old = sent_code(app, "ana@example.com")
    ask_code(client)
    new = sent_code(app, "ana@example.com")
    if old != new:
        assert client.post("/api/v1/session", json={"email": "ana@example.com", "code": old}).status_code == 401
    assert client.post("/api/v1/session", json={"email": "ana@example.com", "code": new}).status_code == 200
    again = client.post("/api/v1/session", json={"email": "ana@example.com", "code": new})
    assert again.status_code == 401


def test_codes_per_hour_are_limited(client):
    for _ in range(5):
        assert ask_code(client).status_code == 202
    response = ask_code(client)
    assert response.status_code == 429
    assert ask_code(client, "other@example.com").status_code == 202


def test_the_session_expires_and_can_be_closed(app, client):
    log_in(client, app)
    assert client.get("/api/v1/tickets").status_code == 200
    with client.session_transaction() as session:
        session["supplier"] = {**session["supplier"], "until": 0}
    assert client.get("/api/v1/tickets").status_code == 401
    log_in(client, app)
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/tickets").status_code == 401


def test_a_forged_session_cookie_is_ignored(app, client):
    client.set_cookie("session", "eyJzdXBwbGllciI6eyJlbWFpbCI6ImFuYUBleGFtcGxlLmNvbSIsInVudGlsIjo5OTk5OTk5OTk5fX0.forged.sig")
    assert client.get("/api/v1/tickets").status_code == 401


def test_bad_session_input(client):
    assert client.post("/api/v1/session/code", json={"email": "nope"}).status_code == 422
    assert client.post("/api/v1/session", json={"email": "ana@example.com"}).status_code == 422
    assert client.post("/api/v1/session", json={"email": "ana@example.com", "code": "123456"}).status_code == 401


def test_code_requests_are_rate_limited_per_client(app, client):
    app.config["RATE_LIMIT_SESSION"] = "2 per minute"
    assert ask_code(client, "a@example.com").status_code == 202
    assert ask_code(client, "b@example.com").status_code == 202
    assert ask_code(client, "c@example.com").status_code == 429
