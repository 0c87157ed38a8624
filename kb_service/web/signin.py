"""GET/POST /signin and POST /signout: a writer key in, a session cookie out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from kb_service.api.deps import own_origin
from kb_service.web.pages import current_session, render, safe_next, see_other, sessions
from kb_service.web.sessions import COOKIE

router = APIRouter(include_in_schema=False)


def same_origin(request: Request) -> bool:
    """A form post from one of this service's own pages (browsers send Origin on every POST)."""
    origin = request.headers.get("origin")
    return origin is None or origin == own_origin(request)


def secure_cookie(request: Request) -> bool:
    configured = request.app.state.settings.secure_cookies
    return configured if configured is not None else request.url.scheme == "https"


@router.get("/signin")
def signin_page(request: Request, next: str | None = None) -> Response:
    if current_session(request) is not None:
        return see_other(safe_next(next))
    return render(request, "signin.html", next=safe_next(next), error=None)


@router.post("/signin")
def signin(request: Request, key: Annotated[str, Form(max_length=200)] = "",
           next: Annotated[str, Form(max_length=2000)] = "/desk") -> Response:
    target = safe_next(next)
    if not same_origin(request):
        return render(request, "signin.html", 403, next=target, error="Sign in from this site's own page.")
    principal = request.app.state.keys.lookup(key.strip()) if key.strip() else None
    if principal is None:
        return render(request, "signin.html", 401, next=target, error="That key is unknown or has been revoked.")
    if not principal.can("drafts"):
        return render(request, "signin.html", 403, next=target,
                      error=f"A {principal.scope} key cannot open the desk: sign in with a writer or admin key.")
    token, session = sessions(request).create(principal)
    request.state.actor = session.actor
    response = see_other(target)
    response.set_cookie(COOKIE, token, max_age=int(request.app.state.settings.session_hours * 3600), path="/",
                        httponly=True, samesite="strict", secure=secure_cookie(request))
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    if same_origin(request):
        sessions(request).end(request.cookies.get(COOKIE))
    response = see_other("/signin")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookie(request))
    return response
