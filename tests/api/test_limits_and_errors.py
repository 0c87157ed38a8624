"""Rate limits on the public endpoints (429 + Retry-After), size limits (413/422), one error body
for every failure, request ids, and structured logs that never carry a customer's words."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from kb_service.api.ratelimit import TokenBuckets
from kb_service.app import create_app
from kb_service.knowledge import KnowledgeBase
from kb_service.logs import JsonFormatter
from tests.conftest import auth, make_settings

ANSWER = {"question": "How do I reset my password?"}
ERROR_KEYS = {"code", "message", "field", "request_id"}


@pytest.fixture
def limited(fresh_kb: KnowledgeBase) -> Iterator[TestClient]:
    settings = fresh_kb.settings.model_copy(update={"answer_rate_per_key": 5, "answer_rate_per_address": 8})
    with TestClient(create_app(settings, kb=fresh_kb)) as c:
        _freeze(c)
        yield c


def _freeze(c: TestClient) -> None:
    """Stop the buckets' clock: on a busy machine a slow request would otherwise refill a token."""
    limiter = c.app.state.limiter  # type: ignore[attr-defined]
    for buckets in (limiter.per_key, limiter.per_address):
        if buckets is not None:
            buckets._clock = lambda: 0.0


def test_token_bucket_refills() -> None:
    now = [0.0]
    b = TokenBuckets(60, clock=lambda: now[0])  # one per second, a minute's burst
    assert all(b.take("k") == 0 for _ in range(60))
    wait = b.take("k")
    assert 0.9 < wait <= 1.0
    now[0] += 1.0
    assert b.take("k") == 0 and b.take("other") == 0


