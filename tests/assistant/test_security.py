"""Cross-site requests, secrets from the environment, the instance key, and inputs that used to be 500s."""
import multiprocessing
from pathlib import Path

import pytest

from assistant import _instance_secret, create_app

ORIGIN = {"Origin": "https://evil.example"}


def test_cross_site_writes_are_refused_but_reads_and_same_site_pass(client, raise_ticket):
    number, reference, _ = raise_ticket()
    headers = {"X-Ticket-Key": reference}
    refused = client.post(f"/api/v1/tickets/{number}/reply", json={"message": "hi"}, headers=headers | ORIGIN)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "cross_site"
    assert client.post("/api/v1/ask", json={"question": "PO?"}, headers={"Origin": "null"}).status_code == 403
    assert client.get(f"/api/v1/tickets/{number}", headers=headers | ORIGIN).status_code == 200
    same = client.post(f"/api/v1/tickets/{number}/reply", json={"message": "hi"}, headers=headers | {"Origin": "http://localhost"})
    assert same.status_code == 200
    assert client.post("/api/v1/ask", json={"question": "PO?"}).status_code == 200  # no Origin: not a browser


def test_editors_session_ends_when_the_admin_token_changes(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "ADMIN_TOKEN": "first",
                      "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0})
    client = app.test_client()
    assert client.post("/editors/login", data={"token": "first"}).status_code == 303
    assert client.get("/api/v1/admin/report").status_code == 200
    app.config["ADMIN_TOKEN"] = "second"
    assert client.get("/api/v1/admin/report").status_code == 401
    assert client.get("/editors").status_code == 401
    app.config["ADMIN_TOKEN"] = ""
    assert client.get("/api/v1/admin/report").status_code == 401


def test_numeric_tokens_from_the_environment_still_work(instance, built_index, monkeypatch):
    monkeypatch.setenv("ASSISTANT_AGENT_TOKEN", "90817263544536271809")
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "RELOAD_POLL_SECONDS": 0})
    assert app.config["AGENT_TOKEN"] == "90817263544536271809"
    headers = {"Authorization": "Bearer 90817263544536271809"}
    assert app.test_client().get("/api/v1/agent/tickets", headers=headers).status_code == 200


def test_an_unknown_business_time_zone_stops_the_start(instance, built_index):
    with pytest.raises(ValueError, match="Europe/Pariss"):
        create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BUSINESS_TIMEZONE": "Europe/Pariss",
                    "BACKGROUND_WORKER": False})


def _read_secret(folder: str, queue) -> None:
    queue.put(_instance_secret(Path(folder)))


def test_workers_starting_together_share_one_secret_key(tmp_path):
    for attempt in range(5):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        queue = multiprocessing.get_context("fork").Queue()
        workers = [multiprocessing.get_context("fork").Process(target=_read_secret, args=(str(folder), queue)) for _ in range(4)]
        for worker in workers:
            worker.start()
        keys = {queue.get(timeout=20) for _ in workers}
        for worker in workers:
            worker.join()
        assert len(keys) == 1 and len(keys.pop()) == 64


@pytest.mark.parametrize(
    "url, payload, status",
    [
        ("/api/v1/ask", {"question": "PO?", "lang": ["en"]}, 422),
        ("/api/v1/ask", {"question": "PO?", "lang": {}}, 422),
        ("/api/v1/ask", '{"question": "PO \\ud800?"}', 400),  # a lone surrogate, as JSON escapes it: not text
        ("/api/v1/feedback", '{"question_id": "x\\ud800", "helpful": true}', 400),
        ("/api/v1/feedback", '{"x\\udfff": 1, "question_id": "x", "helpful": true}', 400),  # in a key too
        ("/api/v1/session/code", {"email": "a@example.com", "lang": ["fr"]}, 422),
    ],
)
def test_odd_json_values_are_clear_errors(client, url, payload, status):
    if isinstance(payload, str):
        response = client.post(url, data=payload, content_type="application/json")
    else:
        response = client.post(url, json=payload)
    assert response.status_code == status and response.get_json()["error"]["message"]


