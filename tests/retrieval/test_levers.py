"""The retrieval levers of /v1/search: sentence windows and title lines (side vectors), the query
language shift, and the preference for the customer's own-language version of an article."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ingest.chunking import Chunk, chunk_document, says_what_it_answers, sentence_windows, title_line
from ingest.documents import Section, SourceDocument
from ingest.loader import load_path
from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase
from kb_service.retrieval.language_shift import LanguageShift
from kb_service.retrieval.search import RetrievalOptions, Searcher
from kb_service.storage.sources import TITLE, WINDOW

ARTICLES = SAMPLE_DIR / "articles"


def test_sentence_windows_keep_the_title_line() -> None:
    header = "Reset your password — Troubleshooting"
    chunk = Chunk(f"{header}\nCheck your spam folder. Wait five minutes!\n1. Open Settings.", "Troubleshooting", 0, header)
    assert sentence_windows(chunk) == [
        "Reset your password — Troubleshooting\nCheck your spam folder.",
        "Reset your password — Troubleshooting\nWait five minutes!",
        "Reset your password — Troubleshooting\n1. Open Settings.",
    ]
    assert sentence_windows(Chunk("Title\nOnly one sentence here.", "", 0, "Title")) == []  # the chunk vector already is it
    assert sentence_windows(Chunk("Just a title", "", 0, "Just a title")) == []


def test_documents_without_a_title_still_get_windows() -> None:
    """A BEIR corpus or a ticket without subject has no title line: its first sentence is body, not header."""
    untitled = doc("x", "", "Refunds take five days. They go back to the card you paid with. Ask billing for help.")
    chunks = chunk_document(untitled)
    assert chunks[0].header == ""
    assert sentence_windows(chunks[0]) == ["Refunds take five days.", "They go back to the card you paid with.", "Ask billing for help."]
    assert title_line(chunks[0]) is None
    titled = chunk_document(doc("y", "How long do refunds take?", "Five days. They go back to your card."))[0]
    assert titled.header == "How long do refunds take?" and title_line(titled) == "How long do refunds take?"
    assert sentence_windows(titled) == ["How long do refunds take?\nFive days.", "How long do refunds take?\nThey go back to your card."]


def test_which_titles_get_a_vector() -> None:
    assert says_what_it_answers("How do I export invoices?")
    assert says_what_it_answers("¿Cómo exporto?")
    assert says_what_it_answers("Export your data as CSV")
    assert says_what_it_answers("Reset your password — Troubleshooting")
    assert says_what_it_answers("パスワードを再設定する方法について")
    assert not says_what_it_answers("Normans")
    assert not says_what_it_answers("Billing plans")
    assert not says_what_it_answers("請求書")
    assert title_line(Chunk("Normans\nBefore Rollo's arrival...", "", 0, "Normans")) is None
    q = "How can I use markdown in Google Docs?"
    assert title_line(Chunk(f"{q}\nTry StackEdit.", "", 0, q)) == q


def doc(source_id: str, title: str, text: str, language: str = "en") -> SourceDocument:
    return SourceDocument(f"article:{source_id}", "article", title, [Section("", text)], language=language)


def test_side_vectors_follow_their_source(fresh_kb: KnowledgeBase) -> None:
    first = doc("export", "Export your timesheets to payroll", "Open Reports. Choose Timesheets. Click Export.")
    fresh_kb.put_documents([first])
    side = fresh_kb.store.side_vectors(["article:export"])["article:export"]
    assert list(side.kinds) == [TITLE, WINDOW, WINDOW, WINDOW]
    assert side.vectors.shape == (4, fresh_kb.embedder.dim)
    assert np.allclose(np.linalg.norm(side.vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)

    fresh_kb.put_documents([doc("export", "Export", "Open Reports and click Export.")])  # no title vector, one sentence
    assert fresh_kb.store.side_vectors(["article:export"]) == {}
    fresh_kb.put_documents([first])
    assert "article:export" in fresh_kb.store.side_vectors(["article:export"])
    fresh_kb.delete_sources(["article:export"])
    assert fresh_kb.store.side_vectors(["article:export"]) == {}


def test_a_question_about_one_sentence_finds_its_article(fresh_kb: KnowledgeBase) -> None:
    """Windows score a source by its best sentence too; plain dense scores stay the chunk cosine."""
    fresh_kb.put_documents([
        doc("plans", "Billing plans", "Fernbook has three plans: Starter, Team and Business. Team adds shift swaps and "
            "approvals. Business adds SSO, audit logs and a dedicated manager. Annual billing saves two months. "
            "Nonprofits get 30 percent off any plan when they send proof of status to billing."),
        doc("discounts", "Coupons", "Coupon codes are entered at checkout. A coupon applies to the first invoice only."),
    ])
    hits = fresh_kb.searcher.search("Do charities get a discount?", top_k=2).hits
    assert hits[0].source_id == "article:plans"
    assert hits[0].score != hits[0].cosine  # re-scored with the best window
    dense = Searcher(fresh_kb.embedder, fresh_kb.index, fresh_kb.detector,
                     RetrievalOptions(windows=False, title_weight=0.0, language_shift=0.0, prefer_own_language=False), fresh_kb.store)
    assert all(h.score == h.cosine for h in dense.search("Do charities get a discount?", top_k=2).hits)


def test_language_shift_moves_only_non_english_queries(sample_kb: KnowledgeBase) -> None:
    shift = LanguageShift("multilingual-e5-small", 0.5)
    assert shift.active and {"de", "es", "fr", "ja", "ar", "zh", "pt"} <= set(shift.directions)
    q = sample_kb.embedder.embed_queries(["Wie setze ich mein Passwort zurück?"])[0]
    moved = shift.apply(q, "de")
    assert abs(float(np.linalg.norm(moved)) - 1.0) < 1e-5 and float(moved @ q) < 0.999
    assert shift.apply(q, "en") is q and shift.apply(q, None) is q
    assert not LanguageShift("some-other-model", 0.5).active  # directions are per model
    assert not LanguageShift("multilingual-e5-small", 0.0).active


GERMAN_RESET = doc(
    "passwort-zuruecksetzen", "Passwort zurücksetzen",
    "Wenn Sie Ihr Fernbook-Passwort vergessen haben, können Sie in wenigen Minuten selbst ein neues festlegen. "
    "Links zum Zurücksetzen sind 60 Minuten gültig und können nur einmal verwendet werden.\n\n"
    "1. Klicken Sie auf der Anmeldeseite auf Passwort vergessen?.\n2. Geben Sie Ihre E-Mail-Adresse ein und klicken Sie "
    "auf Link senden.\n3. Öffnen Sie die E-Mail und klicken Sie auf Neues Passwort wählen.\n\n"
    "Kommt die E-Mail nicht an, prüfen Sie Ihren Spam-Ordner und warten Sie fünf Minuten, bevor Sie einen neuen Link anfordern.",
    language="de",
)


def test_the_customers_language_version_comes_first(fresh_kb: KnowledgeBase) -> None:
    docs = []
    for name in ("html/reset-password.html", "html/cancel-subscription.html", "html/data-processing-agreement.html", "html/sign-in.html"):
        docs += load_path(ARTICLES / name).documents
    fresh_kb.put_documents(docs + [GERMAN_RESET])

    def top(q: str) -> str:
        return fresh_kb.searcher.search(q, top_k=3, ).hits[0].source_id

    assert top("Wie setze ich mein Passwort zurück?") == "article:passwort-zuruecksetzen"
    assert top("Ich habe mein Passwort vergessen") == "article:passwort-zuruecksetzen"
    assert top("I forgot my password, how do I reset it?") == "article:reset-password"
    # a German article that is not a version of the English answer does not jump ahead of it
    assert top("Wie kündige ich mein Abo?") == "article:cancel-subscription"


def test_an_index_from_before_side_vectors_asks_for_reindex(tmp_path: Path) -> None:
    from kb_service.knowledge import SIDE_VECTORS_KEY
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data")
    kb = KnowledgeBase(settings)
    assert kb.reindex_advice is None  # a new knowledge base starts with side vectors
    kb.put_documents([doc("export", "Export your timesheets to payroll", "Open Reports. Choose Timesheets. Click Export.")])
    # as an index written by the previous version: no side vectors, no format mark
    kb.store._transaction("DELETE FROM meta WHERE key = ?", [(SIDE_VECTORS_KEY,)])
    kb.store._transaction("DELETE FROM side_vectors", [()])
    kb.close()

    kb = KnowledgeBase(settings)
    try:
        assert kb.reindex_advice and "kb reindex" in kb.reindex_advice
        assert kb.searcher.search("payroll export", top_k=1).hits[0].source_id == "article:export"  # still found, by its chunk
        kb.reindex()
        assert kb.reindex_advice is None
        assert "article:export" in kb.store.side_vectors(["article:export"])
    finally:
        kb.close()
    kb = KnowledgeBase(settings)
    assert kb.reindex_advice is None
    kb.close()
