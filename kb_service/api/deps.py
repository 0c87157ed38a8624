"""Dependencies shared by the routers: the knowledge base, the settings and the caller's key."""

from __future__ import annotations

from typing import Annotated, Callable

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from kb_service.api.keys import KeyRing, Principal
from kb_service.config import Settings
from kb_service.knowledge import KnowledgeBase

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key; its scope decides what it may call.")


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb  # type: ignore[no-any-return]


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


KBDep = Annotated[KnowledgeBase, Depends(get_kb)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def require(permission: str) -> Callable[..., Principal]:
    """A dependency that lets a request through only with a key whose scope grants `permission`."""

    def check(request: Request, key: Annotated[str | None, Security(api_key_header)]) -> Principal:
        if not key:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "missing API key: send it in the X-API-Key header",
                headers={"WWW-Authenticate": "APIKey"},
            )
        ring: KeyRing = request.app.state.keys
        principal = ring.lookup(key)
        if principal is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown API key", headers={"WWW-Authenticate": "APIKey"})
        if not principal.can(permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"a key with scope '{principal.scope}' may not use this endpoint ({permission})"
            )
        return principal

    check.__name__ = f"require_{permission.replace(':', '_')}"
    check.permission = permission  # type: ignore[attr-defined]  # read by the route-walk test
    return check
