"""Resolved tickets grouped by issue, across languages, and the article that covers each group.

1. Each ticket's question (subject and body, first 256 tokens) is embedded with the query prefix,
   through the embedding cache that triage training fills with the very same texts.
2. The vector loses part of its language's direction (the retrieval lever of language_shift.py),
   so that a German and an English ticket about one failure are closer than two German tickets
   about different ones.
3. Average-linkage agglomerative clustering with a cosine threshold (`KB_CLUSTER_SIMILARITY`):
   every cluster's tickets are on average that similar to each other. No number of clusters is
   guessed in advance.
4. The best-matching article: the search (the same pipeline as /v1/search) for the cluster's three
   most central tickets; an article's score for the cluster is its mean over those three (zero where
   it did not come back), so it covers the cluster only if it answers what most of them ask.

Results are cached per set of tickets: a new or changed ticket recomputes them.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ingest.documents import SourceDocument, ticket_text
from kb_service.retrieval.search import SearchFilters
from kb_service.triage.classifier import embed_tickets
from kb_service.writers.drafting import RelatedArticle

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase

SEARCHED_MEMBERS = 3  # central tickets searched to find a cluster's article
# Average linkage holds every pairwise distance: 10,000 tickets take 400 MB. Past that, the most
# recent ones are clustered and the summary says how many were left out.
MAX_TICKETS = 10_000


@dataclass
class ClusterTicket:
    ticket_id: str  # public id
    title: str
    language: str | None
    at: str  # resolved, else created, else when it was indexed (ISO)
    centrality: float  # cosine to the cluster's centroid


@dataclass
class Cluster:
    id: str
    tickets: list[ClusterTicket]  # most central first
    languages: dict[str, int]
    first: str
    last: str
    cohesion: float  # mean cosine of the tickets to their centroid
    related: list[RelatedArticle] = field(default_factory=list)  # best first

    @property
    def size(self) -> int:
        return len(self.tickets)

    @property
    def ticket_ids(self) -> list[str]:
        return [t.ticket_id for t in self.tickets]

    @property
    def best_article(self) -> RelatedArticle | None:
        return self.related[0] if self.related else None

    @property
    def best_score(self) -> float:
        return self.related[0].score if self.related else 0.0


@dataclass
class Clustering:
    clusters: list[Cluster]  # clusters of cluster_min_size or more tickets, largest first
    tickets: int  # tickets considered
    singletons: int  # tickets in no cluster
    took_ms: dict[str, float]
    fingerprint: str
    undated: int = 0  # tickets with no created or resolved date (dated by when they were indexed)
    left_out: int = 0  # older tickets past MAX_TICKETS, not clustered

    def get(self, cluster_id: str) -> Cluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)


def day(value: str | None) -> str | None:
    """The ISO date (YYYY-MM-DD) at the start of a date or date-time string; None if it has none."""
    if not value or len(value) < 10:
        return None
    try:
        datetime.strptime(value[:10], "%Y-%m-%d")
    except ValueError:
        return None
    return value[:10]


def age_days(value: str, now: datetime) -> float:
    d = datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return max(0.0, (now - d).total_seconds() / 86400)


def agglomerate(vectors: np.ndarray, similarity: float) -> np.ndarray:
    """Cluster labels: average linkage over cosine distance, cut where the average similarity inside a
    cluster would fall below `similarity`."""
    n = len(vectors)
    if n < 2:
        return np.zeros(n, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - similarity,
    )
    return np.asarray(model.fit_predict(vectors))


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)


def store_fingerprint(kb: "KnowledgeBase", *extra: object) -> str:
    """A hash of every source's id and content (articles too: they decide coverage) and `extra`
    settings: what is computed from the knowledge base is kept until this changes."""
    h = hashlib.sha256("\x1f".join(str(x) for x in extra).encode())
    for sid, (content_hash, _) in sorted(kb.store.states().items()):
        h.update(f"\x1e{sid}\x1f{content_hash}".encode())
    return h.hexdigest()


def group_id(prefix: str, members: Iterable[str]) -> str:
    """A stable id from the members: the same tickets give the same cluster id after a restart."""
    return prefix + hashlib.sha1("\x1f".join(sorted(members)).encode("utf-8")).hexdigest()[:10]


class TicketClusters:
    def __init__(self, kb: "KnowledgeBase") -> None:
        self.kb = kb
        self._cache: Clustering | None = None
        self._lock = threading.Lock()

    def question_vectors(self, docs: list[SourceDocument]) -> np.ndarray:
        """Raw query vectors of the tickets' questions (cached by content)."""
        return embed_tickets(self.kb.cached_embedder, [ticket_text(d) for d in docs])

    def shifted(self, vectors: np.ndarray, langs: list[str | None]) -> np.ndarray:
        shift = self.kb.searcher.shift
        return np.stack([shift.apply(v, lang) for v, lang in zip(vectors, langs)]) if len(vectors) else vectors

    def _fingerprint(self, window_start: str) -> str:
        s = self.kb.settings
        return store_fingerprint(self.kb, s.cluster_similarity, s.cluster_min_size, s.gap_min_score, window_start)

    def forget(self) -> Clustering | None:
        """Drop the cached clustering (after an erasure); returns what was cached."""
        with self._lock:
            cached, self._cache = self._cache, None
            return cached

    def compute(self, now: datetime | None = None) -> Clustering:
        """The clusters of the resolved tickets inside the gap window (`KB_GAP_WINDOW_DAYS`)."""
        now = now or datetime.now(timezone.utc)
        window_start = (now - timedelta(days=self.kb.settings.gap_window_days)).strftime("%Y-%m-%d")
        fp = self._fingerprint(window_start)
        with self._lock:
            if self._cache is not None and self._cache.fingerprint == fp:
                return self._cache
            result = self._compute(window_start, fp)
            self._cache = result
            return result

    def _compute(self, window_start: str, fp: str) -> Clustering:
        s = self.kb.settings
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        docs: list[SourceDocument] = []
        when: list[str] = []
        undated = 0
        for stored in self.kb.store.iter_all(kind="ticket"):
            d = stored.doc
            dated = day(d.resolved) or day(d.created)
            at = dated or stored.indexed_at[:10]  # an undated ticket counts from when it was indexed
            if at >= window_start:
                docs.append(d)
                when.append(at)
                undated += dated is None
        left_out = max(0, len(docs) - MAX_TICKETS)
        if left_out:
            keep = sorted(range(len(docs)), key=lambda i: when[i], reverse=True)[:MAX_TICKETS]
            keep.sort()
            docs, when = [docs[i] for i in keep], [when[i] for i in keep]
        timings["read"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        raw = self.question_vectors(docs)
        vecs = self.shifted(raw, [d.language for d in docs])
        timings["embed"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        labels = agglomerate(vecs, s.cluster_similarity)
        timings["cluster"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        members: dict[int, list[int]] = {}
        for i, label in enumerate(labels):
            members.setdefault(int(label), []).append(i)
        clusters: list[Cluster] = []
        singletons = 0
        for rows in members.values():
            if len(rows) < s.cluster_min_size:
                singletons += len(rows)
                continue
            centroid = unit(vecs[rows].mean(axis=0, keepdims=True))[0]
            central = vecs[rows] @ centroid
            order = [rows[k] for k in np.argsort(-central, kind="stable")]
            cent = {rows[k]: float(central[k]) for k in range(len(rows))}
            tickets = [
                ClusterTicket(docs[i].source_id.removeprefix("ticket:"), docs[i].title, docs[i].language, when[i], round(cent[i], 4))
                for i in order
            ]
            langs = Counter((docs[i].language or "und") for i in rows)
            dates = sorted(when[i] for i in rows)
            cluster = Cluster(
                id=group_id("c-", [t.ticket_id for t in tickets]), tickets=tickets, languages=dict(langs.most_common()),
                first=dates[0], last=dates[-1], cohesion=round(float(central.mean()), 4),
            )
            cluster.related = self.articles_for([docs[i] for i in order[:SEARCHED_MEMBERS]], raw[order[:SEARCHED_MEMBERS]])
            clusters.append(cluster)
        timings["articles"] = (time.perf_counter() - t0) * 1000
        clusters.sort(key=lambda c: (-c.size, c.last, c.id), reverse=False)
        return Clustering(clusters, len(docs), singletons, {k: round(v, 1) for k, v in timings.items()}, fp,
                          undated=undated, left_out=left_out)

    def articles_for(self, docs: list[SourceDocument], vectors: np.ndarray, top_k: int = 3) -> list[RelatedArticle]:
        """The articles that best answer these tickets' questions, scored by their mean over them."""
        scores: dict[str, list[float]] = {}
        info: dict[str, tuple[str, str | None]] = {}
        for d, v in zip(docs, vectors):
            result = self.kb.searcher.search(ticket_text(d), top_k=top_k, filters=SearchFilters(source="article"),
                                             query_language=d.language, vector=v)
            for h in result.hits:
                scores.setdefault(h.source_id, []).append(h.score)
                info[h.source_id] = (h.title, h.url)
        n = max(len(docs), 1)
        ranked = sorted(((sum(v) / n, sid) for sid, v in scores.items()), reverse=True)
        return [
            RelatedArticle(sid.removeprefix("article:"), info[sid][0], info[sid][1], round(score, 4))
            for score, sid in ranked[:top_k]
        ]
