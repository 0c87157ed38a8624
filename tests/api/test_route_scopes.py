"""Every API route declares the permission it needs, and the walk over all of them holds: no key
gets 401 everywhere but health and the docs; a widget key reaches only answer, feedback and the
language list; an agent key can neither write articles, drafts and reports nor administer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb_service.api.deps import endpoints, permission_of
from kb_service.api.keys import GRANTS
from tests.conftest import auth

OPEN = {"/health"}
WRITER_ONLY = {"articles:write", "drafts", "reports"}
ADMIN_ONLY = {"ingest", "admin"}


def api_routes(client: TestClient) -> list[tuple[Any, str]]:
    out = []
    for route in endpoints(client.app.routes):  # type: ignore[attr-defined]
        # the web pages (not in the schema) sign in with a session; tests/web checks them
        if route.path not in OPEN and getattr(route, "include_in_schema", True):
            for method in sorted(set(route.methods) - {"HEAD", "OPTIONS"}):
                out.append((route, method))
    # the walk must see every operation the API documents, so that it cannot pass on too few
    documented = {(m.upper(), p) for p, ops in client.app.openapi()["paths"].items() for m in ops if p not in OPEN}  # type: ignore[attr-defined]
    assert {(m, r.path) for r, m in out} == documented
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
            assert forbidden == (perm not in {"answer", "feedback"}), (method, route.path)
        else:
            assert forbidden == (perm in WRITER_ONLY | ADMIN_ONLY), (method, route.path)
        if forbidden:
            r = client.request(method, concrete(route.path), json={}, headers=auth(scope))
            assert r.status_code == 403, (scope, method, route.path, r.status_code)
