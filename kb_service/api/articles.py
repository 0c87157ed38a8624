"""Articles: list, read, create or replace (indexed at once), delete."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path as PathParam, Query, Response, status

from ingest.documents import ParseError, SourceDocument
from ingest.markdown import parse_markdown
from kb_service import languages
from kb_service.api.deps import KBDep, require
from kb_service.api.schemas import ArticleIn, ArticleList, ArticleOut, ArticleSummary, SectionOut
from kb_service.storage.sources import StoredSource

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


def _full(s: StoredSource) -> ArticleOut:
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
    return _full(_stored(kb, article_id))


@router.put(
    "/{article_id}",
    response_model=ArticleOut,
    dependencies=[Depends(require("articles:write"))],
    responses={201: {"model": ArticleOut, "description": "Created"}},
)
def put_article(article_id: ArticleId, body: ArticleIn, kb: KBDep, response: Response) -> ArticleOut:
    """Create or replace an article; it is searchable as soon as this returns."""
    try:
        parsed = parse_markdown(Path(f"{article_id}.md"), text=body.body)
    except ParseError as exc:
        raise HTTPException(422, f"article body: {exc}") from exc
    doc = SourceDocument(
        source_id="article:" + article_id,
        kind="article",
        title=body.title,
        sections=parsed.sections,
        language=body.language,
        url=body.url,
        updated=body.updated or date.today().isoformat(),
        tags=body.tags,
        product_area=body.product_area,
        links=parsed.links,
        origin=None,
    )
    summary, stored = kb.put_and_read(doc)  # decided under the write lock: concurrent writers agree
    response.status_code = status.HTTP_201_CREATED if summary.added else status.HTTP_200_OK
    return _full(stored)


@router.delete("/{article_id}", status_code=204, dependencies=[Depends(require("articles:write"))])
def delete_article(article_id: ArticleId, kb: KBDep) -> Response:
    _stored(kb, article_id)
    kb.delete_sources(["article:" + article_id])
    return Response(status_code=204)
