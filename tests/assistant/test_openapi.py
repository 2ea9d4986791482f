"""The OpenAPI document describes every route, and real responses match its schemas."""
import re

import jsonschema
import pytest

from assistant.openapi import document


def _validate(spec: dict, path: str, method: str, response) -> None:
    operation = spec["paths"][path][method]
    declared = operation["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    resolver_doc = {"components": spec["components"], **schema}
    jsonschema.validate(response.get_json(), resolver_doc, cls=jsonschema.Draft202012Validator)


def test_document_is_served_and_is_openapi_3(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec == document(app.config)


def test_every_route_is_documented(app):
    documented = {
        (path, method.upper())
        for path, operations in document()["paths"].items()
        for method in operations
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        path = re.sub(r"\{\w+(\([^)]*\))?:", "{", path)  # {int:id}, {int(max=…):id} -> {id}
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in the OpenAPI document"


@pytest.mark.parametrize(
    "method, path, url, body",
    [
        ("post", "/api/v1/ask", "/api/v1/ask", {"question": "Wo sind meine Bankdaten gespeichert?"}),
        ("post", "/api/v1/ask", "/api/v1/ask", {"question": "明天北京会下雨吗？"}),
        ("post", "/api/v1/ask", "/api/v1/ask", {"question": ""}),
        ("post", "/api/v1/ask", "/api/v1/ask", {"question": "hi", "lang": "xx"}),
        ("get", "/api/v1/articles", "/api/v1/articles?lang=ko", None),
        ("get", "/api/v1/articles", "/api/v1/articles?lang=xx", None),
        ("get", "/api/v1/articles/{article_id}", "/api/v1/articles/csp-who-pays?lang=zh-Hant", None),
        ("get", "/api/v1/articles/{article_id}", "/api/v1/articles/no-such-article", None),
        ("get", "/healthz", "/healthz", None),
        ("get", "/readyz", "/readyz", None),
    ],
)
def test_responses_match_the_document(client, method, path, url, body):
    response = client.open(url, method=method.upper(), json=body)
    _validate(document(), path, method, response)
