from __future__ import annotations

from kb_service.knowledge import KnowledgeBase


def test_suggest_returns_articles_and_resolved_tickets(sample_kb: KnowledgeBase) -> None:
    s = sample_kb.suggest("Google Calendar shows every shift twice since yesterday", top_articles=3, top_tickets=3)
    assert s.articles[0].source_id == "article:google-calendar-sync"
    assert len(s.tickets) == 3 and all(t.kind == "ticket" for t in s.tickets)
    assert all(t.metadata.get("resolution") for t in s.tickets)
    assert s.query_language == "en"


def test_suggest_crosslingual_tickets(sample_kb: KnowledgeBase) -> None:
    s = sample_kb.suggest("Der Kalender zeigt alle Schichten doppelt an", top_tickets=5)
    assert any("calendar" in (t.title + t.text).lower() or "kalender" in (t.title + t.text).lower() for t in s.tickets)
