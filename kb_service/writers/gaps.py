"""The gap report: what customers and agents ask that no article covers well.

Two kinds of item, ranked together:
- `tickets`: a cluster of resolved tickets (clusters.py) whose best article scores below
  `KB_GAP_MIN_SCORE`: an article waiting to be written, with the tickets to draft it from.
- `questions`: logged searches, answers and suggestions whose best article scored below the same
  threshold, grouped by meaning across languages like the tickets; `dead_ends` counts those that
  found no answer at all (the answer endpoint abstained, or a search's best article was below the
  answer threshold).

Rank: recency-weighted volume, each ticket or question counting 0.5 ** (age / half-life), so ten
tickets from this month outrank twelve from last spring.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from kb_service.writers.clusters import Cluster, Clustering, RelatedArticle, age_days, agglomerate, group_id

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase
    from kb_service.storage.searchlog import LogEntry

MAX_EXAMPLES = 5
MAX_QUESTIONS = 5_000  # the most recent weakly covered questions grouped (pairwise distances: 100 MB)


@dataclass
class GapItem:
    id: str
    kind: str  # tickets | questions
    volume: int
    priority: float  # recency-weighted volume
    first_seen: str
    last_seen: str
    languages: dict[str, int]
    examples: list[str]  # ticket subjects or logged questions (redacted), most central / most recent first
    nearest_article: RelatedArticle | None
    action: str
    ticket_ids: list[str] = field(default_factory=list)
    dead_ends: int = 0


@dataclass
class GapReport:
    items: list[GapItem]
    generated_at: str
    summary: dict[str, Any]


def _weight(at: str, now: datetime, half_life: float) -> float:
    return float(0.5 ** (age_days(at, now) / half_life))


def _cluster_item(c: Cluster, now: datetime, half_life: float) -> GapItem:
    best = c.best_article
    near = f" The nearest article, {best.article_id!r}, scores {best.score:.2f}." if best else ""
    return GapItem(
        id=c.id, kind="tickets", volume=c.size, priority=round(sum(_weight(t.at, now, half_life) for t in c.tickets), 3),
        first_seen=c.first, last_seen=c.last, languages=c.languages, examples=[t.title for t in c.tickets[:MAX_EXAMPLES]],
        nearest_article=best, ticket_ids=c.ticket_ids,
        action=f"No article covers these {c.size} resolved tickets.{near} Draft one: POST /v1/drafts with "
        f'{{"cluster_id": "{c.id}"}}.',
    )


def question_groups(kb: "KnowledgeBase", entries: list["LogEntry"]) -> list[list["LogEntry"]]:
    """Logged questions grouped by meaning (the ticket clusters' method, on the logged query vectors)."""
    if not entries:
        return []
    missing = [e for e in entries if e.vector is None]
    if missing:  # logged before vectors were kept, or by another writer: embed (cached)
        vecs = kb.cached_embedder.embed_queries([e.query for e in missing])
        for e, v in zip(missing, vecs):
            e.vector = v
    shift = kb.searcher.shift
    matrix = np.stack([shift.apply(np.asarray(e.vector, np.float32), e.language) for e in entries])
    labels = agglomerate(matrix, kb.settings.question_similarity)
    groups: dict[int, list["LogEntry"]] = {}
    for e, label in zip(entries, labels):
        groups.setdefault(int(label), []).append(e)
    return list(groups.values())


def _question_item(kb: "KnowledgeBase", group: list["LogEntry"], now: datetime, half_life: float) -> GapItem:
    answer_min = kb.settings.answer_min_score
    recent = sorted(group, key=lambda e: e.at, reverse=True)
    examples: list[str] = []
    for e in recent:
        if e.query not in examples:
            examples.append(e.query)
        if len(examples) == MAX_EXAMPLES:
            break
    best_entry = max((e for e in group if e.shown and e.top_score is not None), key=lambda e: e.top_score or 0.0, default=None)
    nearest = None
    if best_entry is not None:
        stored = kb.store.get("article:" + best_entry.shown[0])
        nearest = RelatedArticle(best_entry.shown[0], stored.doc.title if stored else best_entry.shown[0],
                                 stored.doc.url if stored else None, round(best_entry.top_score or 0.0, 4))
    dead = sum(1 for e in group if not e.answered or (e.top_score or 0.0) < answer_min)
    days = sorted(e.at[:10] for e in group)
    near = f" The nearest article, {nearest.article_id!r}, scores {nearest.score:.2f}: extend it or write a new one." if nearest else " Write an article that answers them."
    return GapItem(
        id=group_id("q-", [str(e.id) for e in group]), kind="questions", volume=len(group),
        priority=round(sum(_weight(e.at, now, half_life) for e in group), 3), first_seen=days[0], last_seen=days[-1],
        languages=dict(Counter(e.language or "und" for e in group).most_common()), examples=examples,
        nearest_article=nearest, dead_ends=dead,
        action=f"{len(group)} questions found no good article ({dead} got no answer at all).{near}",
    )


def gap_report(kb: "KnowledgeBase", clustering: Clustering, entries: list["LogEntry"],
               now: datetime | None = None, limit: int = 50) -> GapReport:
    """`entries`: the search log inside the window (with vectors)."""
    s = kb.settings
    now = now or datetime.now(timezone.utc)
    threshold = s.gap_min_score
    uncovered = [c for c in clustering.clusters if c.best_score < threshold]
    items = [_cluster_item(c, now, s.gap_half_life_days) for c in uncovered]
    searched = [e for e in entries if e.articles_searched]
    weak = [e for e in searched if e.top_score is None or e.top_score < threshold]
    weak = sorted(weak, key=lambda e: e.at, reverse=True)[:MAX_QUESTIONS]
    groups = [g for g in question_groups(kb, weak) if len(g) >= s.cluster_min_size or any(not e.answered for e in g)]
    items += [_question_item(kb, g, now, s.gap_half_life_days) for g in groups]
    items.sort(key=lambda i: (-i.priority, -i.volume, i.id))
    summary = {
        "tickets": clustering.tickets,
        "clusters": len(clustering.clusters),
        "covered_clusters": len(clustering.clusters) - len(uncovered),
        "uncovered_clusters": len(uncovered),
        "tickets_in_no_cluster": clustering.singletons,
        "undated_tickets": clustering.undated,
        "tickets_left_out": clustering.left_out,
        "logged_questions": len(searched),
        "weakly_covered_questions": len(weak),
        "dead_ends": sum(1 for e in searched if not e.answered),
        "items": len(items),
        "window_start": (now - timedelta(days=s.gap_window_days)).strftime("%Y-%m-%d"),
        "thresholds": {"gap_min_score": threshold, "cluster_similarity": s.cluster_similarity,
                       "question_similarity": s.question_similarity,
                       "cluster_min_size": s.cluster_min_size, "half_life_days": s.gap_half_life_days},
        "took_ms": clustering.took_ms,
    }
    return GapReport(items[:limit], now.strftime("%Y-%m-%dT%H:%M:%SZ"), summary)
