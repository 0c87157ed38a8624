"""Every API route declares the permission it needs, and the walk over all of them holds: no key
gets 401 everywhere but health and the docs; a widget key reaches only answer, feedback and the
language list; an agent key can neither write articles, drafts and reports nor administer."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from kb_service.api.keys import GRANTS
from tests.conftest import auth

OPEN = {"/health"}
WRITER_ONLY = {"articles:write", "drafts", "reports"}
ADMIN_ONLY = {"ingest", "admin"}


def permission_of(route: APIRoute) -> str | None:
    """The permission of the route's `require(...)` dependency, wherever it is declared."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        permission = getattr(dep.call, "permission", None)
        if permission:
            return str(permission)
        stack.extend(dep.dependencies)
    return None


def api_routes(client: TestClient) -> list[tuple[APIRoute, str]]:
    out = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path not in OPEN:
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((route, method))
    return out


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "1" if m.group(0) in ("{number}",) else "x-1", path)


def test_every_route_declares_a_known_permission(client: TestClient) -> None:
    granted = set().union(*GRANTS.values())
    for route, method in api_routes(client):
        perm = permission_of(route)
        assert perm is not None, f"{method} {route.path} declares no permission"
        assert perm in granted, f"{method} {route.path}: unknown permission {perm!r}"


def test_no_route_answers_without_a_key(client: TestClient) -> None:
    for route, method in api_routes(client):
        r = client.request(method, concrete(route.path), json={})
        assert r.status_code == 401, (method, route.path, r.status_code)


@pytest.mark.parametrize("scope", ["widget", "agent"])
def test_what_widget_and_agent_keys_cannot_reach(client: TestClient, scope: str) -> None:
    for route, method in api_routes(client):
        perm = permission_of(route)
        forbidden = (perm not in GRANTS[scope])  # type: ignore[index]
        if scope == "widget":
            assert forbidden == (perm not in {"answer", "feedback", "languages"}), (method, route.path)
        else:
            assert forbidden == (perm in WRITER_ONLY | ADMIN_ONLY), (method, route.path)
        if forbidden:
            r = client.request(method, concrete(route.path), json={}, headers=auth(scope))
            assert r.status_code == 403, (scope, method, route.path, r.status_code)