def test_deeply_nested_json_is_a_400(client):
    response = client.post("/api/v1/ask", data="[" * 20000, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_json"


def test_odd_query_values_are_clear_errors(client, agent_headers, app):
    assert client.get("/api/v1/agent/tickets?limit=²", headers=agent_headers).status_code == 400
    app.config["ADMIN_TOKEN"] = "t"
    for since in ("99999999999d", "0001-01-01T00:00:00+14:00"):
        response = client.get(f"/api/v1/admin/report?since={since}", headers={"Authorization": "Bearer t"})
        assert response.status_code in (200, 400), since
        assert response.get_json()


def test_asking_with_an_email_spends_the_ticket_budget(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "RATE_LIMIT_TICKETS": "2 per minute",
                      "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0})
    client = app.test_client()
    unanswerable = {"question": "Wie backe ich einen Apfelkuchen?", "email": "x@example.com", "name": "X"}
    assert [client.post("/api/v1/ask", json=unanswerable).status_code for _ in range(3)] == [200, 200, 429]
    assert client.post("/api/v1/ask", json={"question": "Who pays my invoices?"}).status_code == 200


def test_attachments_reach_agents_with_the_extension_of_their_checked_type(client, agent_headers):
    data = {"email": "a@example.com", "subject": "Script", "description": "See file.",
            "attachments": [(__import__("io").BytesIO(b"alert('hi')\n"), "invoice.js")]}
    created = client.post("/api/v1/tickets", data=data, content_type="multipart/form-data").get_json()
    attachment = created["attachments"][0]
    response = client.get(f"/api/v1/agent/tickets/{created['number']}/attachments/{attachment['id']}", headers=agent_headers)
    assert response.status_code == 200
    assert 'filename=invoice.js.txt' in response.headers["Content-Disposition"]


def test_one_address_gets_a_bounded_number_of_new_tickets(app, client):
    app.config["TICKETS_PER_ADDRESS_PER_HOUR"] = 2
    body = {"email": "victim@example.com", "subject": "Hello", "description": "Spam?"}
    assert [client.post("/api/v1/tickets", json=body).status_code for _ in range(3)] == [201, 201, 429]
    ask = client.post("/api/v1/ask", json={"question": "Wie backe ich einen Apfelkuchen?", "email": "victim@example.com"})
    assert ask.status_code == 429 and int(ask.headers["Retry-After"]) >= 1
    assert client.post("/api/v1/tickets", json=body | {"email": "other@example.com"}).status_code == 201


@pytest.fixture
def staff_app(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "ADMIN_TOKEN": "admin-token-for-tests",
                      "AGENT_TOKEN": "agent-token-for-tests", "RATE_LIMIT_STAFF_FAILURES": "5 per minute",
                      "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0})
    yield app
    app.extensions["db"].dispose()


STAFF_DOORS = [
    ("get", "/api/v1/admin/status", "ADMIN"),
    ("get", "/api/v1/agent/tickets", "AGENT"),
]


@pytest.mark.parametrize("method, url, who", STAFF_DOORS)
def test_wrong_staff_tokens_are_throttled_but_the_right_one_passes(staff_app, caplog, method, url, who):
    client = staff_app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"203.0.113.{len(who)}"
    right = {"Authorization": f"Bearer {who.lower()}-token-for-tests"}
    statuses = [getattr(client, method)(url, headers={"Authorization": f"Bearer guess-{i}"}).status_code
                for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    refused = getattr(client, method)(url, headers={"Authorization": "Bearer guess-9"})
    assert int(refused.headers["Retry-After"]) >= 1 and refused.get_json()["error"]["code"] == "rate_limited"
    assert all(getattr(client, method)(url, headers=right).status_code == 200 for _ in range(20))
    assert "wrong" in caplog.text and "throttled" in caplog.text
    other = staff_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert getattr(other, method)(url, headers={"Authorization": "Bearer guess"}).status_code == 401


def test_editors_sign_in_is_throttled_after_wrong_tokens(staff_app):
    client = staff_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.50"
    statuses = [client.post("/editors/login", data={"token": f"guess-{i}"}).status_code for i in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    assert client.post("/editors/login", data={"token": "admin-token-for-tests"}).status_code == 303
