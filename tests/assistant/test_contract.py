"""The contract holds both ways: what the document allows, the server accepts, and the reverse.

schemathesis generates requests from the OpenAPI document for every
operation (valid ones, and invalid ones its negative mode derives), sends
them to the app, and runs all its checks: no 5xx, every status and body as
documented, content types, missing or wrong credentials refused.  Examples
are few per operation and derandomised so the suite stays fast and
reproducible; a failure prints the request that reproduces it.
"""
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from werkzeug.serving import make_server

from assistant import create_app, openapi_chat, openapi_editor, openapi_tickets  # noqa: F401  (their routes join the document)
from assistant.config import DEFAULTS
from assistant.contract import BODIES, body_schema
from assistant.openapi import document
from schemathesis.specs.openapi.checks import positive_data_acceptance

ADMIN, AGENT, INBOUND = "admin-token-for-contract", "agent-token-for-contract", "inbound-token-for-contract"
TOKENS = {"/api/v1/admin": ADMIN, "/api/v1/editor": ADMIN, "/api/v1/agent": AGENT, "/api/v1/inbound": INBOUND}


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory, built_index):
    """The app as deployed with every part connected (a payments export), without rate limits to hit."""
    instance = tmp_path_factory.mktemp("contract")
    (instance / "erp-export.csv").write_text(
        "supplier_number,supplier_email,invoice_number,po_number,amount,currency,status,due_date,paid_date\n"
        "S-1,ana@lima.example,INV-7,4500012345,10.00,EUR,Paid,2026-03-31,2026-03-28\n", encoding="utf-8")
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "PAYMENTS_CSV": "erp-export.csv",
                      "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0, "RATELIMIT_ENABLED": False,
                      "ADMIN_TOKEN": ADMIN, "AGENT_TOKEN": AGENT, "INBOUND_TOKEN": INBOUND,
                      "TICKETS_PER_ADDRESS_PER_HOUR": 10**6})
    yield app
    app.extensions["db"].dispose()


@pytest.fixture(scope="module")
def served(contract_app):
    """The app on a real HTTP server on 127.0.0.1, for as long as the module's tests run."""
    server = make_server("127.0.0.1", 0, contract_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


CHECKED_BY_THE_VALIDATOR = {"/api/v1/editor/drafts/{article_id}"}
schema = schemathesis.openapi.from_dict(document(DEFAULTS))  # the defaults are the served app's limits too
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")  # a raw email: any bytes, processed for real


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_the_contract(case, served):
    if isinstance(case.body, dict) and case.body.get("attachments") and case.meta.generation.mode.name == "POSITIVE":
        # A schema cannot say which bytes make a PDF or an image (the server reads the type from the
        # content): a valid request's files are given a text file's bytes.
        case.body["attachments"] = [b"Invoice INV-7, March: still unpaid.\n"] * len(case.body["attachments"])
    token = next((token for prefix, token in TOKENS.items() if case.path.startswith(prefix)), None)
    # An article draft that fits its schema may still be refused (422): the indexer's validator also checks
    # its language, its questions against every other article's, its category; no schema can say that.
    excluded = [positive_data_acceptance] if case.path in CHECKED_BY_THE_VALIDATOR else []
    case.call_and_validate(base_url=served, headers={"Authorization": f"Bearer {token}"} if token else None,
                           excluded_checks=excluded)


def test_configured_limits_appear_in_the_document(instance, built_index):
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "MAX_QUESTION_CHARS": 321,
                      "BACKGROUND_WORKER": False, "RELOAD_POLL_SECONDS": 0})
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["components"]["schemas"]["AskRequest"]["properties"]["question"]["maxLength"] == 321
    too_long = app.test_client().post("/api/v1/ask", json={"question": "x" * 322})
    assert too_long.status_code == 422 and too_long.get_json()["error"]["field"] == "question"
    app.extensions["db"].dispose()


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_body_schema_is_valid_json_schema(name):
    import jsonschema

    from assistant.config import DEFAULTS

    jsonschema.Draft202012Validator.check_schema(body_schema(name, DEFAULTS))
