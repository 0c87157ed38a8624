"""Dependencies shared by the routers: the knowledge base, the settings and the caller's key."""

from __future__ import annotations

from typing import Annotated, Any, Callable, Iterator

from fastapi import Depends, Request, Security, status
from fastapi.security import APIKeyHeader

from kb_service.api.errors import ApiError
from kb_service.api.keys import KeyRing, Principal, normalise_origin
from kb_service.api.ratelimit import RateLimiter
from kb_service.config import Settings
from kb_service.knowledge import KnowledgeBase

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key; its scope decides what it may call.")


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb  # type: ignore[no-any-return]


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


KBDep = Annotated[KnowledgeBase, Depends(get_kb)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def own_origin(request: Request) -> str | None:
    """The origin of the service itself, as the browser sees it (its own pages' requests are not cross-site)."""
    host = request.headers.get("host")
    return normalise_origin(f"{request.url.scheme}://{host}") if host else None


def require(permission: str, rate_limited: bool = False) -> Callable[..., Principal]:
    """A dependency that lets a request through only with a key whose scope grants `permission`
    (a widget key also only from the web origins it lists); `rate_limited`: and only while the key
    and the client address are within their rate (the public endpoints)."""

    def check(request: Request, key: Annotated[str | None, Security(api_key_header)]) -> Principal:
        if not key:
            raise ApiError(
                status.HTTP_401_UNAUTHORIZED, "missing API key: send it in the X-API-Key header",
                headers={"WWW-Authenticate": "APIKey"},
            )
        ring: KeyRing = request.app.state.keys
        principal = ring.lookup(key)
        if principal is None:
            raise ApiError(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key", headers={"WWW-Authenticate": "APIKey"})
        request.state.actor = principal.actor  # the access log names the key, never the key itself
        if not principal.can(permission):
            raise ApiError(
                status.HTTP_403_FORBIDDEN, f"a key with scope '{principal.scope}' may not use this endpoint ({permission})"
            )
        origin = request.headers.get("origin")
        if not principal.origin_allowed(origin, own_origin(request)):
            raise ApiError(
                status.HTTP_403_FORBIDDEN, f"this widget key may not be used from origin {origin!r}; an admin can "
                "add it to the key's origins", code="origin_not_allowed",
            )
        if rate_limited:
            limiter: RateLimiter = request.app.state.limiter
            limiter.check(permission, request, principal)
        return principal

    check.__name__ = f"require_{permission.replace(':', '_')}"
    check.permission = permission  # type: ignore[attr-defined]  # read by the route-walk test
    return check


def endpoints(routes: list[Any]) -> Iterator[Any]:
    """Every endpoint of an app's routes with its effective dependencies. FastAPI 0.165 keeps included
    routers whole (`_IncludedRouter`, whose routes carry the router's dependencies in their contexts);
    older versions flatten them into APIRoutes."""
    from fastapi.routing import APIRoute

    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "effective_route_contexts"):
            contexts = r.effective_route_contexts
            yield from (contexts() if callable(contexts) else contexts)


def permission_of(route: Any) -> str | None:
    """The permission of the route's `require(...)` (or a page's `signed_in(...)`) dependency, wherever
    it is declared (on the route or on its router); None: an open route."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        permission = getattr(dep.call, "permission", None)
        if permission:
            return str(permission)
        stack.extend(dep.dependencies)
    return None
