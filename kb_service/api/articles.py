"""Articles: list, read, create or replace (indexed at once), delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path as PathParam, Query, Response, status

from kb_service import languages
from kb_service.api.deps import KBDep, require
from kb_service.api.keys import Principal
from kb_service.api.schemas import ArticleIn, ArticleList, ArticleOut, ArticleSummary, SectionOut
from kb_service.api.schemas_writers import ArticleVersionFull, ArticleVersionOut, ReviewIn, ReviewOut
from kb_service.storage.history import ArticleVersion
from kb_service.storage.sources import StoredSource
from kb_service.writers.desk import article_document

router = APIRouter(prefix="/v1/articles", tags=["articles"])

ArticleId = Annotated[
    str,
    PathParam(pattern=r"^[a-z0-9][a-z0-9-]{0,127}$", description="Lowercase letters, digits and hyphens, e.g. reset-password."),
]


def _summary(s: StoredSource) -> ArticleSummary:
    d = s.doc
    return ArticleSummary(
        id=d.source_id.split(":", 1)[1], title=d.title, url=d.url, language=d.language,
        updated=d.updated, tags=d.tags, product_area=d.product_area,
    )


def full_article(s: StoredSource) -> ArticleOut:
    d = s.doc
    return ArticleOut(
        **_summary(s).model_dump(),
        body=d.body,
        sections=[SectionOut(heading=x.heading, text=x.text) for x in d.sections],
        links=d.links,
        indexed_at=s.indexed_at,
        chunks=len(s.chunk_ids),
    )


@router.get("", response_model=ArticleList, dependencies=[Depends(require("articles:read"))])
def list_articles(
    kb: KBDep,
    language: Annotated[str | None, Query(description="BCP 47 code; 'pt' also lists 'pt-BR'.")] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    product_area: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> ArticleList:
    lang = languages.normalize(language) if language else None
    items, total = kb.store.list_articles(lang, tag, product_area, limit, offset)
    return ArticleList(items=[_summary(s) for s in items], total=total, limit=limit, offset=offset)


def _stored(kb: KBDep, article_id: str) -> StoredSource:
    s = kb.store.get("article:" + article_id)
    if s is None:
        raise HTTPException(404, f"no article with id {article_id!r}")
    return s


@router.get("/{article_id}", response_model=ArticleOut, dependencies=[Depends(require("articles:read"))])
def get_article(article_id: ArticleId, kb: KBDep) -> ArticleOut:
    return full_article(_stored(kb, article_id))


@router.put(
    "/{article_id}",
    response_model=ArticleOut,
    responses={201: {"model": ArticleOut, "description": "Created"}},
)
def put_article(article_id: ArticleId, body: ArticleIn, kb: KBDep, response: Response,
                who: Principal = Depends(require("articles:write"))) -> ArticleOut:
    """Create or replace an article; it is searchable as soon as this returns. Every change is a new
    version (GET /v1/articles/{id}/versions)."""
    doc = article_document(article_id, body.title, body.body, body.language, body.url, body.updated, body.tags,
                           body.product_area)
    published = kb.desk.publish(doc, who.actor)  # decided under the write lock: concurrent writers agree
    response.status_code = status.HTTP_201_CREATED if published.created else status.HTTP_200_OK
    return full_article(published.stored)


@router.delete("/{article_id}", status_code=204)
def delete_article(article_id: ArticleId, kb: KBDep, who: Principal = Depends(require("articles:write"))) -> Response:
    """Remove an article from the index; its versions stay, and any of them can be restored."""
    kb.desk.delete_article(article_id, who.actor)
    return Response(status_code=204)


def _version_out(v: ArticleVersion) -> ArticleVersionOut:
    return ArticleVersionOut(version=v.version, at=v.at, actor=v.actor, action=v.action,
                             title=v.doc.title if v.doc else None, content_hash=v.content_hash, deleted=v.doc is None)


@router.get("/{article_id}/versions", response_model=list[ArticleVersionOut], dependencies=[Depends(require("articles:read"))])
def list_versions(article_id: ArticleId, kb: KBDep) -> list[ArticleVersionOut]:
    """Every version written through the API or by approving a draft, oldest first (version 1 of an
    article first ingested from a file is that file's content)."""
    versions = kb.history.versions(article_id)
    if not versions and kb.store.get("article:" + article_id) is None:
        raise HTTPException(404, f"no article with id {article_id!r}")
    return [_version_out(v) for v in versions]


@router.get("/{article_id}/versions/{number}", response_model=ArticleVersionFull, dependencies=[Depends(require("articles:read"))])
def get_version(article_id: ArticleId, number: Annotated[int, PathParam(ge=1, le=1_000_000)], kb: KBDep) -> ArticleVersionFull:
    v = kb.history.version(article_id, number)
    if v is None:
        raise HTTPException(404, f"article {article_id!r} has no version {number}")
    d = v.doc
    return ArticleVersionFull(**_version_out(v).model_dump(), body=d.body if d else None, language=d.language if d else None,
                              updated=d.updated if d else None, tags=d.tags if d else [])


@router.post("/{article_id}/versions/{number}/restore", response_model=ArticleOut)
def restore_version(article_id: ArticleId, number: Annotated[int, PathParam(ge=1, le=1_000_000)], kb: KBDep,
                    who: Principal = Depends(require("articles:write"))) -> ArticleOut:
    """Make an earlier version current again (as a new version; nothing is lost)."""
    return full_article(kb.desk.restore(article_id, number, who.actor).stored)


@router.post("/{article_id}/reviewed", response_model=ReviewOut)
def mark_reviewed(article_id: ArticleId, kb: KBDep, body: ReviewIn | None = None,
                  who: Principal = Depends(require("articles:write"))) -> ReviewOut:
    """A writer checked the article and it is still right: its review clock starts again."""
    at = kb.desk.mark_reviewed(article_id, who.actor, body.note if body else None)
    return ReviewOut(article_id=article_id, reviewed_at=at, actor=who.actor)
