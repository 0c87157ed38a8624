"""Request and response bodies of the writers' endpoints: feedback, clusters, reports, drafts,
article versions and reviews."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from kb_service.api.schemas import LanguageCode, Strict, TicketId

ArticleIdStr = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,127}$", description="Lowercase letters, digits and hyphens.")


class FeedbackIn(Strict):
    log_id: int | None = Field(None, ge=1, le=2**63 - 1, description="The `log_id` of the answer, search or suggestion "
                               "being rated (required with a widget key). Rating it again replaces the earlier rating.")
    article_id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]{0,127}$", description="The article being rated.")
    helpful: bool
    comment: str | None = Field(None, max_length=2000, description="What was missing; stored redacted.")

    @model_validator(mode="after")
    def _target(self) -> "FeedbackIn":
        if self.log_id is None and self.article_id is None:
            raise ValueError("give log_id (the answer or search being rated), article_id, or both")
        return self


class FeedbackOut(BaseModel):
    id: int
    log_id: int | None
    article_id: str | None
    helpful: bool


class RelatedArticleOut(BaseModel):
    id: str
    title: str
    url: str | None
    score: float


class ClusterTicketOut(BaseModel):
    id: str
    title: str
    language: str | None
    at: str = Field(description="Resolved (else created, else indexed) date.")
    centrality: float = Field(description="Cosine to the cluster's centre; the first ticket is the most typical.")


class ClusterOut(BaseModel):
    id: str
    size: int
    languages: dict[str, int]
    first: str
    last: str
    cohesion: float
    covered: bool = Field(description="The best article scores at or above KB_GAP_MIN_SCORE.")
    best_article: RelatedArticleOut | None
    related: list[RelatedArticleOut]
    tickets: list[ClusterTicketOut]


class ClusterList(BaseModel):
    items: list[ClusterOut]
    total: int
    tickets: int = Field(description="Resolved tickets considered (inside the gap window).")
    tickets_in_no_cluster: int
    took_ms: dict[str, float]


class GapItemOut(BaseModel):
    id: str
    kind: Literal["tickets", "questions"]
    volume: int
    priority: float = Field(description="Recency-weighted volume: each item counts 0.5 ** (age / half-life).")
    first_seen: str
    last_seen: str
    languages: dict[str, int]
    examples: list[str]
    nearest_article: RelatedArticleOut | None
    action: str
    ticket_ids: list[str]
    dead_ends: int = Field(description="Questions that got no answer at all (questions only).")


class GapReportOut(BaseModel):
    generated_at: str
    summary: dict[str, Any]
    items: list[GapItemOut]


class FindingOut(BaseModel):
    article_id: str
    title: str
    kind: Literal["contradicted", "deprecated", "unhelpful", "stale"]
    reason: str
    action: str
    updated: str | None
    last_reviewed: str | None
    age_days: int | None
    url: str | None
    evidence: dict[str, Any]


class FreshnessReportOut(BaseModel):
    generated_at: str
    summary: dict[str, Any]
    findings: list[FindingOut]


class ClaimOut(BaseModel):
    text: str
    sources: list[str] = Field(description="The tickets this sentence or step comes from.")
    screenshot: str | None = None
    language: str | None = None


class DraftContentOut(BaseModel):
    title: str
    language: str
    when: list[ClaimOut]
    steps: list[ClaimOut]
    troubleshooting: list[ClaimOut]
    related: list[RelatedArticleOut]
    sources: list[str]
    engine: str
    notes: list[str]


class DraftCreateIn(Strict):
    cluster_id: str | None = Field(None, max_length=40, pattern=r"^c-[0-9a-f]{10}$", description="From the gap report or GET /v1/clusters.")
    ticket_ids: list[TicketId] | None = Field(None, min_length=1, max_length=200)
    language: LanguageCode | None = Field(None, description="The draft's language; default: most of the tickets'.")
    engine: Literal["auto", "extractive", "claude"] | None = Field(None, description="Default: KB_DRAFT_ENGINE.")

    @model_validator(mode="after")
    def _one_source(self) -> "DraftCreateIn":
        if (self.cluster_id is None) == (self.ticket_ids is None):
            raise ValueError("give either cluster_id or ticket_ids")
        return self


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str | None
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]


class DraftSourceOut(BaseModel):
    id: str
    subject: str
    body: str
    resolution: str | None
    language: str | None
    created: str | None
    resolved: str | None
    cited_by: list[int] = Field(description="Numbers of the steps that cite this ticket (1-based).")


class DraftSummary(BaseModel):
    id: str
    status: Literal["draft", "approved", "rejected"]
    title: str
    language: str
    engine: str
    tickets: int
    cluster_id: str | None
    article_id: str | None
    reason: str | None
    revision: int
    created_at: str
    updated_at: str
    created_by: str | None


class DraftFlagOut(BaseModel):
    at: str
    reason: str
    ticket_ids: list[str] = Field(description="The cited tickets the flag is about (e.g. erased at a customer's request).")


class DraftOut(DraftSummary):
    body: str = Field(description="The Markdown that approval publishes (no ticket ids).")
    cited_body: str = Field(description="The generated draft with each claim's source tickets, for review.")
    content: DraftContentOut
    ticket_ids: list[str]
    sources: list[DraftSourceOut] = Field(description="The source tickets (redacted), to read beside the draft.")
    history: list[AuditOut]
    flags: list[DraftFlagOut] = Field(default_factory=list, description="What a writer must look at before approving.")


class DraftList(BaseModel):
    items: list[DraftSummary]
    total: int
    limit: int
    offset: int


class DraftEditIn(Strict):
    title: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, min_length=1, max_length=200_000, description="Markdown.")
    language: LanguageCode | None = None
    revision: int | None = Field(None, ge=1, le=2**31, description="The revision you edited; a newer one is a 409.")

    @model_validator(mode="after")
    def _something(self) -> "DraftEditIn":
        if self.title is None and self.body is None and self.language is None:
            raise ValueError("give title, body or language to change")
        return self


class DraftApproveIn(Strict):
    article_id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]{0,127}$", description="Default: from the title.")
    replace: bool = Field(False, description="Publish as the new version of an existing article with this id.")
    tags: list[str] = Field(default_factory=list, max_length=50)
    product_area: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=2000)
    revision: int | None = Field(None, ge=1, le=2**31)


class DraftRejectIn(Strict):
    reason: str = Field(..., min_length=3, max_length=2000)
    revision: int | None = Field(None, ge=1, le=2**31)


class ArticleVersionOut(BaseModel):
    version: int
    at: str
    actor: str | None
    action: str
    title: str | None
    content_hash: str | None
    deleted: bool


class ArticleVersionFull(ArticleVersionOut):
    body: str | None
    language: str | None
    updated: str | None
    tags: list[str]


class ReviewIn(Strict):
    note: str | None = Field(None, max_length=2000)


class ReviewOut(BaseModel):
    article_id: str
    reviewed_at: str
    actor: str | None


# --- the report pages' chart data ---------------------------------------------------------------

class ClusterSeriesOut(BaseModel):
    cluster_id: str
    label: str = Field(description="The subject of the cluster's most central ticket.")
    covered: bool = Field(description="Its best article scores at or above KB_GAP_MIN_SCORE.")
    best_article: str | None
    best_score: float
    total: int = Field(description="Tickets in the cluster.")
    languages: dict[str, int]
    counts: list[int] = Field(description="Tickets per week, aligned with `weeks`.")


class GapSeriesOut(BaseModel):
    generated_at: str
    window_start: str = Field(description="The gap report reads tickets resolved (else created) since this date.")
    weeks: list[str] = Field(description="Week starts (Mondays, ISO dates), oldest first, over the span of the tickets shown.")
    series: list[ClusterSeriesOut] = Field(description="Uncovered clusters first, then covered ones, largest first; at most 8.")
    clusters: int
    uncovered_clusters: int
    not_shown: int = Field(description="Clusters past the 8 shown.")


class ArticleAgeOut(BaseModel):
    article_id: str
    title: str
    url: str | None
    age_days: int
    since: str = Field(description="The date its age counts from: its last update or review (else when it was indexed).")
    bucket: str
    status: Literal["ok", "stale", "unhelpful", "deprecated", "contradicted"] = Field(
        description="ok, or its most serious finding (contradicted > deprecated > unhelpful > stale).")
    findings: list[str] = Field(description="Every finding's kind, most serious first.")


class ArticlesByAgeOut(BaseModel):
    generated_at: str
    review_interval_days: int
    buckets: list[str] = Field(description="Age buckets, youngest first.")
    statuses: list[str]
    counts: dict[str, list[int]] = Field(description="Status -> articles per bucket (each article counted once).")
    total: int
    articles: list[ArticleAgeOut]


class LanguageOutcomesOut(BaseModel):
    language: str = Field(description="The question's detected language ('und' when unknown; 'all' for the total).")
    answers: int = Field(description="Answer requests.")
    answered: int
    abstained: int = Field(description="Answer requests handed off: no article was good enough.")
    searches: int
    suggestions: int
    rated_helpful: int = Field(description="Logged requests (answers, searches, suggestions) a reader rated helpful.")
    rated_unhelpful: int = Field(description="Logged requests a reader rated not helpful.")


class SearchOutcomesOut(BaseModel):
    generated_at: str
    days: int
    since: str = Field(description="Requests logged at or after this time (ISO UTC) are counted, with their ratings.")
    languages: list[LanguageOutcomesOut] = Field(description="Most requests first.")
    total: LanguageOutcomesOut


class EvalRunOut(BaseModel):
    id: str = Field(description="The run file's name without .json.")
    kind: Literal["retrieval", "classify", "translate"]
    dataset: str
    profile: str | None
    top_k: int | None
    at: str
    service_version: str
    options: dict[str, Any]
    metrics: dict[str, Any] = Field(description="As `kb eval <kind> --json` writes them.")


class SkippedRunOut(BaseModel):
    file: str
    reason: str


class EvalRunsOut(BaseModel):
    runs: list[EvalRunOut] = Field(description="Newest first.")
    skipped: list[SkippedRunOut] = Field(description="Files in the runs folder that are not readable runs.")
