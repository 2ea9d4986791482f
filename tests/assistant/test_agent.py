"""The agent API (bearer token) and the accept/reject links the supplier gets by email."""
import re
from urllib.parse import urlsplit

import pytest

from assistant.tickets.mail import outgoing as notifications
from tests.assistant.support import matches_document

pytestmark = pytest.mark.store  # on SQLite and PostgreSQL (tests/conftest.py)


def mails(app, kind: str | None = None) -> list[notifications.PendingMail]:
    """The unsent mails (``kind`` only, if given), bodies opened with the app's MAIL_KEY."""
    queued = notifications.pending(app.extensions["db"], app.config["MAIL_KEY"])
    return [mail for mail in queued if kind is None or mail.kind == kind]


def decision_links(app) -> dict[str, str]:
    """The accept and reject paths (with their tokens) in the newest 'solution proposed' mail."""
    body = mails(app, "solution_proposed")[-1].body
    links = re.findall(r"https?://\S+/tickets/CS\d{7}/(?:accept|reject)\?token=\S+", body)
    return {urlsplit(url).path.rsplit("/", 1)[1]: urlsplit(url).path + "?" + urlsplit(url).query for url in links}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "agent-token-for-tests"}, {"Authorization": "Basic agent-token-for-tests"},
     {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer "}],
)
def test_the_agent_api_needs_the_bearer_token(client, agent_headers, headers):
    response = client.get("/api/v1/agent/tickets", headers=headers)
    assert response.status_code == 401
    matches_document("/api/v1/agent/tickets", "get", response)


def test_an_empty_agent_token_turns_the_api_off(app, client):
    app.config["AGENT_TOKEN"] = ""
    assert client.get("/api/v1/agent/tickets", headers={"Authorization": "Bearer "}).status_code == 401


def test_list_filter_and_business_critical_first(client, agent_headers, raise_ticket):
    normal, _, _ = raise_ticket(subject="Oldest, normal")
    high, _, _ = raise_ticket(subject="Second, high")
    critical, _, _ = raise_ticket(subject="Newest, critical", email="bob@example.com")
    for number, priority in ((high, "high"), (critical, "business_critical")):
        response = client.post(f"/api/v1/agent/tickets/{number}/priority", json={"priority": priority}, headers=agent_headers)
        assert response.status_code == 200
        matches_document("/api/v1/agent/tickets/{number}/priority", "post", response)
    listed = client.get("/api/v1/agent/tickets", headers=agent_headers)
    matches_document("/api/v1/agent/tickets", "get", listed)
    assert [t["number"] for t in listed.get_json()["tickets"]] == [critical, high, normal]

    def numbers(query: str) -> list[str]:
        response = client.get(f"/api/v1/agent/tickets?{query}", headers=agent_headers)
        assert response.status_code == 200, response.get_json()
        return [t["number"] for t in response.get_json()["tickets"]]

    assert numbers("priority=high") == [high]
    assert numbers("status=new") == [normal]
    assert numbers("status=open") == [critical, high]
    assert numbers("email=BOB@example.com") == [critical]
    assert numbers("q=oldest") == [normal]
    assert numbers(f"q={high}") == [high]
    assert numbers("limit=1&offset=1") == [high]
    client.post(f"/api/v1/agent/tickets/{normal}/close", headers=agent_headers)
    assert numbers("status=active") == [critical, high]
    assert numbers("status=closed") == [normal]
    assert client.get("/api/v1/agent/tickets?status=lost", headers=agent_headers).status_code == 400  # a query: 400
    assert client.get("/api/v1/agent/tickets?limit=0", headers=agent_headers).status_code == 400


def test_request_info_mails_the_supplier_in_the_ticket_language(app, client, agent_headers, raise_ticket):
    number, _, _ = raise_ticket(lang="ko", name="김민수", subject="송장 미지급")
    response = client.post(f"/api/v1/agent/tickets/{number}/request-info",
                           json={"message": "PO 번호를 알려 주세요.", "agent": "mina"}, headers=agent_headers)
    assert response.status_code == 200
    matches_document("/api/v1/agent/tickets/{number}/request-info", "post", response)
    body = response.get_json()
    assert body["status"] == "info_requested"
    assert (body["history"][-1]["actor"], body["history"][-1]["message"]) == ("agent:mina", "PO 번호를 알려 주세요.")
    created, asked = mails(app, "created")[-1], mails(app, "info_requested")[-1]
    assert created.lang == "ko" and number in created.subject
    assert asked.subject == f"[{number}] 추가 정보 요청: 송장 미지급"
    assert asked.body.startswith("김민수님, 안녕하세요.") and "PO 번호를 알려 주세요." in asked.body
    assert client.post(f"/api/v1/agent/tickets/{number}/request-info", json={}, headers=agent_headers).status_code == 422


