"""Questions in German, Spanish, French and Japanese find the English article that answers them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb_service.knowledge import KnowledgeBase
from kb_service.retrieval.search import SearchFilters

QUERIES = [json.loads(line) for line in (Path(__file__).parent.parent / "data" / "crosslingual_queries.jsonl").read_text().splitlines() if line.strip()]


def test_query_language_detected(sample_kb: KnowledgeBase) -> None:
    wrong = [q["query"] for q in QUERIES if sample_kb.searcher.search(q["query"], 1).query_language != q["lang"]]
    assert wrong == []


def test_foreign_questions_find_the_english_article(sample_kb: KnowledgeBase) -> None:
    """Recall of the right English article per question language (6 questions each).

    Measured with the offline e5-small model and language calibration: top-3 de 6, fr 6, ja 6,
    es 4 of 6 (two Spanish questions lose to the sample's Spanish and German articles); top-1 17 of 24.
    """
    top1: dict[str, int] = {}
    top3: dict[str, int] = {}
    for q in QUERIES:
        ids = [h.source_id for h in sample_kb.searcher.search(q["query"], top_k=3, filters=SearchFilters(source="article")).hits]
        want = "article:" + q["article_id"]
        top1[q["lang"]] = top1.get(q["lang"], 0) + (ids[0] == want)
        top3[q["lang"]] = top3.get(q["lang"], 0) + (want in ids)
    assert top3["de"] == 6 and top3["ja"] == 6 and top3["fr"] >= 5, top3
    assert top3["es"] >= 4, top3
    assert sum(top1.values()) >= 16, top1


def test_each_source_appears_once(sample_kb: KnowledgeBase) -> None:
    hits = sample_kb.searcher.search("invoice download", top_k=10).hits
    ids = [h.source_id for h in hits]
    assert len(ids) == len(set(ids)) == 10
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_filters(sample_kb: KnowledgeBase) -> None:
    tickets = sample_kb.searcher.search("password reset", top_k=5, filters=SearchFilters(source="ticket")).hits
    assert tickets and all(h.kind == "ticket" for h in tickets)
    german = sample_kb.searcher.search("export", top_k=5, filters=SearchFilters(source="article", languages=("de",))).hits
    assert german and all(h.language and h.language.startswith("de") for h in german)
    billing = sample_kb.searcher.search("invoice", top_k=5, filters=SearchFilters(product_area="Billing")).hits
    assert billing and all(h.metadata["product_area"] == "billing" for h in billing)
    none = sample_kb.searcher.search("invoice", top_k=5, filters=SearchFilters(tags=("no-such-tag-xyz",))).hits
    assert none == []


def test_embedded_post_filter_agrees_with_store_filter(sample_kb: KnowledgeBase) -> None:
    """The embedded fast path (fetch wide, filter in Python) returns what Qdrant's own filter returns."""
    for flt in (SearchFilters(source="article"), SearchFilters(source="ticket", languages=("de",)), SearchFilters(product_area="billing", tags=("invoices", "refund"))):
        for query in ("invoice download", "Passwort vergessen", "cancel my plan"):
            vec = sample_kb.searcher.embed_query(query)
            fast = [c.node_id for c in sample_kb.searcher._candidates(vec, 5, flt)][:10]
            store = [c.node_id for c in sample_kb.index.query(vec.tolist(), top_k=50, filters=flt.to_llama())][:10]
            assert fast == store, (flt, query)
