"""Ticket clusters, the gap report and the freshness report on the shipped sample knowledge base
(real embeddings, embedded Qdrant, the real search), at a fixed date so the results do not age."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from kb_service.knowledge import KnowledgeBase
from kb_service.storage.database import open_database
from kb_service.storage.searchlog import SearchLog
from kb_service.writers.clusters import Clustering, agglomerate
from kb_service.writers.export import GAP_COLUMNS, gap_rows, to_csv
from kb_service.writers.gaps import gap_report

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def clustering(sample_kb: KnowledgeBase) -> Clustering:
    return sample_kb.desk.clusters.compute(NOW)


def cluster_of(c: Clustering, ticket_id: str) -> set[str]:
    for cl in c.clusters:
        if ticket_id in cl.ticket_ids:
            return set(cl.ticket_ids)
    return {ticket_id}


def test_same_issue_tickets_cluster_across_languages(clustering: Clustering) -> None:
    # a tall logo breaks the pay summary PDF: reported in German, English, French and Japanese
    pdf = cluster_of(clustering, "T-1052")
    assert {"T-1029", "C-2005", "C-2011"} <= pdf
    # the Android widget vanished: English and German tickets, months apart
    widget = cluster_of(clustering, "T-1091")
    assert "T-1090" in widget and "T-1019" in widget
    # and different issues stay apart
    assert "T-1027" not in pdf and not widget & {"T-1029", "T-1052"}


def test_a_cluster_knows_its_tickets_languages_span_and_article(clustering: Clustering) -> None:
    c = next(c for c in clustering.clusters if "T-1091" in c.ticket_ids)
    assert c.size == len(c.tickets) >= 3
    assert set(c.languages) >= {"en", "de"} and sum(c.languages.values()) == c.size
    assert c.first <= "2026-02-18" and c.last == "2026-11-17"
    assert c.tickets[0].centrality >= c.tickets[-1].centrality
    assert c.best_article is not None and 0 < c.best_score < 0.87  # no article on the widget
    assert c.id.startswith("c-") and clustering.get(c.id) is c


def test_gap_report_lists_uncovered_clusters_not_covered_ones(sample_kb: KnowledgeBase, clustering: Clustering) -> None:
    report = gap_report(sample_kb, clustering, [], NOW)
    listed = {i.id for i in report.items}
    # the 2FA tickets (German, English, Japanese) have their article: no gap
    twofa = next(c for c in clustering.clusters if "T-1027" in c.ticket_ids)
    assert twofa.best_article and twofa.best_article.article_id == "two-factor-authentication"
    assert twofa.best_score >= sample_kb.settings.gap_min_score and twofa.id not in listed
    # the widget and the PDF layout have none: gaps, the recent one first
    widget = next(c for c in clustering.clusters if "T-1091" in c.ticket_ids)
    pdf = next(c for c in clustering.clusters if "T-1052" in c.ticket_ids)
    assert widget.id in listed and pdf.id in listed
    items = {i.id: i for i in report.items}
    assert report.items[0].id == widget.id and items[widget.id].priority > items[pdf.id].priority
    item = items[widget.id]
    assert item.kind == "tickets" and item.volume == widget.size and set(item.ticket_ids) == set(widget.ticket_ids)
    assert item.examples and item.nearest_article is not None and "POST /v1/drafts" in item.action
    assert report.summary["uncovered_clusters"] == len([i for i in report.items if i.kind == "tickets"])


def test_logged_questions_without_an_article_are_grouped_as_gaps(sample_kb: KnowledgeBase, clustering: Clustering,
                                                                 tmp_path: Path) -> None:
    """Logged questions, as the API logs them (real searches), grouped across languages; the ones an
    article answers are not gaps."""
    log = SearchLog(open_database(f"sqlite:///{tmp_path / 'log.sqlite3'}"))
    asked = [
        ("How do I add the shift widget to my iPhone lock screen?", "en"),
        ("Wie bekomme ich das Schicht-Widget auf den iPhone-Sperrbildschirm?", "de"),  # no answer at all
        ("How do I reset my password?", "en"),  # answered by reset-password
    ]
    for q, lang in asked:
        a = sample_kb.answers.answer(q, question_language=lang)
        log.record("answer", q, lang, a.passages[0].score if a.passages else None, a.answered,
                   [h.source_id.removeprefix("article:") for h in a.passages], "widget:test", a.query_vector)
    report = gap_report(sample_kb, clustering, list(log.entries(vectors=True)), NOW)
    questions = [i for i in report.items if i.kind == "questions"]
    assert len(questions) == 1, [(i.examples, i.volume) for i in questions]
    q = questions[0]
    assert q.volume == 2 and set(q.languages) == {"en", "de"} and q.dead_ends == 1
    assert not any("password" in e for e in q.examples) and "answer" in q.action
    assert report.summary["logged_questions"] == 3


def test_gap_report_as_csv(sample_kb: KnowledgeBase, clustering: Clustering) -> None:
    report = gap_report(sample_kb, clustering, [], NOW)
    text = to_csv(GAP_COLUMNS, gap_rows(report))
    lines = text.splitlines()
    assert lines[0].split(",")[:4] == ["rank", "kind", "id", "volume"]
    assert len(lines) == len(report.items) + 1 and report.items[0].id in lines[1]


def test_csv_cells_never_become_formulas() -> None:
    text = to_csv(["a", "b"], [{"a": "=HYPERLINK(\"http://x\")", "b": "-1"}])
    assert "'=HYPERLINK" in text and "'-1" in text


def test_agglomerate_cuts_at_the_average_similarity() -> None:
    import numpy as np

    v = np.array([[1, 0, 0], [0.99, 0.14, 0], [0, 1, 0], [0, 0.98, 0.2]], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    labels = agglomerate(v, 0.9)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]
    assert len(agglomerate(v[:1], 0.9)) == 1


# --- freshness -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def freshness(sample_kb: KnowledgeBase):  # type: ignore[no-untyped-def]
    return sample_kb.desk.freshness.report(NOW)


def findings(report, kind: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {f.article_id: f for f in report.findings if f.kind == kind}


def test_stale_articles_are_found_with_the_reason(freshness) -> None:  # type: ignore[no-untyped-def]
    stale = findings(freshness, "stale")
    assert {"browser-requirements", "datev-export", "quickbooks-export"} <= set(stale)
    f = stale["browser-requirements"]
    assert "2023-05-17" in f.reason and "90 days" in f.reason and f.age_days > 1000
    assert "/v1/articles/browser-requirements/reviewed" in f.action
    # articles updated in the last 90 days are not stale
    assert "two-factor-authentication" not in stale and "slack-integration" not in stale


def test_articles_naming_a_deprecated_feature_are_found(freshness) -> None:  # type: ignore[no-untyped-def]
    dep = findings(freshness, "deprecated")
    assert set(dep) == {"clock-in-mobile", "quickbooks-export"}
    f = dep["clock-in-mobile"]
    assert f.evidence["term"] == "Classic Timesheets" and "Classic Timesheets" in f.evidence["context"]
    assert "new timesheets" in f.action


def test_article_contradicted_by_newer_resolutions_is_found(freshness) -> None:  # type: ignore[no-untyped-def]
    con = findings(freshness, "contradicted")
    assert set(con) == {"slack-integration"}
    f = con["slack-integration"]
    ids = {t["ticket_id"] for t in f.evidence["tickets"]}
    assert {"T-1087", "T-1089"} <= ids
    assert all(t["resolved"] > "2026-09-25" for t in f.evidence["tickets"])
    assert any(t["says_changed"] for t in f.evidence["tickets"]) and "T-1087" in f.reason
    assert freshness.findings[0].kind == "contradicted"  # most urgent first


def test_old_tickets_do_not_contradict_newer_articles(sample_kb: KnowledgeBase) -> None:
    """The same tickets, read before the Slack article's last update (2026-09-25), are older than it:
    with the article dated after them, nothing contradicts it."""
    checker = sample_kb.desk.freshness
    articles = list(sample_kb.store.iter_all(kind="article"))
    dates = {st.doc.source_id.removeprefix("article:"): (st.doc.updated or "")[:10] for st in articles}
    contradicted, _ = checker._contradictions(articles, dates)
    assert set(contradicted) == {"slack-integration"}
    # T-1049 (March 2026) is about the Slack article too, but older than it: never evidence
    assert "T-1049" not in {t["ticket_id"] for t in contradicted["slack-integration"]}
    dates["slack-integration"] = "2026-12-01"  # had the article been updated after the tickets
    contradicted, _ = checker._contradictions(articles, dates)
    assert contradicted == {}
