"""Writers' reports: ticket clusters, the gap report and the freshness report, and the series the
report pages chart (gap volume over time, articles by age, search outcomes, evaluation runs); JSON or CSV."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path as PathParam, Query
from fastapi.responses import Response

from kb_service.api.deps import KBDep, require
from kb_service.api.schemas_writers import (
    ArticleAgeOut, ArticlesByAgeOut, ClusterList, ClusterOut, ClusterSeriesOut, ClusterTicketOut, EvalRunOut, EvalRunsOut,
    FindingOut, FreshnessReportOut, GapItemOut, GapReportOut, GapSeriesOut, LanguageOutcomesOut, RelatedArticleOut,
    SearchOutcomesOut, SkippedRunOut,
)
from kb_service.evalruns import RUN_COLUMNS, Kind, RunListing, load_runs, run_rows
from kb_service.writers.clusters import Cluster, RelatedArticle
from kb_service.writers.export import FRESHNESS_COLUMNS, GAP_COLUMNS, freshness_rows, gap_rows, to_csv
from kb_service.writers.freshness import FreshnessReport
from kb_service.writers.gaps import GapReport
from kb_service.writers.series import (
    ARTICLE_AGE_COLUMNS, GAP_SERIES_COLUMNS, SEARCH_OUTCOME_COLUMNS, ArticleAges, GapSeries, SearchOutcomes, article_age_rows,
    article_ages, gap_series, gap_series_rows, search_outcome_rows, search_outcomes,
)

router = APIRouter(tags=["reports"], dependencies=[Depends(require("reports"))])
Format = Annotated[Literal["json", "csv"], Query(description="csv: one row per item, for spreadsheets.")]


def related_out(r: RelatedArticle | None) -> RelatedArticleOut | None:
    return RelatedArticleOut(id=r.article_id, title=r.title, url=r.url, score=r.score) if r else None


def cluster_out(c: Cluster, min_score: float) -> ClusterOut:
    return ClusterOut(
        id=c.id, size=c.size, languages=c.languages, first=c.first, last=c.last, cohesion=c.cohesion,
        covered=c.best_score >= min_score, best_article=related_out(c.best_article),
        related=[x for r in c.related if (x := related_out(r))],
        tickets=[ClusterTicketOut(id=t.ticket_id, title=t.title, language=t.language, at=t.at, centrality=t.centrality)
                 for t in c.tickets],
    )


def gap_report_out(report: GapReport) -> GapReportOut:
    """The API's (and `kb report gaps --json`'s) shape of the gap report."""
    return GapReportOut(
        generated_at=report.generated_at, summary=report.summary,
        items=[GapItemOut(**{**asdict(i), "nearest_article": related_out(i.nearest_article)}) for i in report.items],
    )


def freshness_report_out(report: FreshnessReport) -> FreshnessReportOut:
    return FreshnessReportOut(generated_at=report.generated_at, summary=report.summary,
                              findings=[FindingOut(**asdict(f)) for f in report.findings])


def csv_response(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/v1/clusters", response_model=ClusterList)
def list_clusters(
    kb: KBDep,
    covered: Annotated[bool | None, Query(description="Only clusters an article covers (true) or does not (false).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ClusterList:
    """Resolved tickets grouped by issue across languages, largest first, each with its best article."""
    result = kb.desk.clusters.compute()
    min_score = kb.settings.gap_min_score
    items = [c for c in result.clusters if covered is None or (c.best_score >= min_score) == covered]
    return ClusterList(
        items=[cluster_out(c, min_score) for c in items[offset : offset + limit]], total=len(items),
        tickets=result.tickets, tickets_in_no_cluster=result.singletons, took_ms=result.took_ms,
    )


@router.get("/v1/clusters/{cluster_id}", response_model=ClusterOut)
def get_cluster(cluster_id: Annotated[str, PathParam(max_length=40)], kb: KBDep) -> ClusterOut:
    return cluster_out(kb.desk.cluster(cluster_id), kb.settings.gap_min_score)


@router.get("/v1/reports/gaps", response_model=GapReportOut, responses={200: {"content": {"text/csv": {}}}})
def gaps(kb: KBDep, format: Format = "json", limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> GapReportOut | Response:
    """Ticket clusters and logged questions no article covers well, and dead-end searches, ranked by
    recency-weighted volume; each with examples, the nearest article and what to do."""
    report = kb.desk.gap_report(limit=limit)
    if format == "csv":
        return csv_response(to_csv(GAP_COLUMNS, gap_rows(report)), "gaps")
    return gap_report_out(report)


@router.get("/v1/reports/freshness", response_model=FreshnessReportOut, responses={200: {"content": {"text/csv": {}}}})
def freshness(kb: KBDep, format: Format = "json", limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> FreshnessReportOut | Response:
    """Articles past their review interval, naming deprecated terms, contradicted by newer resolved
    tickets, or shown often and rated unhelpful; each finding says why and what to do."""
    report = kb.desk.freshness_report(limit=limit)
    if format == "csv":
        return csv_response(to_csv(FRESHNESS_COLUMNS, freshness_rows(report)), "freshness")
    return freshness_report_out(report)


# --- the series the report pages chart -------------------------------------------------------------

def gap_series_out(s: GapSeries) -> GapSeriesOut:
    return GapSeriesOut(generated_at=s.generated_at, window_start=s.window_start, weeks=s.weeks,
                        series=[ClusterSeriesOut(**asdict(c)) for c in s.series], clusters=s.clusters,
                        uncovered_clusters=s.uncovered_clusters, not_shown=s.not_shown)


def article_ages_out(a: ArticleAges) -> ArticlesByAgeOut:
    return ArticlesByAgeOut(generated_at=a.generated_at, review_interval_days=a.review_interval_days, buckets=a.buckets,
                            statuses=a.statuses, counts=a.counts, total=a.total,
                            articles=[ArticleAgeOut(**asdict(x)) for x in a.articles])


def search_outcomes_out(s: SearchOutcomes) -> SearchOutcomesOut:
    return SearchOutcomesOut(generated_at=s.generated_at, days=s.days, since=s.since,
                             languages=[LanguageOutcomesOut(**asdict(o)) for o in s.languages],
                             total=LanguageOutcomesOut(**asdict(s.total)))


def eval_runs_out(listing: RunListing) -> EvalRunsOut:
    return EvalRunsOut(runs=[EvalRunOut(**asdict(r)) for r in listing.runs],
                       skipped=[SkippedRunOut(file=f, reason=why) for f, why in listing.skipped])


Days = Annotated[int, Query(ge=1, le=3650, description="The window: requests logged in the last this many days.")]


@router.get("/v1/reports/gaps/series", response_model=GapSeriesOut, responses={200: {"content": {"text/csv": {}}}})
def gap_volume(kb: KBDep, format: Format = "json") -> GapSeriesOut | Response:
    """Weekly ticket counts (weeks start on Monday) of the gap report's ticket clusters, the uncovered
    ones first, at most 8; csv: one row per week and cluster."""
    series = gap_series(kb)
    if format == "csv":
        return csv_response(to_csv(GAP_SERIES_COLUMNS, gap_series_rows(series)), "gap-volume")
    return gap_series_out(series)


@router.get("/v1/reports/articles-by-age", response_model=ArticlesByAgeOut, responses={200: {"content": {"text/csv": {}}}})
def articles_by_age(kb: KBDep, format: Format = "json") -> ArticlesByAgeOut | Response:
    """Every article by age since its last update or review, and its status: ok, or the most serious of
    the freshness report's findings about it (each article counted once); csv: one row per article."""
    ages = article_ages(kb)
    if format == "csv":
        return csv_response(to_csv(ARTICLE_AGE_COLUMNS, article_age_rows(ages)), "articles-by-age")
    return article_ages_out(ages)


