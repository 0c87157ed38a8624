"""The writers' workflow through the HTTP API, on a knowledge base of its own (the sample tickets
and a few sample articles): the search log and feedback, drafts from clusters, review (edit,
approve = publish and index, reject), article versions and restore, review marks, reports as CSV,
scopes, and clear 4xx errors that change nothing."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase
from kb_service.writers.desk import slugify
from tests.conftest import auth, make_settings

ARTICLES = ["html/google-calendar-sync.html", "html/two-factor-authentication.html", "markdown/browser-requirements.md",
            "markdown/clock-in-mobile.md", "html/slack-integration.html"]
# a resolved ticket full of personal data, in the same cluster as the Android widget tickets
PII_TICKET = {
    "id": "T-9001", "subject": "Android widget missing after update",
    "body": "Hi, the Next shift widget is gone from my Android home screen since the update. Call me on +49 170 1234567 "
            "or mail maria.keller@example.com.\nMaria Keller",
    "resolution": "Maria Keller's phone restricted Fernbook's battery use. Set battery usage to Unrestricted and restarted "
                  "the phone; the widget was back in the widget picker. Refund of the add-on went to card 4111 1111 1111 1111, "
                  "IBAN DE89 3704 0044 0532 0130 00. Call back on +49 170 1234567.",
    "language": "en", "status": "solved", "created": "2026-11-18T09:00:00Z", "resolved": "2026-11-18T12:00:00Z",
    "customer": "org-9001",
}
PII = ["maria.keller@example.com", "Maria Keller", "Keller", "1234567", "4111 1111 1111 1111", "4111111111111111",
       "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"]


@pytest.fixture(scope="module")
def desk_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    root = tmp_path_factory.mktemp("desk")
    src = root / "src"
    src.mkdir()
    for rel in ARTICLES:
        (src / Path(rel).name).write_bytes((SAMPLE_DIR / "articles" / rel).read_bytes())
    tickets = (SAMPLE_DIR / "tickets" / "tickets.jsonl").read_text(encoding="utf-8")
    (src / "tickets.jsonl").write_text(tickets + json.dumps(PII_TICKET) + "\n", encoding="utf-8")
    # KB_TEST_DATABASE_URL runs this module on another database (PostgreSQL), emptied first
    url = os.environ.get("KB_TEST_DATABASE_URL")
    if url:
        from kb_service.storage.database import metadata, open_database

        metadata.drop_all(open_database(url))
    # a ten-year gap window: the sample's tickets must not age out of the test
    kb = KnowledgeBase(make_settings(root / "data", unhelpful_min_shown=3, unhelpful_min_votes=2, database_url=url,
                                     gap_window_days=3650))
    summary = kb.ingest_paths([src])
    assert not summary.errors, summary.errors
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def api(desk_kb: KnowledgeBase) -> Iterator[TestClient]:
    from kb_service.app import create_app

    with TestClient(create_app(desk_kb.settings, kb=desk_kb)) as c:
        yield c


def widget_cluster(api: TestClient) -> dict[str, Any]:
    r = api.get("/v1/clusters", params={"covered": "false", "limit": 500}, headers=auth("writer"))
    assert r.status_code == 200, r.text
    return next(c for c in r.json()["items"] if "T-1091" in {t["id"] for t in c["tickets"]})


def test_every_search_answer_and_suggestion_is_logged(api: TestClient, desk_kb: KnowledgeBase) -> None:
    before = desk_kb.search_log.count()
    a = api.post("/v1/answer", json={"question": "My Google Calendar shows every shift twice, write to ops@acme.example"},
                 headers=auth("widget")).json()
    s = api.post("/v1/search", json={"query": "Wie aktiviere ich die Zwei-Faktor-Authentifizierung?"}, headers=auth("agent")).json()
    g = api.post("/v1/suggest", json={"subject": "2FA codes rejected", "body": "Authenticator codes never work"},
                 headers=auth("agent")).json()
    assert desk_kb.search_log.count() == before + 3
    entry = desk_kb.search_log.get(a["log_id"])
    assert entry is not None and entry.endpoint == "answer" and entry.answered is a["answered"] is True
    assert entry.shown[0] == "google-calendar-sync" and entry.top_score and entry.top_score >= 0.83
    assert "ops@acme.example" not in entry.query and "[EMAIL]" in entry.query  # redacted before it is stored
    entry = desk_kb.search_log.get(s["log_id"])
    assert entry.endpoint == "search" and entry.language == "de" and entry.shown[0] == "two-factor-authentication"
    assert desk_kb.search_log.get(g["log_id"]).endpoint == "suggest"
    # a search of tickets only is logged, but says nothing about the articles: never a gap
    t = api.post("/v1/search", json={"query": "payroll export broken", "filters": {"source": "ticket"}}, headers=auth("agent")).json()
    entry = desk_kb.search_log.get(t["log_id"])
    assert entry is not None and entry.articles_searched is False and entry.shown == []
    summary = desk_kb.desk.gap_report().summary
    searched = [e for e in desk_kb.search_log.entries() if e.articles_searched]
    assert summary["logged_questions"] == len(searched) and summary["dead_ends"] == sum(not e.answered for e in searched)


def test_feedback_on_answers_and_articles(api: TestClient) -> None:
    a = api.post("/v1/answer", json={"question": "How do I turn on two-factor authentication?"}, headers=auth("widget")).json()
    r = api.post("/v1/feedback", json={"log_id": a["log_id"], "helpful": True}, headers=auth("widget"))
    assert r.status_code == 201 and r.json()["helpful"] is True
    r = api.post("/v1/feedback", json={"article_id": "two-factor-authentication", "helpful": False,
                                       "comment": "no word about hardware keys, mail me at x@y.example"}, headers=auth("agent"))
    assert r.status_code == 201
    # clear errors
    assert api.post("/v1/feedback", json={"helpful": True}, headers=auth("widget")).status_code == 422
    assert api.post("/v1/feedback", json={"log_id": 10**9, "helpful": True}, headers=auth("widget")).status_code == 404
    r = api.post("/v1/feedback", json={"log_id": a["log_id"], "article_id": "slack-integration", "helpful": False},
                 headers=auth("widget"))
    assert r.status_code == 422 and "not shown" in r.json()["message"]
    assert api.post("/v1/feedback", json={"article_id": "no-such-article", "helpful": True}, headers=auth("agent")).status_code == 404
    # a widget (a public key) rates only the answer it showed, once: a second rating replaces the first
    r = api.post("/v1/feedback", json={"article_id": "two-factor-authentication", "helpful": False}, headers=auth("widget"))
    assert r.status_code == 422 and "log_id" in r.json()["message"]
    again = api.post("/v1/feedback", json={"log_id": a["log_id"], "helpful": False}, headers=auth("widget")).json()
    assert again["id"] == api.post("/v1/feedback", json={"log_id": a["log_id"], "helpful": False}, headers=auth("widget")).json()["id"]
    assert api.post("/v1/feedback", json={"log_id": 2**70, "helpful": True}, headers=auth("widget")).status_code == 422
    # and never another key's answer: a public key cannot vote on logged requests by counting their ids
    other = api.post("/v1/answer", json={"question": "How do I turn on two-factor authentication?"}, headers=auth("agent")).json()
    assert api.post("/v1/feedback", json={"log_id": other["log_id"], "helpful": False}, headers=auth("widget")).status_code == 404
    assert api.post("/v1/feedback", json={"log_id": other["log_id"], "helpful": True}, headers=auth("agent")).status_code == 201
    assert api.post("/v1/feedback", json={"article_id": "Bad Id", "helpful": True}, headers=auth("widget")).status_code == 422


def test_much_shown_unhelpful_article_is_in_the_freshness_report(api: TestClient) -> None:
    ids = []
    for q in ("What happens when I use Classic Timesheets on mobile?", "Clock tab missing with Classic Timesheets",
              "Can Classic Timesheets users clock in from the app?"):
        a = api.post("/v1/answer", json={"question": q}, headers=auth("widget")).json()
        assert a["citations"][0]["article_id"] == "clock-in-mobile"
        ids.append(a["log_id"])
    for log_id in ids:
        assert api.post("/v1/feedback", json={"log_id": log_id, "helpful": False}, headers=auth("widget")).status_code == 201
    report = api.get("/v1/reports/freshness", headers=auth("writer")).json()
    f = next(x for x in report["findings"] if x["kind"] == "unhelpful" and x["article_id"] == "clock-in-mobile")
    assert f["evidence"]["unhelpful"] >= 3 and f["evidence"]["shown"] >= 3
    assert "did not help" in f["reason"]


def test_draft_from_a_cluster_cites_its_tickets_and_holds_no_personal_data(api: TestClient) -> None:
    cluster = widget_cluster(api)
    ids = {t["id"] for t in cluster["tickets"]}
    assert "T-9001" in ids  # the planted ticket is part of the widget cluster
    r = api.post("/v1/drafts", json={"cluster_id": cluster["id"], "language": "en"}, headers=auth("writer"))
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["status"] == "draft" and d["engine"] == "extractive" and d["revision"] == 1 and d["language"] == "en"
    steps = d["content"]["steps"]
    assert steps and all(s["sources"] and set(s["sources"]) <= ids for s in steps)
    resolutions = " ".join(s["resolution"] or "" for s in d["sources"]).lower()
    assert any("unrestricted" in s["text"].lower() for s in steps) and "unrestricted" in resolutions
    assert {s["id"] for s in d["sources"]} == set(d["ticket_ids"]) and any(s["cited_by"] for s in d["sources"])
    assert not re.search(r"\b(T-\d{4}|C-\d{4})\b", d["body"])  # publishable: no ticket ids
    assert re.search(r"\[(?:T|C)-\d{4}", d["cited_body"])  # the review view cites them
    everything = json.dumps(d, ensure_ascii=False)
    for p in PII:
        assert p not in everything, p
    assert d["history"][0]["action"] == "created" and d["history"][0]["actor"].startswith("writer:")


def test_draft_from_ticket_ids_and_bad_requests(api: TestClient, desk_kb: KnowledgeBase) -> None:
    before = desk_kb.drafts.list()[1]
    r = api.post("/v1/drafts", json={"ticket_ids": ["T-1029", "T-1052"]}, headers=auth("writer"))
    assert r.status_code == 201 and set(r.json()["ticket_ids"]) == {"T-1029", "T-1052"}
    bad = [
        ({"ticket_ids": ["T-1029", "NOPE-1"]}, 404, "NOPE-1"),
        ({"cluster_id": "c-0000000000"}, 404, "cluster"),
        ({"cluster_id": "c-0000000000", "ticket_ids": ["T-1029"]}, 422, "either"),
        ({}, 422, "either"),
        ({"ticket_ids": []}, 422, "ticket_ids"),
        ({"ticket_ids": ["T-1029"], "language": "xx-nope"}, 422, "language"),
        ({"ticket_ids": ["T-1029"], "engine": "claude"}, 422, "KB_ANTHROPIC_API_KEY"),
    ]
    for body, code, words in bad:
        r = api.post("/v1/drafts", json=body, headers=auth("writer"))
        assert r.status_code == code and words in r.text, (body, r.status_code, r.text)
        if body.get("engine"):
            assert r.json()["field"] == "engine"  # the error names the field at fault
    assert desk_kb.drafts.list()[1] == before + 1  # nothing stored by the bad ones


def test_edit_then_approve_publishes_and_indexes_at_once(api: TestClient) -> None:
    cluster = widget_cluster(api)
    d = api.post("/v1/drafts", json={"cluster_id": cluster["id"], "language": "en"}, headers=auth("writer")).json()
    body = d["body"] + "\n\n## Still missing?\nCheck that the Fernbook app is version 6.2 or later.\n"
    r = api.patch(f"/v1/drafts/{d['id']}", json={"title": "Android shift widget missing after an update",
                                                 "body": body, "revision": 1}, headers=auth("writer"))
    assert r.status_code == 200 and r.json()["revision"] == 2
    edit = r.json()["history"][0]
    assert edit["action"] == "edited" and edit["details"]["title"]["after"] == "Android shift widget missing after an update"
    # a stale revision is refused
    assert api.patch(f"/v1/drafts/{d['id']}", json={"title": "x", "revision": 1}, headers=auth("writer")).status_code == 409
    r = api.post(f"/v1/drafts/{d['id']}/approve", json={"article_id": "android-widget-missing", "tags": ["android"]},
                 headers=auth("writer"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["draft"]["status"] == "approved" and out["draft"]["article_id"] == "android-widget-missing"
    assert out["version"] == 1 and out["article"]["title"] == "Android shift widget missing after an update"
    hits = api.post("/v1/search", json={"query": "widget disappeared from my Android home screen", "top_k": 3,
                                        "filters": {"source": "article"}}, headers=auth("agent")).json()["hits"]
    assert hits[0]["id"] == "android-widget-missing"
    versions = api.get("/v1/articles/android-widget-missing/versions", headers=auth("agent")).json()
    assert [(v["version"], v["action"]) for v in versions] == [(1, "approved")]
    # approving twice, editing or rejecting an approved draft: 409, and nothing changes
    for method, path, body in (("post", "approve", {}), ("post", "reject", {"reason": "changed my mind"})):
        r = getattr(api, method)(f"/v1/drafts/{d['id']}/{path}", json=body, headers=auth("writer"))
        assert r.status_code == 409 and "approved" in r.json()["message"]
    assert api.patch(f"/v1/drafts/{d['id']}", json={"title": "y"}, headers=auth("writer")).status_code == 409
    audit = api.get("/v1/audit", params={"object_type": "draft", "object_id": d["id"]}, headers=auth("writer")).json()
    assert [e["action"] for e in audit] == ["approved", "edited", "created"]


def test_approval_does_not_overwrite_an_article_unless_asked(api: TestClient, desk_kb: KnowledgeBase) -> None:
    d = api.post("/v1/drafts", json={"ticket_ids": ["T-1034", "T-1057"]}, headers=auth("writer")).json()
    before = desk_kb.store.get("article:google-calendar-sync")
    r = api.post(f"/v1/drafts/{d['id']}/approve", json={"article_id": "google-calendar-sync"}, headers=auth("writer"))
    assert r.status_code == 409 and "replace" in r.json()["message"]
    r = api.post(f"/v1/drafts/{d['id']}/approve", json={"replace": True}, headers=auth("writer"))
    assert r.status_code == 422 and "article_id" in r.json()["message"] and r.json()["field"] == "article_id"
    after = desk_kb.store.get("article:google-calendar-sync")
    assert after is not None and before is not None and after.content_hash == before.content_hash
    assert api.get(f"/v1/drafts/{d['id']}", headers=auth("writer")).json()["status"] == "draft"
    # with replace, the draft becomes the article's new version and the ingested original stays restorable
    r = api.post(f"/v1/drafts/{d['id']}/approve", json={"article_id": "google-calendar-sync", "replace": True},
                 headers=auth("writer"))
    assert r.status_code == 200 and r.json()["version"] == 2
    versions = api.get("/v1/articles/google-calendar-sync/versions", headers=auth("agent")).json()
    assert [(v["version"], v["action"]) for v in versions] == [(1, "ingested"), (2, "approved")]
    assert api.post("/v1/articles/google-calendar-sync/versions/1/restore", headers=auth("writer")).status_code == 200
    restored = desk_kb.store.get("article:google-calendar-sync").doc
    assert restored.body == before.doc.body and restored.title == before.doc.title  # dated today: a new write


def test_a_title_without_latin_letters_gets_an_article_id_of_its_own(api: TestClient, desk_kb: KnowledgeBase) -> None:
    ids = []
    for _ in range(2):
        d = api.post("/v1/drafts", json={"ticket_ids": ["T-1039", "T-1080"], "language": "ja"}, headers=auth("writer")).json()
        api.patch(f"/v1/drafts/{d['id']}", json={"title": "夜勤シフトの作成が失敗する"}, headers=auth("writer"))
        r = api.post(f"/v1/drafts/{d['id']}/approve", json={}, headers=auth("writer"))
        assert r.status_code == 200, r.text
        ids.append(r.json()["article"]["id"])
    assert ids[0] != ids[1] and all(i.startswith("article-") for i in ids)


def test_rejected_draft_stays_out_and_cannot_be_approved(api: TestClient, desk_kb: KnowledgeBase) -> None:
    d = api.post("/v1/drafts", json={"ticket_ids": ["T-1029", "T-1052"], "language": "en"}, headers=auth("writer")).json()
    assert api.post(f"/v1/drafts/{d['id']}/reject", json={"reason": ""}, headers=auth("writer")).status_code == 422
    r = api.post(f"/v1/drafts/{d['id']}/reject", json={"reason": "Fixed in release 26.7; no article needed"},
                 headers=auth("writer"))
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["reason"].startswith("Fixed")
    r = api.post(f"/v1/drafts/{d['id']}/approve", json={}, headers=auth("writer"))
    assert r.status_code == 409 and "rejected" in r.json()["message"]
    assert desk_kb.store.get("article:" + slugify(d["title"])) is None
    r = api.patch(f"/v1/drafts/{d['id']}", json={"title": d["title"]}, headers=auth("writer"))  # even a no-op edit
    assert r.status_code == 409
    hits = api.post("/v1/search", json={"query": d["title"], "filters": {"source": "article"}}, headers=auth("agent")).json()["hits"]
    assert all(h["title"] != d["title"] for h in hits)
    listed = api.get("/v1/drafts", params={"status": "rejected"}, headers=auth("writer")).json()
    assert d["id"] in {x["id"] for x in listed["items"]} and all(x["status"] == "rejected" for x in listed["items"])
    assert api.get("/v1/drafts", params={"status": "bogus"}, headers=auth("writer")).status_code == 422
    assert api.get("/v1/drafts/d-000000000000", headers=auth("writer")).status_code == 404
    assert api.get("/v1/drafts/not-a-draft", headers=auth("writer")).status_code == 422


def test_article_versions_and_restore(api: TestClient) -> None:
    h = auth("writer")
    body1 = {"title": "Kiosk mode", "body": "## Steps\n1. Open Settings > Devices.\n2. Click Kiosk mode.\n", "language": "en"}
    body2 = {**body1, "body": "## Steps\n1. Open Settings > Locations > Kiosk.\n2. Switch on Kiosk mode.\n"}
    assert api.put("/v1/articles/kiosk-mode", json=body1, headers=h).status_code == 201
    assert api.put("/v1/articles/kiosk-mode", json=body2, headers=h).status_code == 200
    assert api.put("/v1/articles/kiosk-mode", json=body2, headers=h).status_code == 200  # unchanged: no new version
    versions = api.get("/v1/articles/kiosk-mode/versions", headers=h).json()
    assert [(v["version"], v["action"]) for v in versions] == [(1, "created"), (2, "updated")]
    v1 = api.get("/v1/articles/kiosk-mode/versions/1", headers=h).json()
    assert "Settings > Devices" in v1["body"]
    r = api.post("/v1/articles/kiosk-mode/versions/1/restore", headers=h)
    assert r.status_code == 200 and "Settings > Devices" in r.json()["body"]
    assert api.delete("/v1/articles/kiosk-mode", headers=h).status_code == 204
    versions = api.get("/v1/articles/kiosk-mode/versions", headers=h).json()
    assert [(v["action"], v["deleted"]) for v in versions[2:]] == [("restored", False), ("deleted", True)]
    assert api.post("/v1/articles/kiosk-mode/versions/4/restore", headers=h).status_code == 422  # a deletion
    assert api.post("/v1/articles/kiosk-mode/versions/2/restore", headers=h).status_code == 200
    assert "Locations > Kiosk" in api.get("/v1/articles/kiosk-mode", headers=h).json()["body"]
    assert api.get("/v1/articles/kiosk-mode/versions/99", headers=h).status_code == 404
    assert api.post("/v1/articles/kiosk-mode/versions/99/restore", headers=h).status_code == 404
    assert api.get("/v1/articles/no-such/versions", headers=h).status_code == 404
    trail = api.get("/v1/audit", params={"object_type": "article", "object_id": "kiosk-mode"}, headers=h).json()
    assert [e["action"] for e in trail][:2] == ["restored", "deleted"] and all(e["actor"] for e in trail)


def test_an_ingested_article_keeps_its_original_as_version_one(api: TestClient) -> None:
    h = auth("writer")
    original = api.get("/v1/articles/two-factor-authentication", headers=h).json()
    r = api.put("/v1/articles/two-factor-authentication",
                json={"title": original["title"], "body": "## Turn on 2FA\n1. Open Settings > Account > Security.\n"}, headers=h)
    assert r.status_code == 200
    versions = api.get("/v1/articles/two-factor-authentication/versions", headers=h).json()
    assert [(v["version"], v["action"]) for v in versions] == [(1, "ingested"), (2, "updated")]
    api.post("/v1/articles/two-factor-authentication/versions/1/restore", headers=h)
    assert api.get("/v1/articles/two-factor-authentication", headers=h).json()["body"] == original["body"]


def test_marking_reviewed_resets_the_clock(api: TestClient) -> None:
    h = auth("writer")
    stale = {f["article_id"] for f in api.get("/v1/reports/freshness", headers=h).json()["findings"] if f["kind"] == "stale"}
    assert "browser-requirements" in stale
    r = api.post("/v1/articles/browser-requirements/reviewed", json={"note": "checked against release 26.11"}, headers=h)
    assert r.status_code == 200 and r.json()["actor"].startswith("writer:")
    report = api.get("/v1/reports/freshness", headers=h).json()
    assert "browser-requirements" not in {f["article_id"] for f in report["findings"] if f["kind"] == "stale"}
    assert api.post("/v1/articles/no-such-article/reviewed", headers=h).status_code == 404


def test_reports_as_csv_and_json(api: TestClient) -> None:
    h = auth("writer")
    gaps = api.get("/v1/reports/gaps", headers=h)
    assert gaps.status_code == 200 and gaps.json()["items"]
    r = api.get("/v1/reports/gaps", params={"format": "csv"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("rank,kind,id,volume") and len(r.text.splitlines()) == len(gaps.json()["items"]) + 1
    r = api.get("/v1/reports/freshness", params={"format": "csv"}, headers=h)
    assert r.status_code == 200 and r.text.splitlines()[0].startswith("kind,article_id,title")
    assert "clock-in-mobile" in r.text
    assert api.get("/v1/reports/gaps", params={"format": "xml"}, headers=h).status_code == 422


def test_scopes_of_the_writers_endpoints(api: TestClient) -> None:
    for scope, code in (("widget", 403), ("agent", 403), ("writer", 200), ("admin", 200)):
        assert api.get("/v1/reports/gaps", headers=auth(scope)).status_code == code, scope
        assert api.get("/v1/drafts", headers=auth(scope)).status_code == code, scope
    assert api.post("/v1/drafts", json={"ticket_ids": ["T-1029"]}, headers=auth("agent")).status_code == 403
    assert api.post("/v1/articles/two-factor-authentication/reviewed", headers=auth("agent")).status_code == 403
    assert api.get("/v1/articles/two-factor-authentication/versions", headers=auth("agent")).status_code == 200
    assert api.get("/v1/reports/freshness").status_code == 401
    writes = [("patch", "/v1/drafts/d-000000000000", {"title": "x"}), ("post", "/v1/drafts/d-000000000000/approve", {}),
              ("post", "/v1/drafts/d-000000000000/reject", {"reason": "nope"}), ("get", "/v1/audit", None),
              ("get", "/v1/clusters", None), ("get", "/v1/reports/freshness", None),
              ("put", "/v1/articles/x-1", {"title": "t", "body": "b"}), ("delete", "/v1/articles/x-1", None),
              ("post", "/v1/articles/x-1/versions/1/restore", None)]
    for scope in ("widget", "agent"):
        for method, path, body in writes:
            kwargs = {"json": body} if body is not None else {}
            assert getattr(api, method)(path, headers=auth(scope), **kwargs).status_code == 403, (scope, method, path)
