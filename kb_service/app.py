"""create_app(settings): the FastAPI application, its routers, error handlers and lifespan.

Engines are loaded once in the lifespan (or handed in by the caller, as the tests do).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kb_service import __version__, languages
from kb_service.api import (
    answer, articles, auto_response, drafts, feedback, health, ingest, reports, search, suggest, tickets, translation, triage,
)
from kb_service.api.keys import KeyRing, ensure_admin_key, parse_keys
from kb_service.config import Settings, get_settings
from kb_service.knowledge import KnowledgeBase
from kb_service.triage.taxonomy import UnknownValue
from kb_service.writers.desk import Conflict, InvalidInput, NotFound


def build_keyring(settings: Settings) -> KeyRing:
    keys = parse_keys(settings.api_keys)
    if not keys:
        admin_key, _ = ensure_admin_key(settings.admin_key_path)
        keys = {admin_key: "admin"}
    return KeyRing(keys)


def _readable(errors: list[Any]) -> str:
    parts = []
    for e in errors:
        path = list(e.get("loc", ()))
        if path and path[0] in ("body", "query", "path"):  # where the error is, not part of the field's name
            path = path[1:]
        loc = ".".join(str(p) for p in path)
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def create_app(settings: Settings | None = None, kb: KnowledgeBase | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_kb = kb is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.kb is None:
            app.state.kb = KnowledgeBase(settings)
        try:
            yield
        finally:
            if owns_kb:
                app.state.kb.close()
                app.state.kb = None

    app = FastAPI(
        title="Support knowledge base",
        version=__version__,
        description="Cross-lingual search, grounded answers and suggestions from help-centre articles and resolved tickets.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.kb = kb
    app.state.keys = build_keyring(settings)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": e.get("type")} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": _readable(exc.errors()), "errors": errors})

    @app.exception_handler(UnknownValue)
    async def _taxonomy(_: Request, exc: UnknownValue) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc), "valid": exc.valid})

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(languages.UnsupportedLanguage)
    async def _language(_: Request, exc: languages.UnsupportedLanguage) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc), "supported": sorted(languages.SUPPORTED)})

    for module in (health, search, answer, suggest, feedback, articles, drafts, reports, ingest, triage, tickets, translation,
                   auto_response):
        app.include_router(module.router)
    return app