def test_unknown_ticket_and_forbidden_change(client, agent_headers, raise_ticket):
    missing = client.get("/api/v1/agent/tickets/CS9999999", headers=agent_headers)  # no ticket exists yet
    assert missing.status_code == 404
    matches_document("/api/v1/agent/tickets/{number}", "get", missing)
    assert client.get("/api/v1/agent/tickets/nonsense", headers=agent_headers).status_code == 404
    number, _, _ = raise_ticket()
    client.post(f"/api/v1/agent/tickets/{number}/close", json={"message": "Duplicate of CS1234567."}, headers=agent_headers)
    response = client.post(f"/api/v1/agent/tickets/{number}/propose-solution", json={"message": "x"}, headers=agent_headers)
    assert response.status_code == 409
    matches_document("/api/v1/agent/tickets/{number}/propose-solution", "post", response)
    closed = client.get(f"/api/v1/agent/tickets/{number}", headers=agent_headers).get_json()
    assert (closed["status"], closed["resolution"]) == ("closed", "closed_by_agent")


def test_the_emailed_accept_link_confirms_before_it_closes(app, client, agent_headers, raise_ticket):
    number, _, _ = raise_ticket(lang="fr", name="Ana", subject="Facture impayée")
    client.post(f"/api/v1/agent/tickets/{number}/propose-solution", json={"message": "Payée lundi."}, headers=agent_headers)
    mail = mails(app, "solution_proposed")[-1]
    assert mail.subject == f"[{number}] Solution proposée : Facture impayée" and "Payée lundi." in mail.body
    links = decision_links(app)
    assert set(links) == {"accept", "reject"}
    page = client.get(links["accept"])  # what a mail scanner or the supplier's click does
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Accepter la solution proposée" in page.get_data(as_text=True)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert client.get(f"/api/v1/agent/tickets/{number}", headers=agent_headers).get_json()["status"] == "solution_proposed"
    token = links["accept"].split("token=")[1]
    done = client.post(links["accept"].split("?")[0], data={"token": token})
    assert done.status_code == 200 and f"Le ticket {number} est clôturé." in done.get_data(as_text=True)
    ticket = client.get(f"/api/v1/agent/tickets/{number}", headers=agent_headers).get_json()
    assert (ticket["status"], ticket["resolution"]) == ("closed", "accepted")
    closed_mail = mails(app, "closed")[-1]
    assert "Vous avez accepté la solution proposée." in closed_mail.body
    again = client.post(links["accept"].split("?")[0], data={"token": token})
    assert again.status_code == 409


def test_the_emailed_reject_link_needs_a_comment(app, client, agent_headers, raise_ticket):
    number, _, _ = raise_ticket(lang="de")
    client.post(f"/api/v1/agent/tickets/{number}/propose-solution", json={"message": "Bezahlt."}, headers=agent_headers)
    path, token = decision_links(app)["reject"].split("?token=")
    assert "Warum löst sie Ihr Problem nicht?" in client.get(f"{path}?token={token}").get_data(as_text=True)
    empty = client.post(path, data={"token": token, "comment": "  "})
    assert empty.status_code == 422
    done = client.post(path, data={"token": token, "comment": "Kein Geld angekommen."})
    assert done.status_code == 200
    ticket = client.get(f"/api/v1/agent/tickets/{number}", headers=agent_headers).get_json()
    assert (ticket["status"], ticket["history"][-1]["message"]) == ("reopened", "Kein Geld angekommen.")


def test_decision_links_do_not_travel(app, client, agent_headers, raise_ticket):
    first, _, _ = raise_ticket()
    second, reference, _ = raise_ticket()
    for number in (first, second):
        client.post(f"/api/v1/agent/tickets/{number}/propose-solution", json={"message": "Paid."}, headers=agent_headers)
    token = decision_links(app)["accept"].split("token=")[1]  # made for the second ticket
    assert client.post(f"/tickets/{first}/accept", data={"token": token}).status_code == 409
    assert client.post(f"/tickets/{second}/reject", data={"token": token, "comment": "x"}).status_code == 409
    assert client.post(f"/tickets/{second}/accept", data={"token": token + "x"}).status_code == 409
    # rejected, then a new proposal: the first proposal's link is stale, the new one works
    client.post(f"/api/v1/tickets/{second}/reject", json={"comment": "No."}, headers={"X-Ticket-Key": reference})
    client.post(f"/api/v1/agent/tickets/{second}/propose-solution", json={"message": "Paid again."}, headers=agent_headers)
    assert client.post(f"/tickets/{second}/accept", data={"token": token}).status_code == 409
    fresh = decision_links(app)["accept"].split("token=")[1]
    assert client.post(f"/tickets/{second}/accept", data={"token": fresh}).status_code == 200
    assert client.get(f"/api/v1/agent/tickets/{first}", headers=agent_headers).get_json()["status"] == "solution_proposed"
