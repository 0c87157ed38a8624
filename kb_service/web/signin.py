"""GET/POST /signin and POST /signout: a writer key in, a session cookie out."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from kb_service.api.deps import own_origin
from kb_service.api.ratelimit import RateLimiter, client_address
from kb_service.web.pages import (
    cookie_name, current_session, render, safe_next, secure_cookie, see_other, session_token, sessions,
)

router = APIRouter(include_in_schema=False)


def same_origin(request: Request) -> bool:
    """A form post from one of this service's own pages (browsers send Origin on every POST)."""
    origin = request.headers.get("origin")
    return origin is None or origin == own_origin(request)


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
    limiter: RateLimiter = request.app.state.limiter
    address = client_address(request, limiter.trusted)
    wait = limiter.signin_failures.wait(address)
    if wait > 0:  # too many wrong keys from this address: no key is even looked at until it has waited
        response = render(request, "signin.html", 429, next=target,
                          error=f"Too many wrong keys from your address. Try again in {math.ceil(wait)} seconds.")
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    principal = request.app.state.keys.lookup(key.strip()) if key.strip() else None
    if principal is None:
        limiter.signin_failures.take(address)
        return render(request, "signin.html", 401, next=target, error="That key is unknown or has been revoked.")
    if not principal.can("drafts"):
        return render(request, "signin.html", 403, next=target,
                      error=f"A {principal.scope} key cannot open the desk: sign in with a writer or admin key.")
    store = sessions(request)
    store.end(session_token(request))  # a new sign-in replaces the browser's old session
    token, session = store.create(principal)
    request.state.actor = session.actor
    response = see_other(target)
    # no Max-Age: the browser keeps it for its session; the server ends it KB_SESSION_HOURS after its
    # last use. SameSite=Lax lets a link in an email open a draft; every form checks its CSRF token
    # and origin, which is what keeps other sites' posts out.
    response.set_cookie(cookie_name(request), token, path="/", httponly=True, samesite="lax", secure=secure_cookie(request))
    return response


@router.post("/signout")
def signout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Sign out: only from the desk's own form (its CSRF token), so another site cannot sign a writer out."""
    session = current_session(request)
    if session is not None and (not same_origin(request) or not session.csrf_ok(csrf)):
        return render(request, "error.html", 403, session=session, title="Not signed out",
                      message="This form has expired or did not come from the desk. Reload the page and try again.")
    sessions(request).end(session_token(request))
    response = see_other("/signin")
    response.delete_cookie(cookie_name(request), path="/", httponly=True, samesite="lax", secure=secure_cookie(request))
    return response
