"""Incremental ingest: unchanged content is not embedded again, changed content replaces its
chunks with no stale ones left, vanished sources leave with --sync; interrupted writes recover."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase

HTML = """<!doctype html><html lang="en"><head><title>Export timesheets | Help</title>
<link rel="canonical" href="https://help.example/articles/export-timesheets">
<meta name="last-updated" content="2026-02-01"></head>
<body><nav>Home | Pricing</nav><main><article><h1>Export timesheets</h1>
<p>You can export approved timesheets for payroll.</p>
<h2>Steps</h2><ol><li>Open Reports.</li><li>Choose Timesheets.</li><li>Click Export.</li></ol>
</article></main><footer>© Example</footer></body></html>"""


def write_kb(root: Path) -> None:
    (root / "articles").mkdir(parents=True)
    (root / "articles" / "export-timesheets.html").write_text(HTML)
    (root / "articles" / "invoices.md").write_text(
        "---\nid: invoices\ntitle: Download invoices\nlanguage: en\ntags: [billing]\n---\n"
        "## Where\nInvoices are under Settings > Billing.\n\n## Steps\n1. Open Settings.\n2. Click Billing.\n3. Click Download.\n"
    )
    tickets = [
        {"id": "T1", "subject": "Cannot log in", "body": "Hi, I am Jane Roe, jane@example.com. Login fails.", "resolution": "Reset the password from the sign-in page.", "language": "en", "status": "solved"},
        {"id": "T2", "subject": "Rechnung fehlt", "body": "Die Rechnung für März fehlt.", "resolution": "Rechnung unter Einstellungen > Abrechnung.", "language": "de", "status": "closed"},
        {"id": "T3", "subject": "Still open", "body": "Nothing yet", "language": "en", "status": "open"},
    ]
    (root / "tickets.jsonl").write_text("\n".join(json.dumps(t) for t in tickets) + "\n")


def all_point_ids(kb: KnowledgeBase) -> set[str]:
    ids: set[str] = set()
    for s in kb.store.iter_all():
        ids |= kb.index.point_ids(s.doc.source_id)
    return ids


def committed_ids(kb: KnowledgeBase) -> set[str]:
    return {i for s in kb.store.iter_all() for i in s.chunk_ids}


def assert_consistent(kb: KnowledgeBase) -> None:
    """Every stored source has exactly its committed points, and the index holds nothing else."""
    assert all_point_ids(kb) == committed_ids(kb)
    assert kb.index.count() == len(committed_ids(kb))
    assert kb.store.pending() == []


def test_incremental_cycle(fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_kb(root)
    first = fresh_kb.ingest_paths([root])
    assert sorted(first.added) == ["article:export-timesheets", "article:invoices", "ticket:T1", "ticket:T2"]
    assert [s[0] for s in first.skipped] == ["T3"]
    assert first.chunks_embedded > 0 and not first.errors
    assert_consistent(fresh_kb)

    again = fresh_kb.ingest_paths([root])
    assert again.chunks_embedded == 0 and len(again.unchanged) == 4 and not again.added and not again.updated

    before = set(fresh_kb.store.get("article:invoices").chunk_ids)  # type: ignore[union-attr]
    md = root / "articles" / "invoices.md"
    md.write_text(md.read_text().replace("Click Download.", "Click Download PDF."))
    changed = fresh_kb.ingest_paths([root])
    assert changed.updated == ["article:invoices"] and len(changed.unchanged) == 3
    after = set(fresh_kb.store.get("article:invoices").chunk_ids)  # type: ignore[union-attr]
    assert not before & after  # every old chunk replaced
    assert fresh_kb.index.point_ids("article:invoices") == after
    hit = fresh_kb.searcher.search("download PDF invoice", top_k=1).hits[0]
    assert "Download PDF" in hit.text
    assert_consistent(fresh_kb)

    (root / "articles" / "export-timesheets.html").unlink()
    kept = fresh_kb.ingest_paths([root])  # without --sync nothing is removed
    assert kept.removed == [] and fresh_kb.store.get("article:export-timesheets") is not None
    synced = fresh_kb.ingest_paths([root], sync=True)
    assert synced.removed == ["article:export-timesheets"]
    assert fresh_kb.store.get("article:export-timesheets") is None
    assert fresh_kb.index.point_ids("article:export-timesheets") == set()
    assert_consistent(fresh_kb)


def test_pii_never_reaches_store_or_index(fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_kb(root)
    fresh_kb.ingest_paths([root])
    stored = fresh_kb.store.get("ticket:T1")
    assert stored is not None
    blob = json.dumps(stored.doc.to_dict())
    assert "jane@example.com" not in blob and "Jane Roe" not in blob and "[EMAIL]" in blob
    for hit in fresh_kb.searcher.search("Jane Roe jane@example.com login", top_k=5).hits:
        assert "jane@example.com" not in hit.text and "Jane Roe" not in hit.text


def test_malformed_file_is_reported_and_its_sources_kept_on_sync(fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_kb(root)
    fresh_kb.ingest_paths([root])
    (root / "tickets.jsonl").write_text('{"id": "T1", "subject": "x"\n')  # broken JSON
    result = fresh_kb.ingest_paths([root], sync=True)
    assert result.errors and "tickets.jsonl" in result.errors[0][0]
    assert fresh_kb.store.get("ticket:T1") is not None and result.removed == []
    assert_consistent(fresh_kb)


def test_interrupted_update_recovers_to_one_version(fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    """Simulate a crash after new points were written but before the source store committed."""
    from ingest.pipeline import build_nodes

    root = tmp_path / "kb"
    write_kb(root)
    fresh_kb.ingest_paths([root])
    old = fresh_kb.store.get("article:invoices")
    assert old is not None
    new_doc = old.doc
    new_doc.title = "Download your invoices"
    nodes = build_nodes(new_doc, new_doc.content_hash(), fresh_kb.settings.chunk_max_chars)
    for n in nodes:
        n.embedding = fresh_kb.embedder.embed_passages([n.text])[0].tolist()
    fresh_kb.store.mark_pending([new_doc.source_id])
    fresh_kb.index.add(nodes)  # ... and the process dies here
    assert fresh_kb.index.point_ids("article:invoices") == set(old.chunk_ids) | {n.node_id for n in nodes}

    assert fresh_kb.indexer.recover() == 1
    assert fresh_kb.index.point_ids("article:invoices") == set(old.chunk_ids)  # the old version, whole
    assert_consistent(fresh_kb)
    fresh_kb.ingest_paths([root])
    assert_consistent(fresh_kb)


def test_reindex_rebuilds_from_stored_sources(fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_kb(root)
    fresh_kb.ingest_paths([root])
    shutil.rmtree(root)  # the original files are gone: the store is enough
    summary = fresh_kb.reindex()
    assert len(summary.updated) == 4 and summary.chunks_embedded > 0
    assert_consistent(fresh_kb)
    assert fresh_kb.searcher.search("Rechnung", top_k=1).hits


def test_model_mismatch_is_detected(fresh_kb: KnowledgeBase) -> None:
    import pytest

    from kb_service.engines.vector_index import IndexModelMismatch, VectorIndex

    fresh_kb.index.close()
    with pytest.raises(IndexModelMismatch, match="kb reindex"):
        VectorIndex(fresh_kb.settings, "some-other-model", 768)
    # reopen so the fixture can close it
    fresh_kb.index = VectorIndex(fresh_kb.settings, fresh_kb.embedder.model_name, fresh_kb.embedder.dim)


def test_sample_kb_sizes(sample_kb: KnowledgeBase) -> None:
    assert sample_kb.store.count("article") >= 30
    assert sample_kb.store.count("ticket") >= 100
    langs = {s.doc.language.split("-")[0] for s in sample_kb.store.iter_all() if s.doc.kind == "ticket" and s.doc.language}
    assert len(langs) >= 4
    assert SAMPLE_DIR.is_dir()