def test_answer_rate_per_key_then_per_address(limited: TestClient) -> None:
    for _ in range(5):
        assert limited.post("/v1/answer", json=ANSWER, headers=auth("widget")).status_code == 200
    r = limited.post("/v1/answer", json=ANSWER, headers=auth("widget"))
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) >= 1 and "KB_ANSWER_RATE_PER_KEY" in r.json()["message"]
    # another key from the same address still has the address's remaining 3 requests
    statuses = [limited.post("/v1/answer", json=ANSWER, headers=auth("agent")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # other endpoints are not limited
    assert limited.post("/v1/search", json={"query": "password"}, headers=auth("agent")).status_code == 200


def test_forwarded_for_only_from_trusted_proxies(fresh_kb: KnowledgeBase) -> None:
    settings = fresh_kb.settings.model_copy(update={"answer_rate_per_address": 2, "trusted_proxies": "testclient"})
    with TestClient(create_app(settings, kb=fresh_kb)) as c:
        _freeze(c)
        a = {**auth("agent"), "X-Forwarded-For": "203.0.113.7"}
        b = {**auth("agent"), "X-Forwarded-For": "spoofed, 203.0.113.8"}
        assert [c.post("/v1/answer", json=ANSWER, headers=a).status_code for _ in range(3)] == [200, 200, 429]
        assert c.post("/v1/answer", json=ANSWER, headers=b).status_code == 200  # another client behind the proxy


def test_body_and_text_limits(fresh_kb: KnowledgeBase) -> None:
    settings = fresh_kb.settings.model_copy(update={"max_request_bytes": 4096, "max_upload_bytes": 2048})
    with TestClient(create_app(settings, kb=fresh_kb)) as c:
        big = {"question": "x" * 5000}
        r = c.post("/v1/answer", json=big, headers=auth("agent"))
        assert r.status_code == 413 and r.json()["code"] == "too_large" and "KB_MAX_REQUEST_BYTES" in r.json()["message"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted while reading
            yield b'{"question": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}'

        r = c.post("/v1/answer", content=chunks(), headers={**auth("agent"), "Content-Type": "application/json"})
        assert r.status_code == 413, r.text

        files = [("files", ("big.md", b"# T\n\n" + b"z" * 4000, "text/markdown"))]
        r = c.post("/v1/ingest", files=files, headers=auth("admin"))
        assert r.status_code == 413
        assert fresh_kb.store.count() == 0  # nothing was stored

        r = c.post("/v1/answer", json={"question": "q" * 2100}, headers=auth("agent"))
        assert r.status_code == 422 and r.json()["field"] == "question"


def test_one_error_body_everywhere(client: TestClient) -> None:
    cases = [
        client.get("/v1/articles"),  # 401
        client.get("/v1/articles", headers={"X-API-Key": "wrong-key-123"}),  # 401
        client.post("/v1/search", json={"query": "x"}, headers=auth("widget")),  # 403
        client.get("/v1/articles/no-such-article", headers=auth("agent")),  # 404
        client.get("/v1/no-such-route", headers=auth("agent")),  # 404
        client.delete("/v1/search", headers=auth("agent")),  # 405
        client.post("/v1/search", json={"query": ""}, headers=auth("agent")),  # 422
        client.post("/v1/search", content=b"{not json", headers={**auth("agent"), "Content-Type": "application/json"}),
        client.post("/v1/search", json={"query": "x", "top_k": 0}, headers=auth("agent")),
        client.post("/v1/search", json={"query": "x", "language": "xx-nope"}, headers=auth("agent")),
    ]
    for r in cases:
        body = r.json()
        assert 400 <= r.status_code < 500, r.text
        assert ERROR_KEYS <= body.keys(), body
        assert body["request_id"] == r.headers["x-request-id"]
        assert "Traceback" not in r.text and "/work/" not in r.text and ".py" not in r.text
    assert cases[8].json()["field"] == "top_k"


def test_unexpected_failure_is_a_clean_500(fresh_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("secret detail at /srv/kb_service/retrieval/answer.py line 42")

    monkeypatch.setattr(fresh_kb.answers, "answer", boom)
    with TestClient(create_app(fresh_kb.settings, kb=fresh_kb), raise_server_exceptions=False) as c:
        with caplog.at_level(logging.ERROR, logger="kb_service.errors"):
            r = c.post("/v1/answer", json=ANSWER, headers={**auth("agent"), "X-Request-ID": "req-500-test"})
    assert r.status_code == 500 and r.json()["code"] == "internal_error"
    assert r.json()["request_id"] == "req-500-test" == r.headers["x-request-id"]
    assert "secret detail" not in r.text and "answer.py" not in r.text
    logged = [rec for rec in caplog.records if rec.name == "kb_service.errors"]
    assert logged and "secret detail" in (JsonFormatter().format(logged[0]))  # the log has it, with the id
    assert json.loads(JsonFormatter().format(logged[0]))["request_id"] == "req-500-test"
    # a widget on another site reads the failure too (it says "something went wrong", not "unreachable")
    with TestClient(create_app(fresh_kb.settings, kb=fresh_kb), raise_server_exceptions=False) as c:
        r = c.post("/v1/answer", json=ANSWER, headers={**auth("agent"), "Origin": "https://shop.example"})
    assert r.status_code == 500 and r.headers["access-control-allow-origin"] == "https://shop.example"


def test_request_ids_and_access_log(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="kb_service.access"):
        r = client.post("/v1/answer", json={"question": "my email is jane.doe@example.com, reset password?"},
                        headers={**auth("agent"), "X-Request-ID": "abc-123"})
        r2 = client.get("/health")
        r3 = client.get("/health", headers={"X-Request-ID": "bad id with spaces!"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len(r2.headers["x-request-id"]) == 32 and r3.headers["x-request-id"] != "bad id with spaces!"
    lines = [json.loads(JsonFormatter().format(rec)) for rec in caplog.records if rec.name == "kb_service.access"]
    line = next(x for x in lines if x.get("request_id") == "abc-123")
    assert line["path"] == "/v1/answer" and line["status"] == 200 and line["actor"].startswith("agent:k")
    assert isinstance(line["duration_ms"], float)
    assert not any("jane.doe" in json.dumps(x) for x in lines)


def test_json_log_lines_are_one_object_each(tmp_path: Path) -> None:
    rec = logging.LogRecord("kb_service.x", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    rec.count = 3
    out = json.loads(JsonFormatter().format(rec))
    assert out["message"] == "hello world" and out["level"] == "warning" and out["count"] == 3
    assert make_settings(tmp_path).log_format == "json"
