"""Readers and a writer at the same time over one embedded store: no errors, no lost writes.
(A bounded smoke test; the 50-client load test belongs to the reliability work.)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from kb_service.knowledge import KnowledgeBase
from tests.conftest import auth


def test_parallel_reads_and_writes(fresh_client: TestClient, fresh_kb: KnowledgeBase) -> None:
    W = auth("writer")

    def write(i: int) -> int:
        body = {"title": f"Topic {i}", "body": f"## Steps\n1. Open panel {i}.\n2. Press button {i}.\n", "tags": ["t"]}
        return fresh_client.put(f"/v1/articles/topic-{i}", json=body, headers=W).status_code

    def read(i: int) -> int:
        if i % 3 == 0:
            return fresh_client.post("/v1/answer", json={"question": f"How do I open panel {i}?"}, headers=W).status_code
        if i % 3 == 1:
            return fresh_client.post("/v1/suggest", json={"body": f"button {i} does nothing"}, headers=W).status_code
        return fresh_client.post("/v1/search", json={"query": f"panel {i}", "filters": {"tags": ["t"]}}, headers=W).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        writes = [pool.submit(write, i) for i in range(12)]
        reads = [pool.submit(read, i) for i in range(36)]
        assert {f.result() for f in writes} == {201}
        assert {f.result() for f in reads} == {200}
    assert fresh_kb.store.count("article") == 12
    assert fresh_kb.index.count() == sum(len(s.chunk_ids) for s in fresh_kb.store.iter_all())
    assert fresh_kb.store.pending() == []
    listed = fresh_client.get("/v1/articles?limit=50", headers=W).json()
    assert listed["total"] == 12
