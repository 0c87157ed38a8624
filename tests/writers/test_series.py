"""The report pages' series on real stores (real embeddings, embedded Qdrant, the records database):
tickets with known dates give known weekly counts, articles of known ages land in known buckets
under their most serious finding, and logged requests give known per-language outcomes; and the
API endpoints that serve them (scopes, JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kb_service.knowledge import KnowledgeBase
from kb_service.storage.database import search_log
from kb_service.writers.desk import article_document
from kb_service.writers.series import (
    AGE_BUCKETS, ARTICLE_AGE_COLUMNS, GAP_SERIES_COLUMNS, SEARCH_OUTCOME_COLUMNS, LanguageOutcomes, article_ages,
    gap_series, search_outcomes, week_range, week_start,
)
from tests.conftest import auth, make_settings

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)  # a Sunday

WIDGET = [  # one issue, no article: a gap
    ("W-1", "The shift widget disappeared from my Android home screen",
     "After the update the Fernbook shift widget is gone from my Android home screen.", "2026-11-02"),  # Monday
    ("W-2", "Shift widget missing from Android home screen",
     "The Fernbook shift widget vanished from the Android home screen after updating the app.", "2026-11-08"),  # Sunday, same week
]
PAYSLIP = [  # another issue, which an article covers; more tickets than the gap
    ("P-1", "Payslip PDF layout is broken with a tall company logo",
     "When our company logo is tall, the payslip PDF layout breaks and the table is pushed off the page.", "2026-10-20"),
    ("P-2", "Tall logo breaks the payslip PDF",
     "The payslip PDF is misaligned because our company logo is tall; the table moves off the page.", "2026-11-10"),
    ("P-3", "Payslip PDF broken by our tall logo",
     "Our tall company logo breaks the payslip PDF: the table is pushed off the page.", "2026-11-12"),
    # the same issue, resolved before the gap window (365 days): not clustered, not counted
    ("P-0", "Payslip PDF layout broken because the logo is tall",
     "The payslip PDF layout breaks when the company logo is tall and the table is pushed off the page.", "2025-06-02"),
]


def _ticket_file(folder: Path) -> Path:
    path = folder / "tickets.jsonl"
    path.write_text("".join(
        json.dumps({"id": i, "subject": s, "body": b, "resolution": "Reinstalled the app and exported again; it works now.",
                    "language": "en", "created": f"{d}T09:00:00Z", "resolved": f"{d}T15:00:00Z", "status": "solved"}) + "\n"
        for i, s, b, d in WIDGET + PAYSLIP
    ), encoding="utf-8")
    return path


@pytest.fixture
def ticket_kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase(make_settings(tmp_path / "data"))
    summary = kb.ingest_paths([_ticket_file(tmp_path)])
    assert not summary.errors, summary.errors
    kb.desk.publish(article_document(
        "payslip-pdf-tall-logo", "Payslip PDF layout broken by a tall company logo",
        "If your company logo is tall, the payslip PDF layout breaks and the table is pushed off the page. Upload a logo "
        "at most 120 pixels high under Settings > Payroll > Branding, then export the payslip PDF again.", "en"), "test")
    yield kb
    kb.close()


def test_week_start_is_the_monday() -> None:
    assert week_start("2026-11-02") == "2026-11-02"  # a Monday
    assert week_start("2026-11-08T23:59:00Z") == "2026-11-02"  # its Sunday
    assert week_start("2026-01-01") == "2025-12-29"  # across the year
    assert week_range("2026-10-20", "2026-11-12") == ["2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09"]


def test_gap_volume_counts_each_clusters_tickets_per_week(ticket_kb: KnowledgeBase) -> None:
    s = gap_series(ticket_kb, NOW)
    assert s.clusters == 2 and s.uncovered_clusters == 1 and s.not_shown == 0
    assert s.window_start == "2025-11-22"
    widget, payslip = s.series  # the uncovered cluster first, though it is the smaller one
    assert not widget.covered and payslip.covered and payslip.best_article == "payslip-pdf-tall-logo"
    assert widget.best_score < ticket_kb.settings.gap_min_score <= payslip.best_score
    assert widget.label in {t[1] for t in WIDGET} and payslip.label in {t[1] for t in PAYSLIP}
    assert s.weeks == ["2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09"]
    assert widget.counts == [0, 0, 2, 0]  # Monday and Sunday of one week
    assert payslip.counts == [1, 0, 0, 2]  # P-0 is outside the window
    assert (widget.total, payslip.total) == (2, 3) and payslip.languages == {"en": 3}
    assert {c.cluster_id for c in s.series} == {c.id for c in ticket_kb.desk.clusters.compute(NOW).clusters}


def test_gap_volume_keeps_the_uncovered_clusters_when_capped(ticket_kb: KnowledgeBase) -> None:
    s = gap_series(ticket_kb, NOW, max_series=1)
    assert [c.covered for c in s.series] == [False] and s.not_shown == 1
    assert s.weeks == ["2026-11-02"] and s.series[0].counts == [2]  # the span of the tickets shown


def test_gap_volume_of_an_empty_knowledge_base(fresh_kb: KnowledgeBase) -> None:
    s = gap_series(fresh_kb, NOW)
    assert s.series == [] and s.weeks == [] and s.clusters == 0


# --- articles by age and status -------------------------------------------------------------------

TODAY = datetime.now(timezone.utc)
# article id -> (days since its update, body addition, expected bucket, expected status)
ARTICLES: dict[str, tuple[int, str, str, str]] = {
    "fresh": (10, "", "under 30 days", "ok"),
    "steady": (45, "", "30–89 days", "ok"),
    "rated": (50, "", "30–89 days", "unhelpful"),
    "due": (120, "", "90–179 days", "stale"),
    "legacy": (200, " Open the Legacy Portal first.", "180–364 days", "deprecated"),  # and stale: counted once
    "reviewed": (400, "", "under 30 days", "ok"),  # marked reviewed today: its clock starts again
    "ancient": (500, "", "365 days or more", "stale"),
}


@pytest.fixture
def article_kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase(make_settings(tmp_path / "data", deprecated_terms="Legacy Portal=>the Admin Center",
                                     unhelpful_min_shown=2, unhelpful_min_votes=2))
    topics = {"fresh": "export a timesheet", "steady": "invite a colleague", "rated": "swap a shift",
              "due": "set up holidays", "legacy": "change the company name", "reviewed": "print a roster",
              "ancient": "close an account"}
    for aid, (days, extra, _, _) in ARTICLES.items():
        updated = (TODAY - timedelta(days=days)).date().isoformat()
        kb.desk.publish(article_document(aid, f"How to {topics[aid]}", f"This article explains how to {topics[aid]}.{extra}",
                                         "en", updated=updated), "test")
    kb.desk.mark_reviewed("reviewed", "test", None)
    for _ in range(2):  # shown twice, rated unhelpful twice
        log_id = kb.search_log.record("search", "how to swap a shift", "en", 0.9, True, ["rated"])
        kb.search_log.add_feedback(False, log_id)
    yield kb
    kb.close()


def test_articles_land_in_their_age_bucket_under_their_most_serious_status(article_kb: KnowledgeBase) -> None:
    ages = article_ages(article_kb)
    by_id = {a.article_id: a for a in ages.articles}
    assert set(by_id) == set(ARTICLES) and ages.total == len(ARTICLES)
    for aid, (days, _, bucket, status) in ARTICLES.items():
        a = by_id[aid]
        assert (a.bucket, a.status) == (bucket, status), aid
        if aid != "reviewed":
            assert a.age_days == days and a.since == (TODAY - timedelta(days=days)).date().isoformat()
    assert by_id["reviewed"].age_days == 0 and by_id["reviewed"].since == TODAY.date().isoformat()
    assert by_id["legacy"].findings == ["deprecated", "stale"]  # both, counted once under the more serious
    assert ages.buckets == [b for b, _, _ in AGE_BUCKETS]
    assert ages.counts == {
        "ok": [2, 1, 0, 0, 0],
        "stale": [0, 0, 1, 0, 1],
        "unhelpful": [0, 1, 0, 0, 0],
        "deprecated": [0, 0, 0, 1, 0],
        "contradicted": [0, 0, 0, 0, 0],
    }
    assert sum(map(sum, ages.counts.values())) == ages.total
    assert [a.article_id for a in ages.articles][:2] == ["legacy", "rated"]  # most serious first
    # the same clock as the freshness report's
    for f in article_kb.desk.freshness_report().findings:
        assert by_id[f.article_id].age_days == f.age_days
        assert f.kind in by_id[f.article_id].findings


# --- search outcomes by language -------------------------------------------------------------------

def _log(kb: KnowledgeBase, endpoint: str, language: str | None, answered: bool, days_ago: int = 0) -> int:
    log_id = kb.search_log.record(endpoint, f"a {endpoint} question", language, 0.9 if answered else 0.5, answered,
                                  ["some-article"] if answered else [])
    if days_ago:
        at = (datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with kb.search_log.engine.begin() as conn:
            conn.execute(update(search_log).where(search_log.c.id == log_id).values(at=at))
    return log_id


def fill_search_log(kb: KnowledgeBase) -> None:
    en_answer = _log(kb, "answer", "en", True)
    _log(kb, "answer", "en", True)
    _log(kb, "answer", "en", False)
    en_search = _log(kb, "search", "en", True)
    _log(kb, "suggest", "en", True)
    de_abstained = _log(kb, "answer", "de", False)
    _log(kb, "answer", "de", False)
    _log(kb, "answer", "de", True)
    _log(kb, "search", None, False)
    _log(kb, "answer", "en", True, days_ago=40)
    old_de = _log(kb, "answer", "de", False, days_ago=40)
    _log(kb, "answer", "fr", True, days_ago=300)
    _log(kb, "answer", "fr", True, days_ago=400)
    kb.search_log.add_feedback(False, en_answer)
    kb.search_log.add_feedback(False, en_answer)  # rated again: replaces the first rating
    kb.search_log.add_feedback(False, de_abstained, article_id="some-article")
    kb.search_log.add_feedback(False, de_abstained)  # the same request, rated twice: counted once
    kb.search_log.add_feedback(True, en_search)
    kb.search_log.add_feedback(False, old_de)
    kb.search_log.add_feedback(False, article_id="some-article")  # an article, not a request: no language


def test_search_outcomes_per_language_over_the_window(fresh_kb: KnowledgeBase) -> None:
    fill_search_log(fresh_kb)
    s = search_outcomes(fresh_kb, 30)
    assert s.days == 30
    assert [o.language for o in s.languages] == ["en", "de", "und"]  # most requests first
    en, de, und = s.languages
    assert en == LanguageOutcomes("en", answers=3, answered=2, abstained=1, searches=1, suggestions=1, rated_helpful=1,
                                  rated_unhelpful=1)
    assert de == LanguageOutcomes("de", answers=3, answered=1, abstained=2, rated_unhelpful=1)
    assert und == LanguageOutcomes("und", searches=1)
    assert s.total == LanguageOutcomes("all", answers=6, answered=3, abstained=3, searches=2, suggestions=1,
                                       rated_helpful=1, rated_unhelpful=2)

    s90 = {o.language: o for o in search_outcomes(fresh_kb, 90).languages}
    assert (s90["en"].answers, s90["en"].answered) == (4, 3)
    assert (s90["de"].answers, s90["de"].abstained, s90["de"].rated_unhelpful) == (4, 3, 2)
    assert "fr" not in s90
    s365 = {o.language: o for o in search_outcomes(fresh_kb, 365).languages}
    assert s365["fr"].answers == 1  # the one 300 days old, not the one 400 days old


def test_search_outcomes_with_nothing_logged(fresh_kb: KnowledgeBase) -> None:
    s = search_outcomes(fresh_kb, 30)
    assert s.languages == [] and s.total.requests == 0


# --- the API ----------------------------------------------------------------------------------------

ENDPOINTS = ["/v1/reports/gaps/series", "/v1/reports/articles-by-age", "/v1/reports/search-outcomes", "/v1/reports/eval"]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_series_endpoints_are_for_writers(fresh_client: TestClient, path: str) -> None:
    assert fresh_client.get(path).status_code == 401
    assert fresh_client.get(path, headers=auth("widget")).status_code == 403
    assert fresh_client.get(path, headers=auth("agent")).status_code == 403
    assert fresh_client.get(path, headers=auth("writer")).status_code == 200
    assert fresh_client.get(path, headers=auth("admin")).status_code == 200
    assert fresh_client.get(path, params={"format": "xml"}, headers=auth("writer")).status_code == 422


def test_search_outcomes_endpoint_json_and_csv(fresh_kb: KnowledgeBase, fresh_client: TestClient) -> None:
    fill_search_log(fresh_kb)
    body = fresh_client.get("/v1/reports/search-outcomes", params={"days": 90}, headers=auth("writer")).json()
    assert body["days"] == 90 and [o["language"] for o in body["languages"]] == ["en", "de", "und"]
    assert body["languages"][1] == {"language": "de", "answers": 4, "answered": 1, "abstained": 3, "searches": 0,
                                    "suggestions": 0, "rated_helpful": 0, "rated_unhelpful": 2}
    assert body["total"]["answers"] == 8
    r = fresh_client.get("/v1/reports/search-outcomes", params={"days": 90, "format": "csv"}, headers=auth("writer"))
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    assert r.text.splitlines()[0] == ",".join(SEARCH_OUTCOME_COLUMNS)
    rows = _csv(r.text)
    assert [{k: (v if k == "language" else int(v)) for k, v in row.items()} for row in rows] == body["languages"]
    assert fresh_client.get("/v1/reports/search-outcomes", params={"days": 0}, headers=auth("writer")).status_code == 422


def test_gap_series_endpoint_json_and_csv(ticket_kb: KnowledgeBase) -> None:
    from kb_service.app import create_app

    with TestClient(create_app(ticket_kb.settings, kb=ticket_kb)) as client:
        body = client.get("/v1/reports/gaps/series", headers=auth("writer")).json()
        r = client.get("/v1/reports/gaps/series", params={"format": "csv"}, headers=auth("writer"))
    assert [s["covered"] for s in body["series"]] == [False, True]
    assert sum(sum(s["counts"]) for s in body["series"]) == 5 and len(body["weeks"]) == 4
    assert r.text.splitlines()[0] == ",".join(GAP_SERIES_COLUMNS)
    rows = _csv(r.text)
    assert len(rows) == len(body["weeks"]) * len(body["series"])
    for s in body["series"]:
        mine = [row for row in rows if row["cluster_id"] == s["cluster_id"]]
        assert [row["week_start"] for row in mine] == body["weeks"]
        assert [int(row["tickets"]) for row in mine] == s["counts"]
        assert {row["covered"] for row in mine} == {str(s["covered"]).lower()}


def test_articles_by_age_endpoint_json_and_csv(article_kb: KnowledgeBase) -> None:
    from kb_service.app import create_app

    with TestClient(create_app(article_kb.settings, kb=article_kb)) as client:
        body = client.get("/v1/reports/articles-by-age", headers=auth("writer")).json()
        r = client.get("/v1/reports/articles-by-age", params={"format": "csv"}, headers=auth("writer"))
    assert body["total"] == len(ARTICLES) and body["counts"]["deprecated"] == [0, 0, 0, 1, 0]
    assert r.text.splitlines()[0] == ",".join(ARTICLE_AGE_COLUMNS)
    rows = _csv(r.text)
    assert {row["article_id"]: (row["age_bucket"], row["status"]) for row in rows} == {
        aid: (bucket, status) for aid, (_, _, bucket, status) in ARTICLES.items()
    }
