"""Article versions, review marks and the audit trail (who did what, when, to which draft or article).

Every article write through the API and every draft approval adds a version; an article first
written by a file ingest gets that content recorded as version 1 ("ingested") the first time the
API changes it, so the original can always be restored. Audit rows are written in the same
transaction as the change they describe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from ingest.documents import SourceDocument
from kb_service.storage.database import article_reviews, article_versions, audit, now_iso


@dataclass
class ArticleVersion:
    article_id: str
    version: int
    at: str
    actor: str | None
    action: str
    doc: SourceDocument | None  # None: the article was deleted in this version
    content_hash: str | None


@dataclass
class AuditEntry:
    id: int
    at: str
    actor: str | None
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]


def write_audit(conn: Connection, actor: str | None, action: str, object_type: str, object_id: str,
                details: dict[str, Any] | None = None) -> None:
    conn.execute(insert(audit).values(
        at=now_iso(), actor=actor, action=action, object_type=object_type, object_id=object_id,
        details=json.dumps(details or {}, ensure_ascii=False),
    ))


def add_version(conn: Connection, article_id: str, action: str, doc: SourceDocument | None, actor: str | None) -> int:
    """Record a new version (inside the caller's transaction); returns its number. Callers serialise
    writes to one article (WritersDesk's lock); the unique constraint refuses a duplicate number."""
    last = conn.execute(
        select(func.max(article_versions.c.version)).where(article_versions.c.article_id == article_id)
    ).scalar()
    number = int(last or 0) + 1
    conn.execute(insert(article_versions).values(
        article_id=article_id, version=number, at=now_iso(), actor=actor, action=action,
        doc=json.dumps(doc.to_dict(), ensure_ascii=False) if doc is not None else None,
        content_hash=doc.content_hash() if doc is not None else None,
    ))
    return number


def _version(row: Any) -> ArticleVersion:
    return ArticleVersion(
        row.article_id, row.version, row.at, row.actor, row.action,
        SourceDocument.from_dict(json.loads(row.doc)) if row.doc else None, row.content_hash,
    )


class History:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- versions ------------------------------------------------------------
    def record_version(self, article_id: str, action: str, doc: SourceDocument | None, actor: str | None,
                       details: dict[str, Any] | None = None) -> int:
        with self.engine.begin() as conn:
            number = add_version(conn, article_id, action, doc, actor)
            write_audit(conn, actor, action, "article", article_id, {"version": number, **(details or {})})
        return number

    def ensure_original(self, article_id: str, doc: SourceDocument) -> None:
        """An article with no history yet (ingested from a file) gets its current content recorded as
        version 1, before the API first changes it."""
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(article_versions.c.id).where(article_versions.c.article_id == article_id).limit(1)
            ).first()
            if exists is None:
                add_version(conn, article_id, "ingested", doc, None)

    def versions(self, article_id: str) -> list[ArticleVersion]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(article_versions).where(article_versions.c.article_id == article_id).order_by(article_versions.c.version)
            ).all()
        return [_version(r) for r in rows]

    def version(self, article_id: str, number: int) -> ArticleVersion | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(article_versions).where(
                    article_versions.c.article_id == article_id, article_versions.c.version == number
                )
            ).first()
        return _version(row) if row else None

    # --- reviews -------------------------------------------------------------
    def mark_reviewed(self, article_id: str, actor: str | None, note: str | None) -> str:
        at = now_iso()
        with self.engine.begin() as conn:
            conn.execute(insert(article_reviews).values(article_id=article_id, at=at, actor=actor, note=note))
            write_audit(conn, actor, "reviewed", "article", article_id, {"note": note} if note else {})
        return at

    def last_reviews(self) -> dict[str, tuple[str, str | None]]:
        """article id -> (time of its latest review mark, who)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(article_reviews.c.article_id, article_reviews.c.at, article_reviews.c.actor).order_by(article_reviews.c.at)
            ).all()
        return {r.article_id: (r.at, r.actor) for r in rows}

    # --- audit ---------------------------------------------------------------
    def audit(self, object_type: str | None = None, object_id: str | None = None, limit: int = 100,
              offset: int = 0) -> list[AuditEntry]:
        q = select(audit)
        if object_type:
            q = q.where(audit.c.object_type == object_type)
        if object_id:
            q = q.where(audit.c.object_id == object_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(audit.c.id.desc()).limit(limit).offset(offset)).all()
        return [AuditEntry(r.id, r.at, r.actor, r.action, r.object_type, r.object_id, json.loads(r.details)) for r in rows]
