"""Searches of articles alone score the articles' vectors kept in memory (embedded store): the same
chunks, in the same order, with the same scores as the store's own filtered query."""

from __future__ import annotations

from kb_service.knowledge import KnowledgeBase
from kb_service.retrieval.search import SearchFilters

QUESTIONS = [
    ("How do I reset my password?", "en"),
    ("Wie exportiere ich Stunden nach DATEV?", "de"),
    ("¿Cómo cancelo mi suscripción?", "es"),
    ("シフトがGoogleカレンダーに二重に表示される", "ja"),
    ("my phone was stolen and I cannot get the two-factor code", "en"),
]


def test_article_candidates_match_the_stores_filtered_query(sample_kb: KnowledgeBase) -> None:
    s = sample_kb.searcher
    articles = SearchFilters(source="article")
    for question, lang in QUESTIONS:
        vec = s.shift.apply(s.embed_query(question), lang)
        mine = s._candidates(vec, 20, articles)
        theirs = sample_kb.index.query(vec.tolist(), top_k=len(mine), filters=articles.to_llama())
        assert mine and all(c.metadata.get("kind") == "article" for c in mine)
        assert [c.node_id for c in mine[:10]] == [c.node_id for c in theirs[:10]], question
        assert [round(c.score, 4) for c in mine[:10]] == [round(c.score, 4) for c in theirs[:10]], question


def test_the_article_vectors_follow_every_write(fresh_kb: KnowledgeBase) -> None:
    from ingest.documents import Section, SourceDocument

    doc = SourceDocument("article:kiosk", "article", "Kiosk mode", [Section("", "Turn on kiosk mode for shared tablets.")],
                         language="en")
    fresh_kb.put_documents([doc])
    hits = fresh_kb.searcher.search("shared tablet kiosk", 3, SearchFilters(source="article")).hits
    assert [h.source_id for h in hits] == ["article:kiosk"]
    fresh_kb.delete_sources(["article:kiosk"])
    assert fresh_kb.searcher.search("shared tablet kiosk", 3, SearchFilters(source="article")).hits == []
