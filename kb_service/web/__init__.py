"""The web pages: the customer widget (/widget.js, /demo), the writers' desk (/desk) and the report
pages with charts (/reports). Server-rendered Jinja2 with light JavaScript from /static; they call
the same services as the JSON API and fetch nothing from outside the service."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Scope

from kb_service.web import desk, reports, signin, widget
from kb_service.web.pages import STATIC_DIR, PageForbidden, SignInRequired, render, signin_redirect


class Static(StaticFiles):
    """The pages' scripts, styles and images. Never sniffed; the widget's stylesheet and images may be
    loaded by other sites' pages, also under `Cross-Origin-Embedder-Policy: require-corp`."""

    async def get_response(self, path: str, scope: Scope) -> Any:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin" if path.startswith("widget") else "same-origin"
        return response


def install(app: FastAPI) -> None:
    # compressed for browsers that ask (Chart.js: 210 KB, 71 KB gzipped); static files hold no secrets
    app.mount("/static", GZipMiddleware(Static(directory=str(STATIC_DIR)), minimum_size=1024), name="static")
    widget.install_demo_key(app)
    for module in (signin, widget, desk, reports):
        app.include_router(module.router)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return signin_redirect(exc.next_path)

    api_validation = app.exception_handlers[RequestValidationError]

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        """A page's bad address or form gets a page that says what is wrong; the API keeps its JSON."""
        if request.url.path.startswith(("/v1/", "/health")):
            return await api_validation(request, exc)  # type: ignore[no-any-return]
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body"))
        message = f"{where}: {first.get('msg', 'not valid')}" if where else str(first.get("msg", "not valid"))
        return render(request, "error.html", 422, title="That address is not valid", message=message)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "error.html", 403, title="Not allowed", message=exc.message)
