"""Drafts from resolved tickets and their review: create, list by status, read beside the source
tickets, edit, approve (publish and index) or reject with a reason; the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path as PathParam, Query
from pydantic import BaseModel

from kb_service.api.articles import full_article
from kb_service.api.deps import KBDep, require
from kb_service.api.keys import Principal
from kb_service.api.schemas import ArticleOut
from kb_service.api.schemas_writers import (
    DraftFlagOut,
    AuditOut, ClaimOut, DraftApproveIn, DraftContentOut, DraftCreateIn, DraftEditIn, DraftList, DraftOut, DraftRejectIn,
    DraftSourceOut, DraftSummary, RelatedArticleOut,
)
from kb_service.knowledge import KnowledgeBase
from kb_service.privacy.erasure import draft_flags_of
from kb_service.sanitize import inert_text
from kb_service.storage.drafts import DRAFT_STATUSES, Draft
from kb_service.writers.drafting import DraftContent

router = APIRouter(tags=["drafts"])
DraftId = Annotated[str, PathParam(pattern=r"^d-[0-9a-f]{12}$", description="A draft id, e.g. d-3f9a0c1b2d4e.")]


class DraftApproveOut(BaseModel):
    draft: DraftOut
    article: ArticleOut
    version: int | None


def _summary(d: Draft) -> DraftSummary:
    return DraftSummary(
        id=d.id, status=d.status, title=d.title, language=d.language, engine=d.engine,  # type: ignore[arg-type]
        tickets=len(d.ticket_ids), cluster_id=d.cluster_id, article_id=d.article_id, reason=d.reason,
        revision=d.revision, created_at=d.created_at, updated_at=d.updated_at, created_by=d.created_by,
    )


def _claims(items: list[dict[str, Any]]) -> list[ClaimOut]:
    return [ClaimOut(text=c["text"], sources=list(c.get("sources") or []), screenshot=c.get("screenshot"),
                     language=c.get("language")) for c in items]


def draft_out(kb: KnowledgeBase, d: Draft) -> DraftOut:
    c = d.content
    content = DraftContentOut(
        title=c.get("title", d.title), language=c.get("language", d.language), when=_claims(c.get("when", [])),
        steps=_claims(c.get("steps", [])), troubleshooting=_claims(c.get("troubleshooting", [])),
        related=[RelatedArticleOut(id=r["article_id"], title=r["title"], url=r.get("url"), score=r["score"])
                 for r in c.get("related", [])],
        sources=list(c.get("sources", [])), engine=c.get("engine", d.engine), notes=list(c.get("notes", [])),
    )
    cited_by: dict[str, list[int]] = {}
    for n, step in enumerate(content.steps, 1):
        for tid in step.sources:
            cited_by.setdefault(tid, []).append(n)
    sources = []
    for tid in d.ticket_ids:
        stored = kb.store.get("ticket:" + tid)
        if stored is None:
            continue  # erased or deleted since the draft was made
        t = stored.doc
        sources.append(DraftSourceOut(id=tid, subject=inert_text(t.title), body=inert_text(t.body),
                                      resolution=inert_text(t.resolution) if t.resolution else None, language=t.language,
                                      created=t.created, resolved=t.resolved, cited_by=cited_by.get(tid, [])))
    history = [AuditOut(**vars(e)) for e in kb.history.audit("draft", d.id, limit=200)]
    return DraftOut(
        **_summary(d).model_dump(), body=d.body, cited_body=DraftContent.from_dict(c).to_markdown(citations=True),
        content=content, ticket_ids=d.ticket_ids, sources=sources, history=history,
        flags=[DraftFlagOut(**f) for f in draft_flags_of(kb, d.id)],
    )


@router.post("/v1/drafts", response_model=DraftOut, status_code=201)
def create_draft(body: DraftCreateIn, kb: KBDep, who: Principal = Depends(require("drafts"))) -> DraftOut:
    """A draft article from a ticket cluster or a list of resolved tickets: a title as customers ask,
    when it happens, numbered steps from what resolved the tickets, troubleshooting, screenshot
    placeholders and related articles; every claim cites its tickets. Offline it is extractive; with
    an Anthropic key Claude writes it from the same material and must keep the citations."""
    d = kb.desk.create_draft(who.actor, body.cluster_id, body.ticket_ids, body.language, body.engine)
    return draft_out(kb, d)


@router.get("/v1/drafts", response_model=DraftList, dependencies=[Depends(require("drafts"))])
def list_drafts(
    kb: KBDep,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(DRAFT_STATUSES) + ")$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DraftList:
    items, total = kb.drafts.list(status, limit, offset)
    return DraftList(items=[_summary(d) for d in items], total=total, limit=limit, offset=offset)


@router.get("/v1/drafts/{draft_id}", response_model=DraftOut, dependencies=[Depends(require("drafts"))])
def get_draft(draft_id: DraftId, kb: KBDep) -> DraftOut:
    return draft_out(kb, kb.desk.require_draft(draft_id))


@router.patch("/v1/drafts/{draft_id}", response_model=DraftOut)
def edit_draft(draft_id: DraftId, body: DraftEditIn, kb: KBDep, who: Principal = Depends(require("drafts"))) -> DraftOut:
    """Change the title, the Markdown body or the language of a draft still under review."""
    d = kb.desk.edit_draft(draft_id, who.actor, body.title, body.body, body.language, body.revision)
    return draft_out(kb, d)


@router.post("/v1/drafts/{draft_id}/approve", response_model=DraftApproveOut)
def approve_draft(draft_id: DraftId, body: DraftApproveIn, kb: KBDep,
                  who: Principal = Depends(require("drafts"))) -> DraftApproveOut:
    """Publish the draft as an article: indexed at once, searchable in the next request."""
    d, published = kb.desk.approve_draft(draft_id, who.actor, body.article_id, body.replace, body.tags,
                                         body.product_area, body.url, body.revision)
    return DraftApproveOut(draft=draft_out(kb, d), article=full_article(published.stored), version=published.version)


@router.post("/v1/drafts/{draft_id}/reject", response_model=DraftOut)
def reject_draft(draft_id: DraftId, body: DraftRejectIn, kb: KBDep, who: Principal = Depends(require("drafts"))) -> DraftOut:
    return draft_out(kb, kb.desk.reject_draft(draft_id, who.actor, body.reason, body.revision))


@router.get("/v1/audit", response_model=list[AuditOut], dependencies=[Depends(require("drafts"))])
def audit_trail(
    kb: KBDep,
    object_type: Annotated[str | None, Query(pattern="^(draft|article|key|customer)$")] = None,
    object_id: Annotated[str | None, Query(max_length=160)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditOut]:
    """Who changed which draft, article or API key, and which customers' data was erased (under a hash of
    their id), when, and what, newest first."""
    return [AuditOut(**vars(e)) for e in kb.history.audit(object_type, object_id, limit, offset)]
