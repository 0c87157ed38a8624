"""Erase everything the knowledge base holds about one customer, and say what was erased.

What a customer leaves behind, and what erasure does with it:
- their tickets as knowledge (sources and their chunk points in the vector index): deleted, through
  the same journalled write path as any deletion, so a crash mid-way is finished at the next start;
- their tickets as records (tickets.sqlite3), the agents' corrections made on them, and their
  customer context (tier, ARR): deleted in one transaction;
- cached embeddings of their tickets' texts (an embedding can be partly inverted): deleted;
- their search-log entries (found by the hash of the customer id the widget or agent passed) and the
  feedback on them: deleted;
- ticket clusters: recomputed without them on the next report (the cached clustering is dropped);
  the receipt counts the clusters they were in;
- drafts that cite their tickets: flagged for a writer (a draft is a writer's work, and its text was
  redacted when generated; the writer decides whether to drop what came from those tickets);
- the triage model: retrained without them (in the background, as after any ticket change).

The receipt is returned and kept in the audit trail, with a hash in place of the customer id.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from ingest.documents import ticket_text
from kb_service.storage.database import draft_flags, drafts, now_iso
from kb_service.storage.history import write_audit
from kb_service.storage.searchlog import customer_ref

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase


@dataclass
class ErasureReceipt:
    receipt_id: str
    customer_id: str
    erased_at: str
    tickets: list[str] = field(default_factory=list)  # ticket ids, as records and/or as knowledge
    index_sources: int = 0  # ticket sources deleted from the vector index and the source store
    ticket_records: int = 0
    corrections: int = 0
    customer_record: bool = False
    search_log_entries: int = 0
    feedback: int = 0
    cached_embeddings: int = 0
    cluster_memberships: int = 0  # the erased tickets' places in the last computed clusters
    drafts_flagged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ticket_id(source_id: str) -> str:
    return source_id.removeprefix("ticket:")


def erase_customer(kb: "KnowledgeBase", customer_id: str, actor: str | None) -> ErasureReceipt:
    receipt = ErasureReceipt("e-" + secrets.token_hex(6), customer_id, now_iso())

    # tickets as knowledge: every ticket source that names the customer
    docs = [s.doc for s in kb.store.iter_all(kind="ticket") if s.doc.customer == customer_id]
    # tickets as records (and their knowledge twin, indexed when resolved)
    records, receipt.corrections, receipt.customer_record = kb.triage.store.erase_customer(customer_id)
    receipt.ticket_records = len(records)
    record_sources = [f"ticket:{r.id}" for r in records if kb.store.get(f"ticket:{r.id}") is not None]
    source_ids = list(dict.fromkeys([d.source_id for d in docs] + record_sources))
    texts = [ticket_text(d) for d in docs] + [r.text for r in records]
    resolutions = [d.resolution for d in docs if d.resolution] + [r.resolution for r in records if r.resolution]
    receipt.tickets = sorted({_ticket_id(s) for s in source_ids} | {r.id for r in records})

    receipt.cluster_memberships = _cluster_memberships(kb, set(receipt.tickets))
    if source_ids:
        summary = kb.delete_sources(source_ids)
        receipt.index_sources = len(summary.removed)

    receipt.cached_embeddings = _forget_embeddings(kb, texts, resolutions)
    receipt.search_log_entries, receipt.feedback = kb.search_log.erase_customer(customer_ref(customer_id))
    receipt.drafts_flagged = _flag_drafts(kb, set(receipt.tickets), receipt.receipt_id)

    audit_copy = receipt.to_dict()
    audit_copy["customer_id"] = customer_ref(customer_id)  # the trail proves the erasure without keeping the id
    with kb.database.begin() as conn:
        write_audit(conn, actor, "erase_customer", "customer", customer_ref(customer_id), audit_copy)
    return receipt


def _cluster_memberships(kb: "KnowledgeBase", ticket_ids: set[str]) -> int:
    """How many of the erased tickets sat in the last computed clusters; the clustering is dropped
    either way (its fingerprint changes with the sources, but a copy must not outlive the erasure)."""
    desk = kb._desk
    if desk is None:
        return 0
    cached = desk.clusters.forget()
    if cached is None:
        return 0
    return sum(1 for c in cached.clusters for tid in c.ticket_ids if _ticket_id(tid) in ticket_ids)


def _forget_embeddings(kb: "KnowledgeBase", texts: list[str], resolutions: list[str]) -> int:
    from kb_service.triage.classifier import MAX_TOKENS
    from kb_service.writers.freshness import sentences

    cached = kb.cached_embedder
    n = cached.forget(f"query@{MAX_TOKENS}", texts) + cached.forget("query", texts)
    n += cached.forget("passage", [s for r in resolutions for s in sentences(r, limit=20)])
    return n


def _flag_drafts(kb: "KnowledgeBase", ticket_ids: set[str], receipt_id: str) -> list[str]:
    flagged: list[str] = []
    if not ticket_ids:
        return flagged
    with kb.database.begin() as conn:
        for draft_id, raw in conn.execute(select(drafts.c.id, drafts.c.ticket_ids)):
            cited = sorted(t for t in json.loads(raw) if _ticket_id(t) in ticket_ids)
            if cited:
                conn.execute(insert(draft_flags).values(
                    draft_id=draft_id, at=now_iso(), ticket_ids=json.dumps(cited),
                    reason=f"cites tickets erased at a customer's request (erasure {receipt_id}): review what this "
                    "draft took from them before publishing it",
                ))
                flagged.append(draft_id)
    return flagged


def draft_flags_of(kb: "KnowledgeBase", draft_id: str) -> list[dict[str, Any]]:
    with kb.database.connect() as conn:
        rows = conn.execute(select(draft_flags).where(draft_flags.c.draft_id == draft_id).order_by(draft_flags.c.id)).all()
    return [{"at": r.at, "reason": r.reason, "ticket_ids": json.loads(r.ticket_ids)} for r in rows]
