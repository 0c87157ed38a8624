"""The numbers behind the report pages' charts, computed from the stores (no page keeps its own copy):

- `gap_series`: weekly ticket counts (weeks start on Monday, ISO) of the ticket clusters of the gap
  report, the uncovered ones first, at most `MAX_SERIES` of them, over the span of their tickets.
- `article_ages`: every article by its age since its last update or review (the freshness report's
  clock) and its status: `ok`, or the most serious of the freshness report's findings about it
  (contradicted > deprecated > unhelpful > stale), so that an article with several findings is
  counted once.
- `search_outcomes`: per question language over the last N days, from the search log: answer
  requests answered and abstained, searches and suggestions, and the logged requests readers rated
  helpful and unhelpful.

Each has its flat rows for CSV (`*_COLUMNS`, `*_rows`), shared by the API and the pages.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import distinct, func, select

from kb_service.storage.database import feedback, search_log
from kb_service.writers.clusters import Cluster, age_days
from kb_service.writers.freshness import KIND_ORDER, review_clock

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase

MAX_SERIES = 8  # cluster lines a chart can show readably
UNKNOWN_LANGUAGE = "und"


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def week_start(value: str) -> str:
    """The Monday (ISO week start) of the week of a YYYY-MM-DD… date."""
    d = date.fromisoformat(value[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


def week_range(first: str, last: str) -> list[str]:
    """Every week start from `first`'s week to `last`'s, inclusive."""
    start, end = date.fromisoformat(week_start(first)), date.fromisoformat(week_start(last))
    out = []
    while start <= end:
        out.append(start.isoformat())
        start += timedelta(days=7)
    return out


# --- gap volume by cluster over time ---------------------------------------------------------

@dataclass
class ClusterSeries:
    cluster_id: str
    label: str  # the subject of the cluster's most central ticket
    covered: bool  # its best article scores at or above KB_GAP_MIN_SCORE
    best_article: str | None
    best_score: float
    total: int  # tickets in the cluster
    languages: dict[str, int]
    counts: list[int]  # tickets per week, aligned with GapSeries.weeks


@dataclass
class GapSeries:
    generated_at: str
    window_start: str  # the gap report reads tickets resolved since then
    weeks: list[str]  # week starts (Mondays), oldest first
    series: list[ClusterSeries]  # uncovered clusters first, largest first within each
    clusters: int  # clusters found (covered and not)
    uncovered_clusters: int
    not_shown: int  # clusters past MAX_SERIES


def _series(c: Cluster, min_score: float) -> ClusterSeries:
    best = c.best_article
    return ClusterSeries(
        cluster_id=c.id, label=c.tickets[0].title if c.tickets else c.id, covered=c.best_score >= min_score,
        best_article=best.article_id if best else None, best_score=round(c.best_score, 4), total=c.size,
        languages=dict(c.languages), counts=[],
    )


def gap_series(kb: "KnowledgeBase", now: datetime | None = None, max_series: int = MAX_SERIES) -> GapSeries:
    now = now or datetime.now(timezone.utc)
    clustering = kb.desk.clusters.compute(now)
    min_score = kb.settings.gap_min_score
    ranked = sorted(clustering.clusters, key=lambda c: (c.best_score >= min_score, -c.size, c.first, c.id))
    shown = ranked[:max_series]
    dates = [t.at[:10] for c in shown for t in c.tickets]
    weeks = week_range(min(dates), max(dates)) if dates else []
    position = {w: i for i, w in enumerate(weeks)}
    series = []
    for c in shown:
        s = _series(c, min_score)
        s.counts = [0] * len(weeks)
        for t in c.tickets:
            s.counts[position[week_start(t.at)]] += 1
        series.append(s)
    return GapSeries(
        generated_at=_iso(now), window_start=(now - timedelta(days=kb.settings.gap_window_days)).strftime("%Y-%m-%d"),
        weeks=weeks, series=series, clusters=len(clustering.clusters),
        uncovered_clusters=sum(1 for c in clustering.clusters if c.best_score < min_score),
        not_shown=max(0, len(ranked) - len(shown)),
    )


GAP_SERIES_COLUMNS = ["week_start", "cluster_id", "cluster", "covered", "tickets"]


def gap_series_rows(s: GapSeries) -> list[dict[str, Any]]:
    """One row per week and cluster (zeros included, so a spreadsheet's pivot shows every week)."""
    return [
        {"week_start": week, "cluster_id": c.cluster_id, "cluster": c.label, "covered": str(c.covered).lower(),
         "tickets": c.counts[i]}
        for i, week in enumerate(s.weeks) for c in s.series
    ]


# --- articles by age and status ----------------------------------------------------------------

# (label, from days inclusive, to days exclusive; None: no upper end)
AGE_BUCKETS: list[tuple[str, int, int | None]] = [
    ("under 30 days", 0, 30), ("30–89 days", 30, 90), ("90–179 days", 90, 180), ("180–364 days", 180, 365),
    ("365 days or more", 365, None),
]
OK = "ok"
# the chart's order (and its stacking): least serious first
STATUSES = [OK, "stale", "unhelpful", "deprecated", "contradicted"]
STATUS_LABELS = {
    OK: "OK", "stale": "Due for review", "unhelpful": "Rated unhelpful", "deprecated": "Names a deprecated term",
    "contradicted": "Contradicted by newer tickets",
}
assert set(STATUSES) == set(KIND_ORDER) | {OK}


def age_bucket(days: int) -> str:
    for label, low, high in AGE_BUCKETS:
        if days >= low and (high is None or days < high):
            return label
    return AGE_BUCKETS[0][0]  # a date in the future: age 0


@dataclass
class ArticleAge:
    article_id: str
    title: str
    url: str | None
    age_days: int
    since: str  # the date the age counts from: its last update or review (else when it was indexed)
    bucket: str
    status: str  # ok, or its most serious finding
    findings: list[str] = field(default_factory=list)  # every finding's kind, most serious first


@dataclass
class ArticleAges:
    generated_at: str
    review_interval_days: int
    buckets: list[str]
    statuses: list[str]
    counts: dict[str, list[int]]  # status -> articles per bucket
    articles: list[ArticleAge]  # most serious first, then oldest first

    @property
    def total(self) -> int:
        return len(self.articles)


def article_ages(kb: "KnowledgeBase", now: datetime | None = None) -> ArticleAges:
    now = now or datetime.now(timezone.utc)
    report = kb.desk.freshness_report(now, limit=sys.maxsize)
    kinds: dict[str, list[str]] = {}
    for f in report.findings:
        found = kinds.setdefault(f.article_id, [])
        if f.kind not in found:
            found.append(f.kind)
    reviews = kb.history.last_reviews()
    articles = []
    for st in kb.store.iter_all(kind="article"):
        d = st.doc
        aid = d.source_id.removeprefix("article:")
        since = review_clock(st, reviews.get(aid, (None, None))[0])  # the freshness report's clock
        age = int(age_days(since, now))
        found = sorted(kinds.get(aid, []), key=lambda k: KIND_ORDER[k])
        articles.append(ArticleAge(aid, d.title, d.url, age, since, age_bucket(age), found[0] if found else OK, found))
    counts = {s: [0] * len(AGE_BUCKETS) for s in STATUSES}
    index = {label: i for i, (label, _, _) in enumerate(AGE_BUCKETS)}
    for a in articles:
        counts[a.status][index[a.bucket]] += 1
    articles.sort(key=lambda a: (KIND_ORDER.get(a.status, len(KIND_ORDER)), -a.age_days, a.article_id))
    return ArticleAges(_iso(now), kb.settings.review_interval_days, [b for b, _, _ in AGE_BUCKETS], list(STATUSES),
                       counts, articles)


ARTICLE_AGE_COLUMNS = ["article_id", "title", "status", "findings", "age_days", "age_bucket", "since"]


def article_age_rows(a: ArticleAges) -> list[dict[str, Any]]:
    return [
        {"article_id": x.article_id, "title": x.title, "status": x.status, "findings": " ".join(x.findings),
         "age_days": x.age_days, "age_bucket": x.bucket, "since": x.since}
        for x in a.articles
    ]


# --- search outcomes by language ---------------------------------------------------------------

WINDOWS = (30, 90, 365)  # the page's choices of window, in days


@dataclass
class LanguageOutcomes:
    language: str  # the question's detected language; "und" when unknown
    answers: int = 0  # answer requests
    answered: int = 0
    abstained: int = 0  # answer requests handed off: no article was good enough
    searches: int = 0
    suggestions: int = 0
    rated_helpful: int = 0  # logged requests (answers, searches, suggestions) a reader rated helpful
    rated_unhelpful: int = 0  # ... and not helpful

    @property
    def requests(self) -> int:
        return self.answers + self.searches + self.suggestions

    def add(self, other: "LanguageOutcomes") -> None:
        for name in ("answers", "answered", "abstained", "searches", "suggestions", "rated_helpful", "rated_unhelpful"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SearchOutcomes:
    generated_at: str
    days: int
    since: str  # requests logged at or after this time (ISO UTC) are counted
    languages: list[LanguageOutcomes]  # most requests first
    total: LanguageOutcomes  # language "all"


def search_outcomes(kb: "KnowledgeBase", days: int = WINDOWS[0], now: datetime | None = None) -> SearchOutcomes:
    """Requests logged in the last `days` days; a rating counts with the request it rates (so a
    rating given today of last month's answer counts in last month's window), once per request."""
    now = now or datetime.now(timezone.utc)
    since = _iso(now - timedelta(days=days))
    by_lang: dict[str, LanguageOutcomes] = {}

    def row(language: str | None) -> LanguageOutcomes:
        lang = language or UNKNOWN_LANGUAGE
        return by_lang.setdefault(lang, LanguageOutcomes(lang))

    in_window = search_log.c.at >= since
    requests = (
        select(search_log.c.language, search_log.c.endpoint, search_log.c.answered, func.count().label("n"))
        .where(in_window).group_by(search_log.c.language, search_log.c.endpoint, search_log.c.answered)
    )
    ratings = (
        select(search_log.c.language, feedback.c.helpful, func.count(distinct(feedback.c.log_id)).label("n"))
        .select_from(feedback.join(search_log, feedback.c.log_id == search_log.c.id))
        .where(in_window).group_by(search_log.c.language, feedback.c.helpful)
    )
    with kb.search_log.engine.connect() as conn:
        for r in conn.execute(requests):
            o, n = row(r.language), int(r.n)
            if r.endpoint == "answer":
                o.answers += n
                if r.answered:
                    o.answered += n
                else:
                    o.abstained += n
            elif r.endpoint == "search":
                o.searches += n
            elif r.endpoint == "suggest":
                o.suggestions += n
        for r in conn.execute(ratings):
            o, n = row(r.language), int(r.n)
            if r.helpful:
                o.rated_helpful += n
            else:
                o.rated_unhelpful += n
    languages = sorted(by_lang.values(), key=lambda o: (-o.requests, -o.rated_unhelpful, o.language))
    total = LanguageOutcomes("all")
    for o in languages:
        total.add(o)
    return SearchOutcomes(_iso(now), days, since, languages, total)


SEARCH_OUTCOME_COLUMNS = ["language", "answers", "answered", "abstained", "searches", "suggestions", "rated_helpful",
                          "rated_unhelpful"]


def search_outcome_rows(s: SearchOutcomes) -> list[dict[str, Any]]:
    return [{c: getattr(o, c) for c in SEARCH_OUTCOME_COLUMNS} for o in s.languages]
