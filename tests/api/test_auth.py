"""Missing or wrong keys get 401, a key without the scope gets 403; health and docs are open."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth

SEARCH = ("post", "/v1/search", {"query": "invoice"})
ANSWER = ("post", "/v1/answer", {"question": "How do I reset my password?"})
SUGGEST = ("post", "/v1/suggest", {"subject": "Login", "body": "I cannot sign in"})
LIST = ("get", "/v1/articles", None)
READ = ("get", "/v1/articles/reset-password", None)
LANGS = ("get", "/v1/languages", None)
# scope -> calls that must succeed (2xx) and calls that must be refused (403); writes are covered in test_articles
ALLOWED = {
    "widget": [ANSWER],
    "agent": [ANSWER, LANGS, SEARCH, SUGGEST, LIST, READ],
    "writer": [ANSWER, LANGS, SEARCH, SUGGEST, LIST, READ],
    "admin": [ANSWER, LANGS, SEARCH, SUGGEST, LIST, READ],
}
REFUSED = {
    "widget": [LANGS, SEARCH, SUGGEST, LIST, READ, ("put", "/v1/articles/x-new", {"title": "t", "body": "b"}), ("delete", "/v1/articles/reset-password", None)],
    "agent": [("put", "/v1/articles/x-new", {"title": "t", "body": "b"}), ("delete", "/v1/articles/reset-password", None), ("post", "/v1/ingest", None)],
    "writer": [("post", "/v1/ingest", None)],
}


def call(client: TestClient, method: str, url: str, body: object, headers: dict[str, str]) -> int:
    if body is None:
        return client.request(method, url, headers=headers).status_code
    return client.request(method, url, json=body, headers=headers).status_code


@pytest.mark.parametrize("method,url,body", [SEARCH, ANSWER, SUGGEST, LIST, READ, LANGS])
def test_no_key_401_wrong_key_401(client: TestClient, method: str, url: str, body: object) -> None:
    assert call(client, method, url, body, {}) == 401
    assert call(client, method, url, body, {"X-API-Key": "not-a-real-key"}) == 401


@pytest.mark.parametrize("scope", list(ALLOWED))
def test_scope_allows(client: TestClient, scope: str) -> None:
    for method, url, body in ALLOWED[scope]:
        assert call(client, method, url, body, auth(scope)) == 200, (scope, url)


@pytest.mark.parametrize("scope", list(REFUSED))
def test_scope_refuses(client: TestClient, scope: str) -> None:
    for method, url, body in REFUSED[scope]:
        assert call(client, method, url, body, auth(scope)) == 403, (scope, method, url)


def test_open_routes(client: TestClient) -> None:
    h = client.get("/health")
    assert h.status_code == 200
    assert h.json()["ready"] is True and h.json()["index"]["articles"] >= 30
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_every_api_route_requires_a_key(client: TestClient) -> None:
    """Walk the app's routes: nothing under /v1 answers without a key."""
    from fastapi.routing import APIRoute

    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith("/v1"):
            for method in route.methods:
                url = route.path.replace("{article_id}", "reset-password")
                assert client.request(method, url).status_code == 401, (method, route.path)
