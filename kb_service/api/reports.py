"""Writers' reports: ticket clusters, the gap report and the freshness report (JSON or CSV)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path as PathParam, Query
from fastapi.responses import Response

from kb_service.api.deps import KBDep, require
from kb_service.api.schemas_writers import (
    ClusterList, ClusterOut, ClusterTicketOut, FindingOut, FreshnessReportOut, GapItemOut, GapReportOut, RelatedArticleOut,
)
from kb_service.writers.clusters import Cluster, RelatedArticle
from kb_service.writers.export import FRESHNESS_COLUMNS, GAP_COLUMNS, freshness_rows, gap_rows, to_csv
from kb_service.writers.freshness import FreshnessReport
from kb_service.writers.gaps import GapReport

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


def _csv(text: str, name: str) -> Response:
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
        return _csv(to_csv(GAP_COLUMNS, gap_rows(report)), "gaps")
    return gap_report_out(report)


@router.get("/v1/reports/freshness", response_model=FreshnessReportOut, responses={200: {"content": {"text/csv": {}}}})
def freshness(kb: KBDep, format: Format = "json", limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> FreshnessReportOut | Response:
    """Articles past their review interval, naming deprecated terms, contradicted by newer resolved
    tickets, or shown often and rated unhelpful; each finding says why and what to do."""
    report = kb.desk.freshness_report(limit=limit)
    if format == "csv":
        return _csv(to_csv(FRESHNESS_COLUMNS, freshness_rows(report)), "freshness")
    return freshness_report_out(report)