@router.get("/v1/reports/search-outcomes", response_model=SearchOutcomesOut, responses={200: {"content": {"text/csv": {}}}})
def search_outcomes_report(kb: KBDep, format: Format = "json", days: Days = 30) -> SearchOutcomesOut | Response:
    """Per question language, from the search log: answers answered and abstained, searches,
    suggestions, and the requests readers rated helpful or not; csv: one row per language."""
    outcomes = search_outcomes(kb, days)
    if format == "csv":
        return csv_response(to_csv(SEARCH_OUTCOME_COLUMNS, search_outcome_rows(outcomes)), "search-outcomes")
    return search_outcomes_out(outcomes)


@router.get("/v1/reports/eval", response_model=EvalRunsOut, responses={200: {"content": {"text/csv": {}}}})
def eval_runs(kb: KBDep, format: Format = "json",
              kind: Annotated[Kind | None, Query(description="Only runs of this kind.")] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> EvalRunsOut | Response:
    """The `kb eval` runs kept in <data_dir>/eval/runs, newest first; csv: per run, a row of its
    overall metrics (language "all") and one per language."""
    listing = load_runs(kb.settings.eval_runs_path, kind, limit)
    if format == "csv":
        return csv_response(to_csv(RUN_COLUMNS, run_rows(listing.runs)), "eval-runs")
    return eval_runs_out(listing)
