"""The report pages (/reports/...): the gap report's volume by cluster over time, articles by age and
status, search outcomes by language, and the latest evaluation results; each with its charts, the
same numbers as tables, and a CSV download.

The server computes each chart's numbers (`kb_service.writers.series`, `kb_service.evalruns`) and
puts them in the page as a JSON data island (`<script type="application/json">`, not executed);
/static/reports.js draws them with the vendored Chart.js. Nothing is fetched after the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kb_service.api.reports import csv_response
from kb_service.evalruns import RUN_COLUMNS, EvalRun, load_runs, run_rows
from kb_service.knowledge import KnowledgeBase
from kb_service.web.pages import render, signed_in, with_headers
from kb_service.web.sessions import WebSession
from kb_service.writers.export import to_csv
from kb_service.writers.series import (
    ARTICLE_AGE_COLUMNS, GAP_SERIES_COLUMNS, OK, SEARCH_OUTCOME_COLUMNS, STATUS_LABELS, WINDOWS, article_age_rows,
    article_ages, gap_series, gap_series_rows, search_outcome_rows, search_outcomes,
)

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebSession, Depends(signed_in("reports"))]
Days = Annotated[int, Query(ge=1, le=3650)]

# Okabe–Ito, told apart with colour-blindness too (black left out: it reads as text)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
STATUS_COLOURS = {OK: "#009E73", "stale": "#E69F00", "unhelpful": "#56B4E9", "deprecated": "#CC79A7",
                  "contradicted": "#D55E00"}
OUTCOME_COLOURS = {"answered": "#009E73", "abstained": "#E69F00", "rated_unhelpful": "#D55E00"}
EVAL_METRICS = [("ndcg@10", "nDCG@10"), ("recall@10", "Recall@10")]


def _kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb  # type: ignore[no-any-return]


def chart(kind: str, labels: list[str], datasets: list[dict[str, Any]], x_title: str, y_title: str,
          stacked: bool = False, y_max: float | None = None, integer: bool = True) -> dict[str, Any]:
    """What reports.js draws: Chart.js's data, and the few options that differ between charts."""
    return {"type": kind, "labels": labels, "datasets": datasets, "xTitle": x_title, "yTitle": y_title,
            "stacked": stacked, "yMax": y_max, "integer": integer}


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _download(text: str, name: str) -> Response:
    response = with_headers(csv_response(text, name))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- gaps ------------------------------------------------------------------------------------

@router.get("/reports/gaps")
def gaps_page(request: Request, session: Reader) -> Response:
    series = gap_series(_kb(request))
    data = chart(
        "bar", series.weeks,
        [{"label": f"#{i} {_short(s.label)}" + ("" if s.covered else " (no article)"), "data": s.counts,
          "color": PALETTE[(i - 1) % len(PALETTE)]} for i, s in enumerate(series.series, 1)],
        "Week starting (Monday)", "Resolved tickets", stacked=True,
    )
    return render(request, "reports_gaps.html", session=session, nav="gaps", series=series, chart=data)


@router.get("/reports/gaps.csv")
def gaps_csv(request: Request, session: Reader) -> Response:
    return _download(to_csv(GAP_SERIES_COLUMNS, gap_series_rows(gap_series(_kb(request)))), "gap-volume")


# --- freshness ---------------------------------------------------------------------------------

@router.get("/reports/freshness")
def freshness_page(request: Request, session: Reader) -> Response:
    ages = article_ages(_kb(request))
    data = chart(
        "bar", ages.buckets,
        [{"label": STATUS_LABELS[s], "data": ages.counts[s], "color": STATUS_COLOURS[s]} for s in ages.statuses],
        "Age since the last update or review", "Articles", stacked=True,
    )
    attention = [a for a in ages.articles if a.status != OK]
    return render(request, "reports_freshness.html", session=session, nav="freshness", ages=ages, chart=data,
                  labels=STATUS_LABELS, attention=attention)


@router.get("/reports/freshness.csv")
def freshness_csv(request: Request, session: Reader) -> Response:
    return _download(to_csv(ARTICLE_AGE_COLUMNS, article_age_rows(article_ages(_kb(request)))), "articles-by-age")


# --- search outcomes -------------------------------------------------------------------------------

@router.get("/reports/search")
def search_page(request: Request, session: Reader, days: Days = WINDOWS[0]) -> Response:
    outcomes = search_outcomes(_kb(request), days)
    langs = outcomes.languages
    data = chart(
        "bar", [o.language for o in langs],
        [{"label": "Answered", "data": [o.answered for o in langs], "color": OUTCOME_COLOURS["answered"]},
         {"label": "Abstained (handed off)", "data": [o.abstained for o in langs], "color": OUTCOME_COLOURS["abstained"]},
         {"label": "Rated unhelpful", "data": [o.rated_unhelpful for o in langs], "color": OUTCOME_COLOURS["rated_unhelpful"]}],
        "Question language", "Requests",
    )
    return render(request, "reports_search.html", session=session, nav="search", outcomes=outcomes, chart=data,
                  windows=WINDOWS)


@router.get("/reports/search.csv")
def search_csv(request: Request, session: Reader, days: Days = WINDOWS[0]) -> Response:
    rows = search_outcome_rows(search_outcomes(_kb(request), days))
    return _download(to_csv(SEARCH_OUTCOME_COLUMNS, rows), f"search-outcomes-{days}d")


# --- evaluation ------------------------------------------------------------------------------------

def _trend(runs: list[EvalRun]) -> dict[str, Any] | None:
    """Overall nDCG@10 of the retrieval runs, oldest first, one line per data set and configuration."""
    if len(runs) < 2:
        return None
    ordered = sorted(runs, key=lambda r: (r.at, r.id))
    lines: dict[str, list[float | None]] = {}
    for i, r in enumerate(ordered):
        line = lines.setdefault(f"{r.dataset} ({r.profile or 'default'})", [None] * len(ordered))
        line[i] = r.metric("ndcg@10")
    return chart(
        "line", [r.at.replace("T", " ").removesuffix("Z") for r in ordered],
        [{"label": name, "data": values, "color": PALETTE[i % len(PALETTE)]} for i, (name, values) in enumerate(lines.items())],
        "Run (UTC)", "nDCG@10", y_max=1.0, integer=False,
    )


@router.get("/reports/eval")
def eval_page(request: Request, session: Reader) -> Response:
    listing = load_runs(_kb(request).settings.eval_runs_path)
    retrieval = listing.of("retrieval")
    latest = retrieval[0] if retrieval else None
    data = None
    if latest is not None and latest.per_lang:
        langs = sorted(latest.per_lang)
        data = chart(
            "bar", langs,
            [{"label": label, "data": [latest.metric(m, lang) for lang in langs], "color": PALETTE[i]}
             for i, (m, label) in enumerate(EVAL_METRICS)],
            "Query language", "Score (0–1)", y_max=1.0, integer=False,
        )
    others = [r for r in listing.runs if r.kind != "retrieval"]
    return render(request, "reports_eval.html", session=session, nav="eval", latest=latest, chart=data,
                  trend=_trend(retrieval), runs=retrieval, others=others, skipped=listing.skipped)


@router.get("/reports/eval.csv")
def eval_csv(request: Request, session: Reader) -> Response:
    listing = load_runs(_kb(request).settings.eval_runs_path)
    return _download(to_csv(RUN_COLUMNS, run_rows(listing.runs)), "eval-runs")
