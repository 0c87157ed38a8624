"""POST /v1/search: cross-lingual search over articles and resolved tickets."""

from typing import Annotated

from fastapi import APIRouter, Depends

from kb_service.api.errors import ApiError
from kb_service.api.deps import KBDep, SettingsDep, require
from kb_service.api.keys import Principal
from kb_service.api.schemas import HitOut, SearchFiltersIn, SearchIn, SearchOut
from kb_service.config import Settings
from kb_service.retrieval.search import Hit, SearchFilters
from kb_service.sanitize import inert_text, safe_article_url

router = APIRouter(tags=["search"])


def check_length(text: str, settings: Settings, field: str) -> None:
    if len(text) > settings.max_query_chars:
        raise ApiError(
            422, f"{field} is {len(text)} characters long; the limit is {settings.max_query_chars} (KB_MAX_QUERY_CHARS)",
            field=field if " " not in field else None,
        )


def to_filters(f: SearchFiltersIn | None) -> SearchFilters:
    if f is None:
        return SearchFilters()
    return SearchFilters(f.source, tuple(f.language or ()), f.product_area, tuple(f.tags or ()))


def public_id(source_id: str) -> str:
    return source_id.split(":", 1)[1] if ":" in source_id else source_id


def hit_out(hit: Hit) -> HitOut:
    return HitOut(
        id=public_id(hit.source_id),
        source="ticket" if hit.kind == "ticket" else "article",
        title=inert_text(hit.title),  # a ticket's subject is what a customer wrote: inert, like article text
        url=safe_article_url(hit.url),
        snippet=inert_text(hit.snippet()),
        score=round(hit.score, 4),
        language=hit.language,
        heading=hit.heading or None,
        product_area=hit.metadata.get("product_area"),
        tags=list(hit.metadata.get("tags") or []),
    )


@router.post("/v1/search", response_model=SearchOut)
def search(body: SearchIn, kb: KBDep, settings: SettingsDep, who: Principal = Depends(require("search"))) -> SearchOut:
    """Ranked articles and tickets for a query in any supported language; each source appears once."""
    check_length(body.query, settings, "query")
    result = kb.searcher.search(body.query, body.top_k, to_filters(body.filters), body.language)
    log_id = kb.log_request("search", body.query, result.query_language, result.hits, None, who.actor, result.vector,
                            articles_searched=not (body.filters and body.filters.source == "ticket"))
    return SearchOut(query_language=result.query_language, took_ms=round(result.took_ms, 2),
                     hits=[hit_out(h) for h in result.hits], log_id=log_id)
