"""create_app(settings): the FastAPI application, its routers, error handlers and lifespan.

Engines are loaded once in the lifespan (or handed in by the caller, as the tests do).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI

from kb_service import __version__
from kb_service.api import (
    admin, answer, apikeys, articles, auto_response, drafts, errors, feedback, health, ingest, privacy, reports, search,
    suggest, tickets, translation, triage,
)
from kb_service.api.keys import KeyRing, ensure_admin_key, parse_keys, parse_origins
from kb_service.api.middleware import RequestContext, WidgetCors
from kb_service.api.ratelimit import RateLimiter
from kb_service.config import Settings, get_settings
from kb_service.knowledge import KnowledgeBase
from kb_service.privacy.retention import RetentionWorker


def build_keyring(settings: Settings) -> KeyRing:
    keys = parse_keys(settings.api_keys)
    if not keys:
        admin_key, _ = ensure_admin_key(settings.admin_key_path)
        keys = {admin_key: "admin"}
    return KeyRing(keys, parse_origins(settings.widget_origins))


def create_app(settings: Settings | None = None, kb: KnowledgeBase | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_kb = kb is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.kb is None:
            app.state.kb = KnowledgeBase(settings)
        app.state.keys.store = app.state.kb.api_keys
        retention = RetentionWorker(app.state.kb)
        retention.start()
        try:
            yield
        finally:
            retention.stop()
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
    if kb is not None:
        app.state.keys.store = kb.api_keys

    app.state.limiter = RateLimiter(settings)
    errors.install(app)
    # the last added is the outermost: every request gets its id (and a clean 500) before anything but
    # the CORS headers, which go on every widget response, the 500s and 413s of RequestContext included
    app.add_middleware(RequestContext, max_request_bytes=settings.max_request_bytes,
                       max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(WidgetCors, allowed=app.state.keys.origin_listed)

    for module in (health, search, answer, suggest, feedback, articles, drafts, reports, ingest, triage, tickets, translation,
                   auto_response, apikeys, privacy, admin):
        app.include_router(module.router, responses=errors.ERROR_RESPONSES)
    if settings.web_pages:
        from kb_service import web

        web.install(app)
    return app
