"""Erasing one customer: tickets (index, source store, records, corrections), search-log entries and
feedback, cached embeddings, cluster memberships; drafts citing them flagged; a receipt. And the
search log's retention limit."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from kb_service.knowledge import KnowledgeBase
from kb_service.privacy.retention import purge_search_log
from kb_service.storage.database import search_log
from tests.conftest import auth

GONE = "org-gone-77"
KEPT = "org-kept-12"


def _tickets(path: Path) -> Path:
    rows = []
    for i, (customer, subject, body, resolution) in enumerate([
        (GONE, "Android widget vanished", "The shift widget disappeared from my Android home screen after the update.",
         "Set battery usage of the app to Unrestricted and restarted the phone; the widget came back."),
        (GONE, "Widget missing on Android 14", "After updating, the next-shift widget is gone from the widget list.",
         "Battery restriction hid it: set the app to Unrestricted in App info > Battery, then restart."),
        (KEPT, "Android widget not in list", "Cannot find the Fernbook widget on my Android phone any more.",
         "Changed battery usage to Unrestricted and restarted; widget visible again."),
        (KEPT, "Invoice download", "Where can I download last month's invoice as PDF?",
         "Settings > Billing > Invoices, then the download icon next to the invoice."),
    ]):
        rows.append({"id": f"E-{i}", "subject": subject, "body": body, "resolution": resolution, "language": "en",
                     "customer": customer, "created": "2026-11-01T10:00:00Z", "resolved": "2026-11-02T10:00:00Z",
                     "status": "solved", "category": "technical", "priority": "P3"})
    path.mkdir(parents=True)
    (path / "tickets.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_erase_one_customer_with_receipt(fresh_client: TestClient, fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    assert not fresh_kb.ingest_paths([_tickets(tmp_path / "t")]).errors
    # a ticket record of theirs through the API, and one of someone else's
    for tid, customer in (("API-1", GONE), ("API-2", KEPT)):
        r = fresh_client.post("/v1/tickets", headers=auth("agent"), json={
            "id": tid, "subject": "Password reset mail", "body": "The reset email never arrives.",
            "customer": {"id": customer, "tier": "business"}})
        assert r.status_code == 201, r.text
    # questions they asked through the widget, and one of the other customer's
    for customer in (GONE, GONE, KEPT):
        r = fresh_client.post("/v1/answer", headers=auth("widget"),
                              json={"question": "Where did my Android widget go?", "customer_id": customer})
        assert r.status_code == 200
        log_id = r.json()["log_id"]
        assert fresh_client.post("/v1/feedback", headers=auth("widget"), json={"log_id": log_id, "helpful": False}).status_code == 201
    clusters = fresh_client.get("/v1/clusters", headers=auth("writer")).json()
    assert any({"E-0", "E-1"} & {t["id"] for t in c["tickets"]} for c in clusters["items"])
    draft = fresh_client.post("/v1/drafts", headers=auth("writer"), json={"ticket_ids": ["E-0", "E-2"]})
    assert draft.status_code == 201, draft.text
    other = fresh_client.post("/v1/drafts", headers=auth("writer"), json={"ticket_ids": ["E-2", "E-3"]}).json()
    cache_before = len(fresh_kb.cached_embedder.cache)

    assert fresh_client.post("/v1/privacy/erase", headers=auth("writer"), json={"customer_id": GONE}).status_code == 403
    r = fresh_client.post("/v1/privacy/erase", headers=auth("admin"), json={"customer_id": GONE})
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["tickets"] == ["API-1", "E-0", "E-1"]
    assert receipt["index_sources"] == 2 and receipt["ticket_records"] == 1 and receipt["customer_record"]
    assert receipt["search_log_entries"] == 2 and receipt["feedback"] == 2
    assert receipt["cluster_memberships"] >= 2 and receipt["cached_embeddings"] >= 2
    assert receipt["drafts_flagged"] == [draft.json()["id"]]

    # gone from everything
    assert {s.doc.source_id for s in fresh_kb.store.iter_all(kind="ticket")} == {"ticket:E-2", "ticket:E-3"}
    assert fresh_kb.index.point_ids("ticket:E-0") == set() and fresh_kb.index.point_ids("ticket:E-1") == set()
    assert fresh_client.get("/v1/tickets/API-1", headers=auth("agent")).status_code == 404
    assert fresh_client.get("/v1/tickets/API-2", headers=auth("agent")).status_code == 200
    assert len(fresh_kb.cached_embedder.cache) <= cache_before - 2
    with sqlite3.connect(fresh_kb.settings.data_dir / "records.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM search_log").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 1
        everything = " ".join(str(v) for t in ("search_log", "audit") for row in db.execute(f"SELECT * FROM {t}") for v in row)
    assert GONE not in everything  # the audit trail records the erasure under a hash of the id
    hits = fresh_client.post("/v1/search", headers=auth("agent"), json={"query": "Android widget", "filters": {"source": "ticket"}})
    assert {h["id"] for h in hits.json()["hits"]} <= {"E-2", "E-3"}
    clusters = fresh_client.get("/v1/clusters", headers=auth("writer")).json()
    assert not any({"E-0", "E-1"} & {t["id"] for t in c["tickets"]} for c in clusters["items"])

    flagged = fresh_client.get(f"/v1/drafts/{draft.json()['id']}", headers=auth("writer")).json()
    assert flagged["flags"] and flagged["flags"][0]["ticket_ids"] == ["E-0"]
    assert [s["id"] for s in flagged["sources"]] == ["E-2"]
    assert fresh_client.get(f"/v1/drafts/{other['id']}", headers=auth("writer")).json()["flags"] == []
    audit = fresh_client.get("/v1/audit", headers=auth("admin")).json()
    assert any(e["action"] == "erase_customer" for e in audit)

    # erasing again finds nothing, and says so
    again = fresh_client.post("/v1/privacy/erase", headers=auth("admin"), json={"customer_id": GONE}).json()
    assert again["tickets"] == [] and again["search_log_entries"] == 0


def test_search_log_retention(fresh_kb: KnowledgeBase) -> None:
    old = fresh_kb.search_log.record("answer", "old question", "en", 0.9, True, ["a"])
    new = fresh_kb.search_log.record("answer", "new question", "en", 0.9, True, ["a"])
    fresh_kb.search_log.add_feedback(True, log_id=old)
    long_ago = (datetime.now(timezone.utc) - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with fresh_kb.database.begin() as conn:
        conn.execute(update(search_log).where(search_log.c.id == old).values(at=long_ago))
    assert purge_search_log(fresh_kb) == (1, 1)
    assert fresh_kb.search_log.get(old) is None and fresh_kb.search_log.get(new) is not None
    keep_all = fresh_kb.settings.model_copy(update={"search_log_retention_days": 0})
    fresh_kb.settings = keep_all
    assert purge_search_log(fresh_kb) == (0, 0)
