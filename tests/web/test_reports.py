"""The report pages in headless Chromium, on the live service over the sample knowledge base: each
page draws its chart with data (Chart.js from /static/vendor, the canvas painted in the datasets'
colours), the table under it holds the same numbers, its CSV download holds them too, no page
fetches from outside the service or throws, and a signed-out browser is sent to sign in.
Screenshots: test-artifacts/screenshots/reports-*.png."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kb_service.evalruns import RUN_COLUMNS, save_run
from kb_service.writers.series import ARTICLE_AGE_COLUMNS, GAP_SERIES_COLUMNS, SEARCH_OUTCOME_COLUMNS
from tests.conftest import KEYS, auth
from tests.web.conftest import LiveService, Visit, sign_in

# JS: the numbers a chart was given, and how many pixels inside its plot area carry a dataset's colour
CHART_DATA = "id => Chart.getChart(document.getElementById(id)).data.datasets.map(d => d.data)"
PAINTED = """id => {
  const canvas = document.getElementById(id);
  const chart = Chart.getChart(canvas);
  const hex = h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
  const colours = chart.data.datasets.map(d => hex(d.backgroundColor));
  const r = chart.currentDevicePixelRatio, a = chart.chartArea;
  const img = canvas.getContext('2d').getImageData(Math.floor(a.left * r), Math.floor(a.top * r),
                                                   Math.ceil(a.width * r), Math.ceil(a.height * r)).data;
  let n = 0;
  for (let i = 0; i < img.length; i += 4) {
    if (img[i + 3] < 200) continue;
    if (colours.some(c => Math.abs(img[i] - c[0]) < 12 && Math.abs(img[i + 1] - c[1]) < 12 && Math.abs(img[i + 2] - c[2]) < 12)) n++;
  }
  return n;
}"""
TABLE = """sel => Array.from(document.querySelectorAll(sel)).map(tr => Array.from(tr.children).map(c => c.textContent.trim()))"""


def open_report(visit: Visit, path: str, canvas: str) -> list[list[Any]]:
    """Sign in to the report page, wait for its chart; the chart's datasets' numbers."""
    sign_in(visit, next_path=path)
    visit.page.wait_for_function(f"() => window.Chart && Chart.getChart(document.getElementById('{canvas}'))")
    values: list[list[Any]] = visit.page.evaluate(CHART_DATA, canvas)
    assert visit.page.evaluate(PAINTED, canvas) > 200, "the chart's plot area is blank"
    c = visit.page.locator(f"canvas#{canvas}")
    assert c.get_attribute("role") == "img" and len(c.get_attribute("aria-label") or "") > 20
    return values


def rows(visit: Visit, selector: str) -> list[list[str]]:
    return visit.page.evaluate(TABLE, selector)  # type: ignore[no-any-return]


def download_csv(visit: Visit, columns: list[str]) -> list[dict[str, str]]:
    """Click the page's "Download CSV" link; the rows of the file it downloads (header checked)."""
    with visit.page.expect_download() as info:
        visit.page.get_by_role("link", name="Download CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(columns)
    return list(csv.DictReader(io.StringIO(text)))


def check_served_as_attachment(visit: Visit, path: str) -> None:
    r = visit.context.request.get(path)  # with the session cookie
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")


def no_trouble(visit: Visit) -> None:
    visit.no_outside_requests()
    visit.no_script_errors()
    assert not [e for e in visit.console_errors if "Content Security Policy" in e or "Refused" in e], visit.console_errors


def test_signed_out_report_pages_and_downloads_send_to_sign_in(visit: Visit) -> None:
    for path in ("/reports/gaps", "/reports/freshness", "/reports/search?days=90", "/reports/eval"):
        visit.page.goto(path)
        assert "/signin?next=" in visit.page.url and path.split("?")[0] in visit.page.url
    r = visit.context.request.get("/reports/gaps.csv", max_redirects=0)
    assert r.status == 303 and r.headers["location"].startswith("/signin?next=/reports/gaps.csv")


def test_gaps_page_draws_weekly_volume_per_cluster(visit: Visit) -> None:
    values = open_report(visit, "/reports/gaps", "gaps-chart")
    assert 1 <= len(values) <= 8 and sum(map(sum, values)) > 0
    labels = visit.page.evaluate("() => Chart.getChart(document.getElementById('gaps-chart')).data.labels")
    table = rows(visit, "#gaps-table tbody tr")
    busy = [i for i in range(len(labels)) if any(series[i] for series in values)]
    assert [r[0] for r in table] == [labels[i] for i in busy]  # a row per week with tickets
    for i, r in zip(busy, table):
        assert [int(x) for x in r[1:-1]] == [series[i] for series in values]
        assert int(r[-1]) == sum(series[i] for series in values) > 0
    # every cluster drawn is listed, the uncovered ones first
    covered = [r[2] for r in rows(visit, "#gap-clusters tbody tr")]
    assert len(covered) == len(values) and covered == sorted(covered, key=lambda c: c == "covered")
    visit.shot("reports-gaps")

    clusters = visit.page.eval_on_selector_all("#gaps-table th[data-cluster]", "ths => ths.map(t => t.dataset.cluster)")
    downloaded = download_csv(visit, GAP_SERIES_COLUMNS)
    assert len(downloaded) == len(labels) * len(clusters)
    by = {(d["week_start"], d["cluster_id"]): int(d["tickets"]) for d in downloaded}
    for r in table:
        assert [by[(r[0], c)] for c in clusters] == [int(x) for x in r[1:-1]]
    assert sum(by.values()) == sum(int(r[-1]) for r in table)  # the weeks left out of the table are empty
    check_served_as_attachment(visit, "/reports/gaps.csv")
    no_trouble(visit)


def test_freshness_page_draws_articles_by_age_and_status(visit: Visit, live: LiveService) -> None:
    values = open_report(visit, "/reports/freshness", "freshness-chart")
    articles = sum(1 for _ in live.kb.store.iter_all(kind="article"))
    assert sum(map(sum, values)) == articles > 0  # each article once
    statuses = visit.page.eval_on_selector_all("#freshness-table th[data-status]", "ths => ths.map(t => t.dataset.status)")
    assert statuses == ["ok", "stale", "unhelpful", "deprecated", "contradicted"]
    assert sum(values[0]) > 0 and sum(map(sum, values[1:])) > 0  # the sample has both up-to-date and flagged articles
    table = rows(visit, "#freshness-table tbody tr")
    for i, r in enumerate(table):
        assert [int(x) for x in r[1:-1]] == [v[i] for v in values]
    flagged = rows(visit, "#freshness-articles tbody tr")
    assert len(flagged) == sum(map(sum, values[1:]))
    assert visit.page.locator("#freshness-articles a[href='/desk#freshness']").count() == len(flagged)
    visit.shot("reports-freshness")

    downloaded = download_csv(visit, ARTICLE_AGE_COLUMNS)
    assert len(downloaded) == articles
    counted = Counter((d["age_bucket"], d["status"]) for d in downloaded)
    for r in table:
        assert [int(x) for x in r[1:-1]] == [counted[(r[0], s)] for s in statuses]
    check_served_as_attachment(visit, "/reports/freshness.csv")
    no_trouble(visit)


QUESTIONS = [  # (question, language): some the sample answers, some it does not
    ("How do I connect Fernbook to Slack?", "en"),
    ("What is the population of Ulaanbaatar?", "en"),
    ("Wie verbinde ich Fernbook mit Slack?", "de"),
    ("Wie hoch ist die Zugspitze?", "de"),
]


def test_search_page_draws_outcomes_by_language(visit: Visit, live: LiveService) -> None:
    def outcomes() -> dict[str, dict[str, int]]:
        r = httpx.get(f"{live.url}/v1/reports/search-outcomes", params={"days": 30}, headers=auth("writer"), timeout=60)
        return {o["language"]: o for o in r.json()["languages"]}

    before = outcomes()
    expected: dict[str, Counter[str]] = {}
    rated = None
    for question, language in QUESTIONS:
        r = httpx.post(f"{live.url}/v1/answer", json={"question": question, "language": language},
                       headers={"X-API-Key": KEYS["widget"]}, timeout=120)
        assert r.status_code == 200, r.text
        body = r.json()
        lang = body["question_language"]
        expected.setdefault(lang, Counter())["answers"] += 1
        expected[lang]["answered" if body["answered"] else "abstained"] += 1
        if lang == "de" and rated is None:
            rated = body["log_id"]
    assert set(expected) == {"en", "de"}
    r = httpx.post(f"{live.url}/v1/feedback", json={"log_id": rated, "helpful": False},
                   headers={"X-API-Key": KEYS["widget"]}, timeout=60)
    assert r.status_code == 201, r.text
    expected["de"]["rated_unhelpful"] += 1
    after = outcomes()
    for lang, delta in expected.items():
        for key in ("answers", "answered", "abstained", "rated_unhelpful"):
            assert after[lang][key] == before.get(lang, {}).get(key, 0) + delta[key], (lang, key)

    values = open_report(visit, "/reports/search", "search-chart")
    labels = visit.page.evaluate("() => Chart.getChart(document.getElementById('search-chart')).data.labels")
    assert {"en", "de"} <= set(labels)
    answered, abstained, unhelpful = values
    for i, lang in enumerate(labels):
        assert (answered[i], abstained[i], unhelpful[i]) == (after[lang]["answered"], after[lang]["abstained"],
                                                             after[lang]["rated_unhelpful"])
    assert sum(answered) + sum(abstained) >= len(QUESTIONS) and unhelpful[labels.index("de")] >= 1
    table = {r[0]: r for r in rows(visit, "#search-table tbody tr")}
    assert list(table) == labels
    for lang in labels:
        assert [int(table[lang][i]) for i in (1, 2, 3, 8)] == [after[lang][k] for k in
                                                              ("answers", "answered", "abstained", "rated_unhelpful")]
    assert visit.page.locator("nav.windows a[aria-current='page']").inner_text() == "Last 30 days"
    visit.shot("reports-search")

    downloaded = {d["language"]: d for d in download_csv(visit, SEARCH_OUTCOME_COLUMNS)}
    assert list(downloaded) == labels
    for lang in labels:
        assert [int(downloaded[lang][k]) for k in ("answers", "answered", "abstained", "rated_unhelpful")] == \
            [int(table[lang][i]) for i in (1, 2, 3, 8)]
    check_served_as_attachment(visit, "/reports/search.csv?days=90")
    visit.page.get_by_role("link", name="Last 90 days").click()
    visit.page.wait_for_url("**/reports/search?days=90")
    assert visit.page.locator("nav.windows a[aria-current='page']").inner_text() == "Last 90 days"
    no_trouble(visit)


def retrieval_metrics(scale: float) -> dict[str, Any]:
    """Metrics shaped as `kb eval retrieval` writes them."""
    per_lang = {
        "de": {"ndcg@10": round(0.71 * scale, 4), "recall@1": 0.55, "recall@10": round(0.84 * scale, 4), "mrr@10": 0.66, "n": 40},
        "en": {"ndcg@10": round(0.86 * scale, 4), "recall@1": 0.71, "recall@10": round(0.95 * scale, 4), "mrr@10": 0.8, "n": 60},
        "ja": {"ndcg@10": round(0.64 * scale, 4), "recall@1": 0.48, "recall@10": round(0.79 * scale, 4), "mrr@10": 0.58, "n": 25},
    }
    return {
        "dataset": "fernbook-help", "profile": "full", "ndcg@10": round(0.77 * scale, 4), "recall@1": 0.61,
        "recall@10": round(0.88 * scale, 4), "mrr@10": 0.71, "n": 125, "per_lang": per_lang,
        "latency_ms": {"p50": 31.2, "p95": 58.9}, "top_k": 10, "documents": 36, "chunks": 120, "unjudged_queries": 0,
        "ingest_s": 14.2, "settings": {},
    }


def test_eval_page_draws_the_latest_runs_quality_per_language(visit: Visit, live: LiveService) -> None:
    runs = live.kb.settings.eval_runs_path
    now = datetime.now(timezone.utc)
    save_run(runs, "retrieval", "fernbook-help", retrieval_metrics(0.9), "full", 10, now=now - timedelta(days=7))
    latest = save_run(runs, "retrieval", "fernbook-help", retrieval_metrics(1.0), "full", 10, now=now)
    (runs / "20000101T000000000000Z-retrieval-cut-short.json").write_text('{"format": 1, "kind": "retr')  # a partial file

    values = open_report(visit, "/reports/eval", "eval-chart")
    labels = visit.page.evaluate("() => Chart.getChart(document.getElementById('eval-chart')).data.labels")
    per_lang = retrieval_metrics(1.0)["per_lang"]
    assert labels == sorted(per_lang)
    assert values == [[per_lang[lang]["ndcg@10"] for lang in labels], [per_lang[lang]["recall@10"] for lang in labels]]
    table = {r[0]: r for r in rows(visit, "#eval-table tbody tr")}
    for lang in labels:
        assert (float(table[lang][2]), float(table[lang][3])) == pytest.approx(
            (per_lang[lang]["ndcg@10"], per_lang[lang]["recall@10"]), abs=5e-4)
        assert int(table[lang][1]) == per_lang[lang]["n"]
    # the trend of overall nDCG@10 across the runs
    visit.page.wait_for_function("() => Chart.getChart(document.getElementById('trend-chart'))")
    trend = visit.page.evaluate(CHART_DATA, "trend-chart")
    assert trend[0][-2:] == [round(0.77 * 0.9, 4), 0.77]
    assert visit.page.evaluate(PAINTED, "trend-chart") > 20
    assert "cut-short" in visit.page.locator("#skipped ~ ul").inner_text()  # named, not a failure
    visit.shot("reports-eval")

    downloaded = [d for d in download_csv(visit, RUN_COLUMNS) if d["run_id"] == latest.stem]
    assert [d["language"] for d in downloaded] == ["all", *labels]
    for d in downloaded[1:]:
        assert (float(d["ndcg@10"]), float(d["recall@10"])) == pytest.approx(
            (float(table[d["language"]][2]), float(table[d["language"]][3])), abs=5e-4)
    check_served_as_attachment(visit, "/reports/eval.csv")
    no_trouble(visit)


def test_report_pages_say_nothing_yet_without_data(fresh_client: TestClient) -> None:
    """An empty knowledge base: each page says what is missing (and how to get it) instead of an empty chart."""
    r = fresh_client.post("/signin", data={"key": KEYS["writer"], "next": "/reports/eval"}, follow_redirects=False)
    assert r.status_code == 303
    expected = {
        "/reports/gaps": "no ticket clusters",
        "/reports/freshness": "there are no articles",
        "/reports/search": "no answer, search or suggestion was logged in the last 30 days",
        "/reports/eval": "kb eval retrieval &lt;folder&gt;",
    }
    for path, words in expected.items():
        r = fresh_client.get(path)
        assert r.status_code == 200, path
        assert "Nothing yet" in r.text and words in r.text, path
        assert "<canvas" not in r.text, path
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
    csv_text = fresh_client.get("/reports/search.csv").text
    assert csv_text.splitlines() == [",".join(SEARCH_OUTCOME_COLUMNS)]
