"""What every web page shares: the Jinja2 templates, the security headers, and the signed-in check.

Pages are rendered on the server; their scripts are files under /static (no inline script, no
outside host), which the Content-Security-Policy enforces in the browser as well.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kb_service import __version__
from kb_service.knowledge import KnowledgeBase
from kb_service.web.sessions import COOKIE, SECURE_COOKIE, SessionStore, WebSession

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescaping on for .html
templates.env.globals["version"] = __version__


def for_people(text: str) -> str:
    """A report's advice without the API calls it names for scripts (the desk has buttons for them):
    'Draft one: POST /v1/drafts with {...}.' -> 'Draft one.', '(POST /v1/articles/x/reviewed)' -> ''."""
    text = re.sub(r"\s*\(POST /v1/[^)]*\)", "", text)
    return re.sub(r":\s*POST /v1/\S+ with \{[^}]*\}", "", text)


templates.env.filters["for_people"] = for_people

# Pages may load only the service's own scripts, styles and images, and be framed by nobody.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SignInRequired(Exception):
    """Raised by `signed_in` when there is no live session: the handler sends the browser to /signin."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def sessions(request: Request) -> SessionStore:
    kb: KnowledgeBase = request.app.state.kb
    return SessionStore(kb.database, request.app.state.settings.session_hours)


def secure_cookie(request: Request) -> bool:
    configured = request.app.state.settings.secure_cookies
    return configured if configured is not None else request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    """`__Host-kb_session` over https: browsers then accept it only from this host, Secure, for path /,
    so a sibling subdomain cannot plant a session of its own; plain `kb_session` over http."""
    return SECURE_COOKIE if secure_cookie(request) else COOKIE


def session_token(request: Request) -> str | None:
    return request.cookies.get(cookie_name(request))


def current_session(request: Request) -> WebSession | None:
    """The request's live session; None without one, or when its key was revoked since."""
    session = sessions(request).get(session_token(request))
    if session is None:
        return None
    if not request.app.state.keys.still_valid(session.scope, session.key_id):
        sessions(request).end(session_token(request))
        return None
    request.state.actor = session.actor  # the access log names the key, as for API calls
    return session


def signed_in(permission: str) -> Callable[[Request], WebSession]:
    """A dependency: the signed-in session, whose key must grant `permission`."""

    def check(request: Request) -> WebSession:
        session = current_session(request)
        if session is None:
            if request.method == "GET":
                raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            # a form posted after the session ended: back to the page it came from, not to the action
            draft = re.match(r"^/desk/drafts/d-[0-9a-f]{12}", request.url.path)
            raise SignInRequired(draft.group(0) if draft else "/desk")
        if not session.can(permission):
            raise PageForbidden(f"a {session.scope} key may not open this page ({permission}); sign in with a writer key")
        return session

    check.__name__ = f"signed_in_{permission.replace(':', '_')}"
    check.permission = permission  # type: ignore[attr-defined]  # read by the route-walk tests
    return check


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session = context.get("session")
    response = templates.TemplateResponse(request, template, {"session": session, **context}, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store" if session is not None else "no-cache"
    return response


def see_other(url: str) -> RedirectResponse:
    """After a form post: a 303 to the page that shows the result (reloading it posts nothing again)."""
    return RedirectResponse(url, status_code=303)


def signin_redirect(next_path: str) -> RedirectResponse:
    return see_other("/signin?next=" + quote(next_path, safe="/"))


_LOCAL_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")


def safe_next(value: str | None, default: str = "/desk") -> str:
    """Only a path of this site after sign-in: never //host, a scheme, a backslash, or a blank or
    control character that a browser would drop (`/<tab>/host` is `//host` to it)."""
    return value if value and len(value) <= 2000 and _LOCAL_PATH.match(value) else default


def with_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response
