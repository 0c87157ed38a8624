"""Fifty clients for a few seconds over loopback, mixing answers, searches, suggestions, classifications
and article writes (several clients writing the same articles): zero errors and no lost writes.

The bounded version of `python -m eval.load` (its functions), against the real app served by uvicorn
in a thread, on a small knowledge base of its own. Latencies are measured there, never asserted here.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Iterator

import pytest

from eval.load import Plan, ThreadedServer, Workload, run_load, summarise, verify, warm_up
from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase
from tests.conftest import KEYS, make_settings

CLIENTS = 50
SECONDS = 8.0
ARTICLES = ("refunds.md", "support-hours.md")
TICKETS = 6


@pytest.fixture
def load_kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    """A few sample articles and resolved tickets, so every kind of request has something to find;
    the answer rate limits off (fifty clients share one key and one address)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ARTICLES:
        (src / name).write_text((SAMPLE_DIR / "articles" / "markdown" / name).read_text(encoding="utf-8"), encoding="utf-8")
    lines = (SAMPLE_DIR / "tickets" / "tickets.jsonl").read_text(encoding="utf-8").splitlines()
    (src / "tickets.jsonl").write_text("\n".join(lines[:TICKETS]) + "\n", encoding="utf-8")
    kb = KnowledgeBase(make_settings(tmp_path / "data", answer_rate_per_key=0, answer_rate_per_address=0))
    try:
        summary = kb.ingest_paths([src])
        assert not summary.errors, summary.errors
        yield kb
    finally:
        kb.close()


def consistent(kb: KnowledgeBase) -> list[str]:
    """Every stored source's chunk ids are exactly its points in the index, and nothing else is there."""
    problems = [f"ingest journal pending: {kb.store.pending()}"] if kb.store.pending() else []
    chunks = 0
    for s in kb.store.iter_all():
        chunks += len(s.chunk_ids)
        if set(s.chunk_ids) != kb.index.point_ids(s.doc.source_id):
            problems.append(f"{s.doc.source_id}: stored chunks and index points differ")
    if kb.index.count() != chunks:
        problems.append(f"the index holds {kb.index.count()} points for {chunks} stored chunks")
    return problems


def test_fifty_clients_mixed_load_loses_nothing(load_kb: KnowledgeBase) -> None:
    from kb_service.app import create_app

    keys = {scope: KEYS[scope] for scope in ("widget", "agent", "writer")}
    workload = Workload.sample()
    plan = Plan.make(CLIENTS, owned=1, shared=2, shared_share=0.5)
    with ThreadedServer(create_app(load_kb.settings, kb=load_kb)) as server:
        assert warm_up(server.url, workload, keys) == []
        start = time.monotonic()
        rec, wall = asyncio.run(run_load(server.url, clients=CLIENTS, seconds=SECONDS, workload=workload, plan=plan,
                                         keys=keys, timeout=60))
        summary = summarise(rec, wall)
        checked = asyncio.run(verify(server.url, rec, plan, keys))
    report = json.dumps({k: v for k, v in summary.items() if k != "kinds"} | {"statuses": {k: v["statuses"] for k, v in summary["kinds"].items()}})
    print(report, {k: v for k, v in checked.items() if k != "problems"})  # shown with -s
    assert summary["errors"] == 0, report
    assert set(summary["kinds"]) == {"answer", "search", "suggest", "classify", "write"}, report
    assert summary["missing_log_ids"] == 0, report
    assert checked["problems"] == [], checked["problems"]
    assert checked["writes_acknowledged"] > 0 and checked["writes_to_shared_articles"] > 0, checked
    assert checked["max_writers_per_article"] > 1, checked  # some articles were written by several clients
    assert consistent(load_kb) == []
    assert time.monotonic() - start < SECONDS + 60  # drained: no request hung
