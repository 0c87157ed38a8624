"""Keys an admin manages at run time: created, listed by prefix, revoked without a restart, stored
hashed; widget keys work only from the web origins they list, which CORS tells browsers."""

from __future__ import annotations

import hashlib
import sqlite3

from fastapi.testclient import TestClient

from kb_service.knowledge import KnowledgeBase
from tests.conftest import auth

ANSWER = {"question": "How do I reset my password?"}


def _create(client: TestClient, **body: object) -> dict[str, object]:
    r = client.post("/v1/keys", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    return r.json()


def test_create_use_list_revoke_without_restart(fresh_client: TestClient, fresh_kb: KnowledgeBase) -> None:
    made = _create(fresh_client, scope="agent", name="Zendesk app")
    key = str(made["key"])
    assert key.startswith(str(made["prefix"])) and made["prefix"] == f"kb_agent_{made['id']}_"
    headers = {"X-API-Key": key}
    assert fresh_client.get("/v1/articles", headers=headers).status_code == 200
    assert fresh_client.put("/v1/articles/x", json={"title": "t", "body": "b"}, headers=headers).status_code == 403

    listed = fresh_client.get("/v1/keys", headers=auth("admin")).json()["keys"]
    assert [k["id"] for k in listed] == [made["id"]]
    assert "key" not in listed[0] and key not in fresh_client.get("/v1/keys", headers=auth("admin")).text

    # stored hashed: neither the key nor its secret part is anywhere in the records database
    rows = sqlite3.connect(fresh_kb.settings.data_dir / "records.sqlite3").execute("SELECT * FROM api_keys").fetchall()
    flat = " ".join(str(v) for row in rows for v in row)
    assert key not in flat and key.rsplit("_", 1)[-1] not in flat
    assert hashlib.sha256(key.encode()).hexdigest() in flat

    r = fresh_client.delete(f"/v1/keys/{made['id']}", headers=auth("admin"))
    assert r.status_code == 200 and r.json()["revoked_at"]
    denied = fresh_client.get("/v1/articles", headers=headers)
    assert denied.status_code == 401 and denied.json()["code"] == "unauthorized"
    assert fresh_client.get("/v1/keys", headers=auth("admin")).json()["keys"] == []
    assert len(fresh_client.get("/v1/keys?include_revoked=true", headers=auth("admin")).json()["keys"]) == 1
    actions = [e["action"] for e in fresh_client.get("/v1/audit", headers=auth("admin")).json()]
    assert "create_key" in actions and "revoke_key" in actions


def test_near_miss_and_forged_keys_are_refused(fresh_client: TestClient) -> None:
    key = str(_create(fresh_client, scope="writer", name="w")["key"])
    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), key.replace("kb_writer_", "kb_admin_"), key + "x", key[:-10]):
        assert fresh_client.get("/v1/articles", headers={"X-API-Key": bad}).status_code == 401, bad


def test_key_management_is_admin_only_and_validated(fresh_client: TestClient) -> None:
    for scope in ("widget", "agent", "writer"):
        assert fresh_client.post("/v1/keys", json={"scope": "agent", "name": "x"}, headers=auth(scope)).status_code == 403
        assert fresh_client.get("/v1/keys", headers=auth(scope)).status_code == 403
    bad = [
        ({"scope": "widget", "name": "no origins"}, "origins"),
        ({"scope": "agent", "name": "x", "origins": ["https://a.example"]}, "origins"),
        ({"scope": "widget", "name": "x", "origins": ["https://a.example/path"]}, "origins"),
        ({"scope": "root", "name": "x"}, "scope"),
        ({"scope": "agent", "name": ""}, "name"),
    ]
    for body, field in bad:
        r = fresh_client.post("/v1/keys", json=body, headers=auth("admin"))
        assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
    assert fresh_client.get("/v1/keys", headers=auth("admin")).json()["keys"] == []  # nothing was stored
    assert fresh_client.delete("/v1/keys/0123abcd", headers=auth("admin")).status_code == 404
    assert fresh_client.delete("/v1/keys/nothex!", headers=auth("admin")).status_code == 422


def test_widget_key_origins_and_cors(fresh_client: TestClient) -> None:
    key = str(_create(fresh_client, scope="widget", name="help centre", origins=["https://help.example.com"])["key"])
    ok = {"X-API-Key": key, "Origin": "https://help.example.com"}
    r = fresh_client.post("/v1/answer", json=ANSWER, headers=ok)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://help.example.com"

    # another site's page may read the refusal (so its widget can say help is not available there)
    other = {"X-API-Key": key, "Origin": "https://evil.example"}
    r = fresh_client.post("/v1/answer", json=ANSWER, headers=other)
    assert r.status_code == 403 and r.json()["code"] == "origin_not_allowed"
    assert r.headers["access-control-allow-origin"] == "https://evil.example"
    # but never an answer: a key that is not bound to origins gets no CORS headers on another site
    r = fresh_client.post("/v1/answer", json=ANSWER, headers={**auth("agent"), "Origin": "https://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers

    # the browser's preflight is answered for any origin (the key check decides), not for a non-origin
    pre = {"Origin": "https://help.example.com", "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "x-api-key, content-type"}
    r = fresh_client.options("/v1/answer", headers=pre)
    assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "https://help.example.com"
    assert "x-api-key" in r.headers["access-control-allow-headers"].lower()
    r = fresh_client.options("/v1/answer", headers={**pre, "Origin": "https://evil.example"})
    assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "https://evil.example"
    r = fresh_client.options("/v1/answer", headers={**pre, "Origin": "null"})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    # endpoints a widget does not call send no CORS headers at all
    r = fresh_client.options("/v1/search", headers=pre)
    assert "access-control-allow-origin" not in r.headers

    # no Origin (a server, curl) and the service's own pages are not cross-site
    assert fresh_client.post("/v1/answer", json=ANSWER, headers={"X-API-Key": key}).status_code == 200
    own = {"X-API-Key": key, "Origin": "http://testserver"}
    assert fresh_client.post("/v1/answer", json=ANSWER, headers=own).status_code == 200


def test_bootstrap_widget_keys_use_the_configured_origins(tmp_path: object) -> None:
    from pathlib import Path

    from kb_service.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(Path(str(tmp_path)) / "d", widget_origins="https://shop.example, https://help.example")
    with TestClient(create_app(settings)) as c:
        assert c.post("/v1/answer", json=ANSWER, headers={**auth("widget"), "Origin": "https://shop.example"}).status_code == 200
        assert c.post("/v1/answer", json=ANSWER, headers={**auth("widget"), "Origin": "https://x.example"}).status_code == 403
        # agent keys are not bound to origins (and get no CORS headers from other sites)
        r = c.post("/v1/answer", json=ANSWER, headers={**auth("agent"), "Origin": "https://x.example"})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
