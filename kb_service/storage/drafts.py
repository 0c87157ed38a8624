"""Drafts and their review: draft -> approved (published as an article) or rejected (with a reason).

A transition is one conditional UPDATE (`WHERE status = 'draft'`), so two writers approving and
rejecting at once cannot both win; the audit row, and on approval the article's new version and
the end of its publication (kb_service.storage.history), are written in the same transaction.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from ingest.documents import SourceDocument
from kb_service.storage.database import drafts, now_iso
from kb_service.storage.history import add_version, end_publication, write_audit

DRAFT, APPROVED, REJECTED = "draft", "approved", "rejected"
DRAFT_STATUSES = (DRAFT, APPROVED, REJECTED)


class DraftNotFound(KeyError):
    def __init__(self, draft_id: str) -> None:
        super().__init__(draft_id)
        self.draft_id = draft_id

    def __str__(self) -> str:
        return f"no draft with id {self.draft_id!r}"


class DraftStateError(ValueError):
    """The draft is not in a state that allows the change (e.g. approving a rejected draft)."""


@dataclass
class Draft:
    id: str
    status: str
    title: str
    language: str
    body: str
    content: dict[str, Any]  # DraftContent.to_dict(): the generated draft with citations
    ticket_ids: list[str]
    cluster_id: str | None
    engine: str
    article_id: str | None
    reason: str | None
    revision: int
    created_at: str
    updated_at: str
    created_by: str | None


def _draft(row: Any) -> Draft:
    return Draft(
        row.id, row.status, row.title, row.language, row.body, json.loads(row.content), json.loads(row.ticket_ids),
        row.cluster_id, row.engine, row.article_id, row.reason, row.revision, row.created_at, row.updated_at,
        row.created_by,
    )


class DraftStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, title: str, language: str, body: str, content: dict[str, Any], ticket_ids: list[str],
               cluster_id: str | None, engine_name: str, actor: str | None) -> Draft:
        draft_id = "d-" + secrets.token_hex(6)
        now = now_iso()
        with self.engine.begin() as conn:
            conn.execute(insert(drafts).values(
                id=draft_id, status=DRAFT, title=title, language=language, body=body,
                content=json.dumps(content, ensure_ascii=False), ticket_ids=json.dumps(ticket_ids),
                cluster_id=cluster_id, engine=engine_name, revision=1, created_at=now, updated_at=now, created_by=actor,
            ))
            write_audit(conn, actor, "created", "draft", draft_id,
                        {"engine": engine_name, "tickets": ticket_ids, "cluster": cluster_id, "title": title})
        out = self.get(draft_id)
        assert out is not None
        return out

    def get(self, draft_id: str) -> Draft | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(drafts).where(drafts.c.id == draft_id)).first()
        return _draft(row) if row else None

    def require(self, draft_id: str) -> Draft:
        d = self.get(draft_id)
        if d is None:
            raise DraftNotFound(draft_id)
        return d

    def list(self, status: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Draft], int]:
        q = select(drafts)
        c = select(func.count()).select_from(drafts)
        if status:
            q, c = q.where(drafts.c.status == status), c.where(drafts.c.status == status)
        with self.engine.connect() as conn:
            total = int(conn.execute(c).scalar() or 0)
            rows = conn.execute(q.order_by(drafts.c.updated_at.desc(), drafts.c.id).limit(limit).offset(offset)).all()
        return [_draft(r) for r in rows], total

    def _transition(self, draft_id: str, values: dict[str, Any], actor: str | None, action: str,
                    details: dict[str, Any], expected_revision: int | None = None,
                    version: tuple[str, SourceDocument] | None = None,
                    publication: int | None = None) -> tuple[Draft, int | None]:
        """Change a draft that is still a draft; `version`: (article id, published doc) to record as the
        article's new version in the same transaction, `publication`: the publication row that this
        transaction ends. Returns the draft and that version's number."""
        current = self.require(draft_id)
        if current.status != DRAFT:
            raise DraftStateError(f"draft {draft_id} is {current.status}; only a draft in status 'draft' can be {action}")
        if expected_revision is not None and expected_revision != current.revision:
            raise DraftStateError(
                f"draft {draft_id} changed since you read it (revision {current.revision}, you sent {expected_revision}); "
                "read it again and redo your change"
            )
        with self.engine.begin() as conn:
            result = conn.execute(
                update(drafts)
                .where(drafts.c.id == draft_id, drafts.c.status == DRAFT, drafts.c.revision == current.revision)
                .values(**values, revision=current.revision + 1, updated_at=now_iso())
            )
            if result.rowcount != 1:
                raise DraftStateError(f"draft {draft_id} was changed by someone else at the same time; read it again")
            if publication is not None:
                end_publication(conn, publication)
            number = None
            if version is not None:
                article_id, doc = version
                number = add_version(conn, article_id, "approved", doc, actor)
                details = {**details, "version": number}
                write_audit(conn, actor, "approved", "article", article_id, {"version": number, "draft": draft_id})
            write_audit(conn, actor, action, "draft", draft_id, details)
        return self.require(draft_id), number

    def edit(self, draft_id: str, changes: dict[str, Any], actor: str | None, expected_revision: int | None = None) -> Draft:
        """`changes`: any of title, body, language. The audit keeps the fields before and after."""
        current = self.require(draft_id)
        if current.status != DRAFT:
            raise DraftStateError(f"draft {draft_id} is {current.status}; only a draft in status 'draft' can be edited")
        if expected_revision is not None and expected_revision != current.revision:
            raise DraftStateError(f"draft {draft_id} changed since you read it (revision {current.revision}, you sent "
                                  f"{expected_revision}); read it again and redo your change")
        changed = {k: v for k, v in changes.items() if v is not None and getattr(current, k) != v}
        details = {k: {"before": getattr(current, k), "after": v} for k, v in changed.items()}
        if not changed:
            return current
        return self._transition(draft_id, changed, actor, "edited", details, current.revision)[0]

    def approve(self, draft_id: str, article_id: str, doc: SourceDocument, actor: str | None,
                expected_revision: int | None = None, publication: int | None = None) -> tuple[Draft, int | None]:
        """Approve, recording `doc` (as published) as the article's new version; `publication`: the
        row of that publication, ended in the same transaction."""
        return self._transition(
            draft_id, {"status": APPROVED, "article_id": article_id}, actor, "approved",
            {"article": article_id}, expected_revision, version=(article_id, doc), publication=publication,
        )

    def reject(self, draft_id: str, reason: str, actor: str | None, expected_revision: int | None = None) -> Draft:
        return self._transition(draft_id, {"status": REJECTED, "reason": reason}, actor, "rejected",
                                {"reason": reason}, expected_revision)[0]
