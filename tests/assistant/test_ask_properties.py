"""POST /api/v1/ask takes any text a client can send: a 200 or a clear 4xx, never a 5xx."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant import create_app
from tests.indexer.test_properties import PROPERTY, finishes, hostile_texts


@pytest.fixture(scope="module")
def ask_client(tmp_path_factory, built_index):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "RELOAD_POLL_SECONDS": 0, "RATELIMIT_ENABLED": False})
    yield app.test_client()
    app.extensions["db"].dispose()


def post(client, body: bytes):
    return finishes(lambda: client.post("/api/v1/ask", data=body, content_type="application/json"))


@PROPERTY
@given(question=hostile_texts, lang=st.one_of(st.none(), st.sampled_from(["en", "ko", "zh-Hant", "xx", ""])))
def test_any_question_is_answered_or_refused_clearly(ask_client, question, lang):
    response = post(ask_client, json.dumps({"question": question, "lang": lang}).encode())
    body = response.get_json()
    assert response.status_code in (200, 400, 413, 422), body
    if response.status_code == 200:
        assert body["lang"] in ("en", "fr", "de", "ko", "zh-Hans", "zh-Hant") and isinstance(body["answered"], bool)
    else:
        assert set(body["error"]) >= {"code", "message"}


@PROPERTY
@given(raw=st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(str.encode),
                     st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
                                  lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
                                  max_leaves=30).map(lambda v: json.dumps({"question": v}).encode())))
def test_any_body_is_answered_or_refused_clearly(ask_client, raw):
    response = post(ask_client, raw)
    assert response.status_code in (200, 400, 413, 415, 422), response.get_data(as_text=True)[:200]
    assert "error" in response.get_json() or response.status_code == 200


@pytest.mark.parametrize("escaped", ['"\\ud800"', '"a\\udfffb"', '"' + "\\u0000" * 50 + '"'])
def test_lone_surrogates_and_nul_characters_are_clear(ask_client, escaped):
    response = post(ask_client, ('{"question": ' + escaped + "}").encode())
    assert response.status_code in (200, 400, 422)
