"""Article versions, review marks and the audit trail (who did what, when, to which draft or article).

Every article write through the API and every draft approval adds a version; an article first
written by a file ingest gets that content recorded as version 1 ("ingested") the first time the
API changes it, so the original can always be restored. Audit rows are written in the same
transaction as the change they describe.

An article write spans two stores: the source store and the index take the article, then this
database records its version (and, for an approval, the draft's new state). A `publications` row
is written before the first and deleted in the transaction of the second; one left over after a
crash is settled at the next start (WritersDesk.settle): finished if the source store holds the
content it names, dropped if not, so the versions never disagree with what is published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Engine, Integer, String, Table, Text, delete, func, insert, select

from ingest.documents import SourceDocument
from kb_service.storage.database import article_reviews, article_versions, audit, metadata, now_iso

publications = Table(
    "publications", metadata,  # article writes in flight: see the module's docstring
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(160), nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(64)),
    Column("action", String(16)),  # the version's action; None: "created" or "updated", by what was there before
    Column("doc", Text),  # JSON SourceDocument being published; None for a deletion
    Column("content_hash", String(64)),  # its content hash; None for a deletion
    Column("before", Text),  # JSON SourceDocument the article had before; None when it had none
    Column("before_hash", String(64)),
    Column("details", Text, nullable=False),  # JSON, for the version's audit row
    Column("draft_id", String(40)),  # an approval: the draft, approved in the transaction that ends it
    Column("draft_revision", Integer),
)


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
class Publication:
    """An article write in flight (a row of `publications`)."""

    id: int
    article_id: str
    at: str
    actor: str | None
    action: str | None
    doc: SourceDocument | None
    content_hash: str | None
    before: SourceDocument | None
    before_hash: str | None
    details: dict[str, Any]
    draft_id: str | None
    draft_revision: int | None

    @property
    def version_action(self) -> str:
        return self.action or ("created" if self.before_hash is None else "updated")


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


def end_publication(conn: Connection, publication_id: int) -> None:
    """Delete a publication row inside the transaction that records its outcome. Refused (and so the
    whole transaction) when it is gone: another settlement got there first, and a version must not
    be recorded twice."""
    if conn.execute(delete(publications).where(publications.c.id == publication_id)).rowcount != 1:
        raise PublicationGone(publication_id)


class PublicationGone(RuntimeError):
    def __init__(self, publication_id: int) -> None:
        super().__init__(f"publication {publication_id} was already settled")


def _doc_json(doc: SourceDocument | None) -> str | None:
    return json.dumps(doc.to_dict(), ensure_ascii=False) if doc is not None else None


def _doc(text: str | None) -> SourceDocument | None:
    return SourceDocument.from_dict(json.loads(text)) if text else None


def _publication(row: Any) -> Publication:
    return Publication(
        row.id, row.article_id, row.at, row.actor, row.action, _doc(row.doc), row.content_hash, _doc(row.before),
        row.before_hash, json.loads(row.details), row.draft_id, row.draft_revision,
    )


def _version(row: Any) -> ArticleVersion:
    return ArticleVersion(
        row.article_id, row.version, row.at, row.actor, row.action,
        SourceDocument.from_dict(json.loads(row.doc)) if row.doc else None, row.content_hash,
    )


class History:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        publications.create(engine, checkfirst=True)  # a database opened before this module was imported

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

    # --- writes in flight ------------------------------------------------------
    def begin_publication(self, article_id: str, doc: SourceDocument | None, before: SourceDocument | None,
                          actor: str | None, action: str | None = None, details: dict[str, Any] | None = None,
                          draft_id: str | None = None, draft_revision: int | None = None) -> int:
        """Record an article write about to reach the source store and the index (`doc` None: a
        deletion); returns the row's id for finish_publication or drop_publication."""
        with self.engine.begin() as conn:
            result = conn.execute(insert(publications).values(
                article_id=article_id, at=now_iso(), actor=actor, action=action, doc=_doc_json(doc),
                content_hash=doc.content_hash() if doc is not None else None, before=_doc_json(before),
                before_hash=before.content_hash() if before is not None else None,
                details=json.dumps(details or {}, ensure_ascii=False), draft_id=draft_id, draft_revision=draft_revision,
            ))
            key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def publications(self) -> list[Publication]:
        """Article writes in flight, oldest first (none, unless a write failed or the process died)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(publications).order_by(publications.c.id)).all()
        return [_publication(r) for r in rows]

    def publication(self, publication_id: int) -> Publication | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(publications).where(publications.c.id == publication_id)).first()
        return _publication(row) if row else None

    def finish_publication(self, publication_id: int, action: str, doc: SourceDocument | None) -> int:
        """The write reached the source store: record its version (`doc`, as stored; None for a
        deletion) with the audit row, and end the publication, in one transaction. Returns the
        version's number."""
        p = self.publication(publication_id)
        if p is None:
            raise PublicationGone(publication_id)
        with self.engine.begin() as conn:
            end_publication(conn, publication_id)
            number = add_version(conn, p.article_id, action, doc, p.actor)
            write_audit(conn, p.actor, action, "article", p.article_id, {"version": number, **p.details})
        return number

    def drop_publication(self, publication_id: int) -> None:
        """The write did not reach the source store (or was taken back): nothing to record."""
        with self.engine.begin() as conn:
            conn.execute(delete(publications).where(publications.c.id == publication_id))

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
