"""The search log and readers' feedback.

Every search, answer and suggest request is logged with its (redacted) query, the detected
language, the best article's score, whether the knowledge base had an answer, and which articles
were shown. The gap report groups the questions nobody found a good article for; the freshness
report reads which articles are shown often and marked unhelpful.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from sqlalchemy import Engine, delete, func, insert, select, update

from kb_service.storage.database import feedback, now_iso, search_log


@dataclass
class LogEntry:
    id: int
    at: str
    endpoint: str
    query: str
    language: str | None
    top_score: float | None
    answered: bool
    shown: list[str]
    vector: np.ndarray | None = None
    articles_searched: bool = True
    key_id: str | None = None  # who asked: the actor of the key (e.g. "widget:kc00a4004")


@dataclass
class ArticleTraffic:
    shown: int = 0
    helpful: int = 0
    unhelpful: int = 0
    comments: list[str] = field(default_factory=list)


def customer_ref(customer_id: str) -> str:
    """What the search log keeps of a customer id (which may be an email address): a hash that
    erasure can recompute, and nothing a reader of the log can use."""
    return hashlib.sha256(f"customer\x1f{customer_id}".encode()).hexdigest()[:32]


class SearchLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, endpoint: str, query: str, language: str | None, top_score: float | None, answered: bool,
               shown: list[str], key_id: str | None = None, vector: np.ndarray | None = None,
               articles_searched: bool = True, customer: str | None = None) -> int:
        """`query` must already be redacted. `articles_searched` False: a search restricted to tickets,
        which says nothing about what the articles cover. `customer`: `customer_ref` of who asked."""
        blob = np.asarray(vector, dtype=np.float16).tobytes() if vector is not None else None
        with self.engine.begin() as conn:
            result = conn.execute(insert(search_log).values(
                at=now_iso(), endpoint=endpoint, query=query, language=language,
                top_score=None if top_score is None else round(float(top_score), 4), answered=answered,
                shown=json.dumps(shown), key_id=key_id, vector=blob, articles_searched=articles_searched,
                customer_id=customer,
            ))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def get(self, log_id: int) -> LogEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(search_log).where(search_log.c.id == log_id)).first()
        return _entry(row, vectors=False) if row else None

    def entries(self, since: str | None = None, vectors: bool = False) -> Iterator[LogEntry]:
        q = select(search_log)
        if since:
            q = q.where(search_log.c.at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(search_log.c.id)).all()
        for row in rows:
            yield _entry(row, vectors)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(search_log)).scalar() or 0)

    def _delete(self, where: object) -> tuple[int, int]:
        with self.engine.begin() as conn:
            ids = [r[0] for r in conn.execute(select(search_log.c.id).where(where))]  # type: ignore[arg-type]
            rated = 0
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                rated += conn.execute(delete(feedback).where(feedback.c.log_id.in_(part))).rowcount or 0
                conn.execute(delete(search_log).where(search_log.c.id.in_(part)))
        return len(ids), rated

    def purge_before(self, cutoff: str) -> tuple[int, int]:
        """Delete the entries logged before `cutoff` (ISO UTC) and the feedback on them: (entries, feedback)."""
        return self._delete(search_log.c.at < cutoff)

    def erase_customer(self, ref: str) -> tuple[int, int]:
        """Delete every entry one customer made (`customer_ref`) and the feedback on them: (entries, feedback)."""
        return self._delete(search_log.c.customer_id == ref)

    def add_feedback(self, helpful: bool, log_id: int | None = None, article_id: str | None = None,
                     comment: str | None = None, key_id: str | None = None) -> int:
        """`comment` must already be redacted. A request is rated once: rating the same logged request
        (and article) again replaces the earlier rating, so one reader cannot outvote the others."""
        values = dict(at=now_iso(), log_id=log_id, article_id=article_id, helpful=helpful, comment=comment, key_id=key_id)
        with self.engine.begin() as conn:
            if log_id is not None:
                same = (feedback.c.log_id == log_id) & (
                    feedback.c.article_id.is_(None) if article_id is None else feedback.c.article_id == article_id
                )
                earlier = conn.execute(select(feedback.c.id).where(same).limit(1)).scalar()
                if earlier is not None:
                    conn.execute(update(feedback).where(feedback.c.id == earlier).values(**values))
                    return int(earlier)
            result = conn.execute(insert(feedback).values(**values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def article_traffic(self, since: str | None = None) -> dict[str, ArticleTraffic]:
        """Per article: how often it was shown (first place of an answer, search or suggestion) and
        how readers rated it. Feedback on a logged request without an article counts for the article
        that request showed first (the one an answer was taken from)."""
        out: dict[str, ArticleTraffic] = defaultdict(ArticleTraffic)
        first_shown: dict[int, str] = {}
        for e in self.entries(since):
            if e.shown:
                out[e.shown[0]].shown += 1
                first_shown[e.id] = e.shown[0]
        q = select(feedback)
        if since:
            q = q.where(feedback.c.at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(feedback.c.id)).all()
        for r in rows:
            article = r.article_id or (first_shown.get(r.log_id) if r.log_id is not None else None)
            if article is None and r.log_id is not None:
                logged = self.get(r.log_id)  # older than `since`
                article = logged.shown[0] if logged and logged.shown else None
            if article is None:
                continue
            t = out[article]
            if r.helpful:
                t.helpful += 1
            else:
                t.unhelpful += 1
                if r.comment:
                    t.comments.append(r.comment)
        return dict(out)


def _entry(row: object, vectors: bool) -> LogEntry:
    r = row  # a SQLAlchemy Row
    vec = None
    if vectors and r.vector is not None:  # type: ignore[attr-defined]
        vec = np.frombuffer(r.vector, dtype=np.float16).astype(np.float32)  # type: ignore[attr-defined]
    return LogEntry(
        r.id, r.at, r.endpoint, r.query, r.language, r.top_score, bool(r.answered),  # type: ignore[attr-defined]
        json.loads(r.shown), vec, bool(r.articles_searched), r.key_id,  # type: ignore[attr-defined]
    )
