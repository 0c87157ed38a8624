"""Every kind of bad input gets a clear 4xx and changes nothing stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kb_service.knowledge import KnowledgeBase
from tests.conftest import auth

A = auth("admin")


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"query": "x" * 2001}, "limit is 2000"),
        ({"query": "x" * 30000}, "query"),
        ({"query": "invoice", "top_k": 0}, "top_k"),
        ({"query": "invoice", "top_k": 51}, "top_k"),
        ({"query": "invoice", "filters": {"colour": "red"}}, "colour"),
        ({"query": "invoice", "filters": {"source": "email"}}, "source"),
        ({"query": "invoice", "lang": "de"}, "lang"),
        ({"query": "invoice", "language": "xx"}, "supported"),
        ({"query": "invoice", "filters": {"language": ["de", "klingon"]}}, "klingon"),
        ({}, "query"),
    ],
)
def test_search_bad_input_422(client: TestClient, body: dict[str, object], needle: str) -> None:
    r = client.post("/v1/search", json=body, headers=A)
    assert r.status_code == 422, r.text
    assert needle in r.json()["message"]


def test_unknown_language_lists_supported(client: TestClient) -> None:
    r = client.post("/v1/answer", json={"question": "hi", "language": "tlh"}, headers=A)
    assert r.status_code == 422 and "pt-BR" in r.json()["message"]
    r = client.get("/v1/articles?language=tlh", headers=A)
    assert r.status_code == 422 and "pt-BR" in r.json()["message"]


def test_malformed_json_body(client: TestClient) -> None:
    r = client.post("/v1/search", content=b"{not json", headers={**A, "content-type": "application/json"})
    assert r.status_code == 422


def test_answer_and_suggest_bad_input(client: TestClient) -> None:
    assert client.post("/v1/answer", json={"question": ""}, headers=A).status_code == 422
    assert client.post("/v1/answer", json={"question": "x", "top_k": 3}, headers=A).status_code == 422
    assert client.post("/v1/suggest", json={"subject": "x"}, headers=A).status_code == 422
    assert client.post("/v1/suggest", json={"body": "x", "top_tickets": 100}, headers=A).status_code == 422


def test_unknown_and_malformed_article_ids(client: TestClient) -> None:
    r = client.get("/v1/articles/no-such-article", headers=A)
    assert r.status_code == 404 and "no-such-article" in r.json()["message"]
    assert client.get("/v1/articles/Bad%20Id!", headers=A).status_code == 422
    assert client.delete("/v1/articles/no-such-article", headers=A).status_code == 404
    assert client.get("/v1/articles?limit=0", headers=A).status_code == 422
    assert client.get("/v1/articles?offset=-1", headers=A).status_code == 422


def test_article_put_bad_input_changes_nothing(fresh_client: TestClient, fresh_kb: KnowledgeBase) -> None:
    W = auth("writer")
    for body in ({"title": "", "body": "x"}, {"title": "t"}, {"title": "t", "body": "b", "language": "xx"}, {"title": "t", "body": "b", "author": "me"}):
        assert fresh_client.put("/v1/articles/new-one", json=body, headers=W).status_code == 422
    assert fresh_kb.store.count() == 0 and fresh_kb.index.count() == 0


def test_malformed_upload_ingests_nothing(fresh_client: TestClient, fresh_kb: KnowledgeBase) -> None:
    good = ("good.md", b"---\ntitle: Good\n---\n## Steps\n1. Do this.\n", "text/markdown")
    bad = ("tickets.jsonl", b'{"id": "1", "subject": "a", "body": "b", "resolution": "c", "status": "solved"}\n{broken\n', "application/json")
    r = fresh_client.post("/v1/ingest", files=[("files", good), ("files", bad)], headers=A)
    assert r.status_code == 422, r.text
    assert "tickets.jsonl" in r.json()["message"] and "nothing was ingested" in r.json()["message"]
    assert fresh_kb.store.count() == 0 and fresh_kb.index.count() == 0
    r = fresh_client.post("/v1/ingest", files=[("files", ("notes.exe", b"MZ", "application/octet-stream"))], headers=A)
    assert r.status_code == 415
    r = fresh_client.post("/v1/ingest", files=[("files", good)], headers=A)
    assert r.status_code == 200 and r.json()["added"] == ["article:good"]
