"""Article CRUD through the API; a write is searchable in the next request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kb_service.knowledge import KnowledgeBase
from tests.conftest import auth

W = auth("writer")
ARTICLE = {
    "title": "Pair a barcode scanner",
    "body": "Use a USB or Bluetooth scanner to clock in at the front desk.\n\n## Steps\n1. Open Settings > Devices.\n2. Click Add scanner.\n3. Scan the test code shown on screen.\n",
    "language": "en",
    "tags": ["devices", "Clock-In"],
    "product_area": "time-tracking",
    "url": "https://help.example/articles/pair-scanner",
}


def test_put_get_list_search_delete(fresh_client: TestClient, fresh_kb: KnowledgeBase) -> None:
    r = fresh_client.put("/v1/articles/pair-scanner", json=ARTICLE, headers=W)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["id"] == "pair-scanner" and got["chunks"] >= 1 and got["sections"][-1]["heading"] == "Steps"

    hits = fresh_client.post("/v1/search", json={"query": "Wie verbinde ich einen Barcodescanner?"}, headers=W).json()["hits"]
    assert hits[0]["id"] == "pair-scanner" and hits[0]["source"] == "article"

    r = fresh_client.put("/v1/articles/pair-scanner", json={**ARTICLE, "title": "Connect a barcode scanner"}, headers=W)
    assert r.status_code == 200 and r.json()["title"] == "Connect a barcode scanner"
    assert fresh_kb.index.count() == r.json()["chunks"]  # the old version's chunks are gone

    listed = fresh_client.get("/v1/articles?tag=clock-in&product_area=time-tracking&language=en", headers=W).json()
    assert listed["total"] == 1 and listed["items"][0]["title"] == "Connect a barcode scanner"
    assert fresh_client.get("/v1/articles?language=de", headers=W).json()["total"] == 0

    assert fresh_client.delete("/v1/articles/pair-scanner", headers=W).status_code == 204
    assert fresh_client.get("/v1/articles/pair-scanner", headers=W).status_code == 404
    assert fresh_kb.index.count() == 0
    assert fresh_client.post("/v1/search", json={"query": "barcode scanner"}, headers=W).json()["hits"] == []


def test_list_paging(client: TestClient) -> None:
    A = auth("agent")
    first = client.get("/v1/articles?limit=10&offset=0", headers=A).json()
    second = client.get("/v1/articles?limit=10&offset=10", headers=A).json()
    assert first["total"] >= 30 and len(first["items"]) == 10
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}
    de = client.get("/v1/articles?language=de", headers=A).json()
    assert de["total"] == 3 and all(a["language"].startswith("de") for a in de["items"])


def test_api_search_answer_suggest_shapes(client: TestClient) -> None:
    A = auth("agent")
    s = client.post("/v1/search", json={"query": "パスワードを忘れました", "top_k": 3}, headers=A).json()
    assert s["query_language"] == "ja" and len(s["hits"]) == 3
    assert {"id", "title", "url", "snippet", "score", "language", "source"} <= set(s["hits"][0])
    a = client.post("/v1/answer", json={"question": "¿Cómo puedo restablecer mi contraseña?"}, headers=auth("widget")).json()
    assert a["answered"] and a["citations"][0]["article_id"] == "reset-password" and a["question_language"] == "es"
    off = client.post("/v1/answer", json={"question": "What's a good recipe for banana bread?"}, headers=auth("widget")).json()
    assert off["handoff"] is True and off["answer"] is None and off["message"]
    g = client.post("/v1/suggest", json={"subject": "Refund", "body": "I was charged twice this month"}, headers=A).json()
    assert g["articles"] and g["tickets"] and g["tickets"][0]["resolution"]
