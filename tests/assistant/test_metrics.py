"""/metrics: what it counts, who may read it, and gunicorn's workers summed in multiprocess mode."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from assistant import create_app, db
from tests.assistant.support import ask_beside_a_held_worker, free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
TOKEN = "metrics-token-for-tests"


def samples(text: str) -> dict[tuple, float]:
    """``{(name, (label, value), ...): value}`` of a scrape in the Prometheus text format."""
    return {(s.name, *sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, *sorted(labels.items())), 0.0)


def scrape(client, headers=None) -> dict:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    return samples(response.get_data(as_text=True))


@pytest.fixture
def metrics_app(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "RELOAD_POLL_SECONDS": 0, "TESTING": True})
    yield app
    app.extensions["db"].dispose()


def test_a_scrape_counts_routes_answers_per_language_and_the_queues(metrics_app):
    client = metrics_app.test_client()
    asked = {"en": "Who pays my invoices?", "de": "Wer bezahlt meine Rechnungen?", "fr": "Comment désactiver la 2FA ?"}
    outcomes = {lang: client.post("/api/v1/ask", json={"question": q}).get_json()["outcome"] for lang, q in asked.items()}
    weather = client.post("/api/v1/ask", json={"question": "Will it rain in Taipei tomorrow?"}).get_json()
    assert client.get("/api/v1/articles/csp-who-pays?lang=de").status_code == 200
    assert client.get("/no/such/page-4711").status_code == 404
    ticket = client.post("/api/v1/tickets", json={
        "email": "ana.lima@example.com", "name": "Ana Lima", "subject": "Invoice INV-7 unpaid",
        "description": "Our invoice INV-7 from March is still unpaid.", "lang": "en"})
    assert ticket.status_code == 201

    response = client.get("/metrics")
    text, now = response.get_data(as_text=True), samples(response.get_data(as_text=True))
    assert outcomes == {"en": "answered", "de": "answered", "fr": "answered"}
    for lang in asked:
        assert value(now, "procuree_answers_total", lang=lang, outcome="answered") == 1
    assert value(now, "procuree_answers_total", lang=weather["lang"], outcome=weather["outcome"]) == 1
    assert weather["outcome"] in ("suggested", "escalated")
    assert value(now, "procuree_http_requests_total", method="POST", route="/api/v1/ask", status="200") == 4
    assert value(now, "procuree_http_request_duration_seconds_count", method="POST", route="/api/v1/ask") == 4
    assert value(now, "procuree_http_requests_total", method="GET", route="/api/v1/articles/<article_id>",
                 status="200") == 1
    assert value(now, "procuree_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert value(now, "procuree_http_requests_total", method="POST", route="/api/v1/tickets", status="201") == 1
    assert "page-4711" not in text and "csp-who-pays" not in text  # routes, never raw paths
    assert "ana.lima" not in text and "Taipei" not in text and "INV-7" not in text  # no personal data
    assert (value(now, "procuree_outbox_undelivered"), value(now, "procuree_outbox_due"),
            value(now, "procuree_outbox_dead_letters")) == (1, 1, 0)  # the ticket's "created" event
    assert value(now, "procuree_mail_unsent") == 1 and value(now, "procuree_mail_dead_letters") == 0
    assert value(now, "procuree_database_up") == 1
    version = metrics_app.extensions["knowledge"].current().version
    assert value(now, "procuree_knowledge_version_info", version=version) == 1
    assert value(now, "procuree_knowledge_reload_errors_total") == 0

    with metrics_app.extensions["db"].begin() as conn:  # the event given up on: a dead letter
        conn.execute(update(db.outbox).values(dead_at=db.utcnow()))
    later = scrape(client)
    assert (value(later, "procuree_outbox_undelivered"), value(later, "procuree_outbox_dead_letters")) == (0, 1)
    assert value(later, "procuree_http_requests_total", method="GET", route="/metrics", status="200") == 1


def test_a_metrics_token_is_asked_for_in_the_usual_error_shape(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "RELOAD_POLL_SECONDS": 0, "METRICS_TOKEN": TOKEN})
    client = app.test_client()
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = client.get("/metrics", headers=headers)
            assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
            assert refused.get_json() == {"error": {"code": "unauthorized", "message":
                                                    "This endpoint needs 'Authorization: Bearer <METRICS_TOKEN>'."}}
        right = {"Authorization": f"Bearer {TOKEN}"}
        assert all(client.get("/metrics", headers=right).status_code == 200 for _ in range(30))  # never limited
    finally:
        app.extensions["db"].dispose()


def test_failed_knowledge_reloads_are_counted_and_the_version_stays(instance, built_index, knowledge_copy):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "KNOWLEDGE": str(knowledge_copy),
                      "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0, "SEMANTIC": False})
    held, client = app.extensions["knowledge"], app.test_client()
    try:
        version = held.current().version
        (knowledge_copy / "broken.yaml").write_text("id: broken\ncategory: [oops\n", encoding="utf-8")
        assert held.reload_if_changed(force=True) is False
        assert held.reload_if_changed(force=True) is False
        now = scrape(client)
        assert value(now, "procuree_knowledge_reload_errors_total") == 2
        assert value(now, "procuree_knowledge_version_info", version=version) == 1
    finally:
        app.extensions["db"].dispose()


def test_metrics_off_means_no_endpoint(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "RELOAD_POLL_SECONDS": 0, "METRICS": False})
    try:
        assert app.test_client().get("/metrics").status_code == 404
        assert "metrics" not in app.extensions
    finally:
        app.extensions["db"].dispose()


# --- gunicorn -w 2: multiprocess mode -----------------------------------------------------------------------

def http(url: str, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def ask_on_both_workers(port: int, question: str) -> None:
    """Two answers, one from each sync worker: the first request's body is held back until the second is answered.

    While a worker waits for the rest of a half-sent request it accepts nothing
    else, so the second request must be answered by the other worker."""
    status, reply = ask_beside_a_held_worker(
        port, question, lambda: http(f"http://127.0.0.1:{port}/api/v1/ask", {"question": question})[0])
    assert status == 200
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


def per_worker(folder: Path, name: str, **labels) -> dict[int, float]:
    """One worker's value of a metric, read from its own files alone (copied to a folder of their own)."""
    found = {}
    for pid in {int(p.stem.rsplit("_", 1)[1]) for p in folder.glob("counter_*.db")}:
        alone = folder.parent / f"worker-{pid}"
        alone.mkdir(exist_ok=True)
        for path in folder.glob(f"*_{pid}.db"):
            shutil.copy(path, alone / path.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        found[pid] = sum(s.value for family in registry.collect() for s in family.samples
                         if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))
    return found


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs `ss` (iproute2) to see a connection accepted")
def test_gunicorn_two_workers_scrape_the_sum_of_both(tmp_path, instance, built_index):
    folder, port = tmp_path / "prometheus", free_port()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(folder), ASSISTANT_INSTANCE=str(instance),
               ASSISTANT_INDEX=str(built_index), ASSISTANT_BACKGROUND_WORKER="false",
               ASSISTANT_RELOAD_POLL_SECONDS="0", ASSISTANT_SEMANTIC="false")
    process = subprocess.Popen([str(GUNICORN), "-w", "2", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                                "app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            try:
                if http(url + "/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        questions = {"en": "Who pays my invoices?", "de": "Wer bezahlt meine Rechnungen?"}
        for question in questions.values():
            for _ in range(2):
                ask_on_both_workers(port, question)  # 2 x 2 answers per language, each worker some of them

        now = samples(http(url + "/metrics")[1].decode())
        for lang in questions:
            assert value(now, "procuree_answers_total", lang=lang, outcome="answered") == 4
        assert value(now, "procuree_http_requests_total", method="POST", route="/api/v1/ask", status="200") == 8
        workers = per_worker(folder, "procuree_answers_total")
        assert len([pid for pid, count in workers.items() if count > 0]) == 2  # both answered...
        assert sum(workers.values()) == 8  # ...and the scrape is their sum
        serving = {dict(key[1:])["pid"] for key, v in now.items() if key[0] == "procuree_knowledge_version_info" and v}
        assert len(serving) == 2 and str(process.pid) not in serving  # each worker says what it serves; the master not
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0
