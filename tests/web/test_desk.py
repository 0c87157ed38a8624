"""The writers' review desk: sign-in with a writer key (session cookie, no key in any page), drafts by
status, the gap and freshness lists, a draft beside its source tickets, edit / approve / reject, and
marking an article reviewed, over HTTP and in headless Chromium against the running service."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Iterator

import httpx
import pytest

from tests.conftest import KEYS
from tests.web.conftest import LiveService, Visit, sign_in
from tests.web.test_widget import ask, open_widget


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


@pytest.fixture
def writer(live: LiveService) -> Iterator[httpx.Client]:
    """A browser-like HTTP client signed in with the writer key."""
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=120) as c:
        r = c.post("/signin", data={"key": KEYS["writer"], "next": "/desk"})
        assert r.status_code == 303 and r.headers["location"] == "/desk"
        yield c


def _new_draft(live: LiveService, title: str) -> Any:
    """A draft from the smallest ticket cluster, made the way POST /v1/drafts makes them."""
    cluster = live.kb.desk.clusters.compute().clusters[-1]
    draft = live.kb.desk.create_draft("writer:test", cluster_id=cluster.id)
    return live.kb.desk.edit_draft(draft.id, "writer:test", title, None, None, None)


# --- sign-in -----------------------------------------------------------------------

def test_pages_need_sign_in_and_a_writer_key(live: LiveService) -> None:
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as c:
        r = c.get("/desk?status=approved")
        assert r.status_code == 303 and r.headers["location"] == "/signin?next=/desk%3Fstatus%3Dapproved"
        assert c.get("/desk/drafts/d-000000000000").status_code == 303
        for key, status in ((KEYS["agent"], 403), (KEYS["widget"], 403), ("not-a-key-at-all", 401), ("", 401)):
            r = c.post("/signin", data={"key": key, "next": "/desk"})
            assert r.status_code == status, key
            assert "kb_session" not in r.headers.get("set-cookie", "")
        # a sign-in posted from another site is refused
        r = c.post("/signin", data={"key": KEYS["writer"]}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "set-cookie" not in r.headers
        # after sign-in, only a path of this site: never another host
        for target in ("//evil.example/x", "/\\evil.example", "https://evil.example/", "/\t/evil.example", "javascript:alert(1)"):
            r = c.post("/signin", data={"key": KEYS["writer"], "next": target})
            assert r.status_code == 303 and r.headers["location"] == "/desk", target


def test_the_session_cookie_is_httponly_samesite_and_no_page_holds_the_key(writer: httpx.Client, live: LiveService) -> None:
    cookie = next(c for c in writer.cookies.jar if c.name == "kb_session")
    assert len(cookie.value) >= 40 and cookie.value not in KEYS.values()
    with httpx.Client(base_url=live.url, follow_redirects=False) as c:
        raw = c.post("/signin", data={"key": KEYS["writer"], "next": "/desk"}).headers["set-cookie"].lower()
    assert "httponly" in raw and "samesite=lax" in raw and "path=/" in raw and "secure" not in raw  # plain http here
    assert "max-age" not in raw and "expires" not in raw  # the server ends the session, since its last use
    page = writer.get("/desk")
    assert page.status_code == 200
    assert KEYS["writer"] not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # only the hash of the cookie is stored
    from sqlalchemy import select

    from kb_service.storage.database import web_sessions

    with live.kb.database.connect() as conn:
        stored = [r.token_hash for r in conn.execute(select(web_sessions))]
    assert hashlib.sha256(cookie.value.encode()).hexdigest() in stored and cookie.value not in stored


def test_sign_out_ends_the_session(live: LiveService) -> None:
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as c:
        c.post("/signin", data={"key": KEYS["writer"], "next": "/desk"})
        first = c.cookies["kb_session"]
        c.post("/signin", data={"key": KEYS["writer"], "next": "/desk"})  # signing in again replaces the session
        token = c.cookies["kb_session"]
        assert token != first
        with httpx.Client(base_url=live.url, follow_redirects=False, cookies={"kb_session": first}) as old:
            assert old.get("/desk").status_code == 303
        page = c.get("/desk")
        assert page.status_code == 200
        # another site cannot sign the writer out: without the form's token nothing ends, no cookie is cleared
        for data, headers in (({}, {}), ({"csrf": _csrf(page.text)}, {"Origin": "https://evil.example"})):
            r = c.post("/signout", data=data, headers=headers)
            assert r.status_code == 403 and "set-cookie" not in r.headers
        assert c.get("/desk").status_code == 200
        assert c.post("/signout", data={"csrf": _csrf(page.text)}).status_code == 303
    with httpx.Client(base_url=live.url, follow_redirects=False, cookies={"kb_session": token}) as replay:
        assert replay.get("/desk").status_code == 303  # the old cookie is worth nothing


def test_revoking_the_key_ends_its_sessions(live: LiveService) -> None:
    admin = {"X-API-Key": KEYS["admin"]}
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as c:
        made = c.post("/v1/keys", json={"scope": "writer", "name": "desk test"}, headers=admin).json()
        assert c.post("/signin", data={"key": made["key"], "next": "/desk"}).status_code == 303
        assert c.get("/desk").status_code == 200
        assert c.delete(f"/v1/keys/{made['id']}", headers=admin).status_code in (200, 204)
        r = c.get("/desk")
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")


# --- forms -------------------------------------------------------------------------

def test_every_page_route_needs_sign_in_with_a_permission(live: LiveService) -> None:
    """Like the API's route walk: each page but the public ones declares `signed_in(<permission>)`."""
    from kb_service.api.deps import endpoints, permission_of

    public = {"/signin", "/signout", "/widget.js", "/demo", "/demo/contact"}
    pages = [r for r in endpoints(live.app.routes) if getattr(r, "include_in_schema", True) is False]
    assert {"/desk", "/desk/drafts/{draft_id}", "/reports/gaps", "/reports/eval.csv"} <= {r.path for r in pages}
    for route in pages:
        if route.path not in public:
            assert permission_of(route) in ("drafts", "reports"), route.path


@pytest.mark.parametrize("action", ["edit", "approve", "reject", "create", "reviewed"])
def test_every_form_needs_the_session_token_and_its_origin(writer: httpx.Client, live: LiveService, action: str) -> None:
    draft = _new_draft(live, f"Token check {action}")
    token = _csrf(writer.get(f"/desk/drafts/{draft.id}").text)
    cluster = live.kb.desk.clusters.compute().clusters[0].id
    path, data = {
        "edit": (f"/desk/drafts/{draft.id}/edit", {"title": "Forged title"}),
        "approve": (f"/desk/drafts/{draft.id}/approve", {"article_id": "forged-article"}),
        "reject": (f"/desk/drafts/{draft.id}/reject", {"reason": "forged reason"}),
        "create": ("/desk/drafts", {"cluster_id": cluster}),
        "reviewed": ("/desk/articles/sso-setup/reviewed", {"note": "forged"}),
    }[action]
    drafts_before = live.kb.drafts.list(None, 1, 0)[1]
    reviews_before = live.kb.history.last_reviews().get("sso-setup")
    for extra, headers in (({}, {}), ({"csrf": "forged"}, {}), ({"csrf": token}, {"Origin": "https://evil.example"})):
        r = writer.post(path, data={**data, **extra}, headers=headers)
        assert r.status_code == 403, (extra, headers)
    after = live.kb.drafts.get(draft.id)
    assert (after.status, after.title, after.revision) == ("draft", draft.title, draft.revision)
    assert live.kb.store.get("article:forged-article") is None
    assert live.kb.drafts.list(None, 1, 0)[1] == drafts_before
    assert live.kb.history.last_reviews().get("sso-setup") == reviews_before


def test_a_form_posted_after_the_session_ended_returns_to_its_page(live: LiveService) -> None:
    draft = _new_draft(live, "Expired session draft")
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as c:
        r = c.post(f"/desk/drafts/{draft.id}/approve", data={"csrf": "x"})
        assert r.status_code == 303 and r.headers["location"] == f"/signin?next=/desk/drafts/{draft.id}"
        r = c.post("/desk/articles/sso-setup/reviewed", data={"csrf": "x"})
        assert r.headers["location"] == "/signin?next=/desk"
    assert live.kb.drafts.get(draft.id).status == "draft"


def test_forms_need_the_session_token_and_change_nothing_without_it(writer: httpx.Client, live: LiveService) -> None:
    draft = _new_draft(live, "Token check draft")
    page = writer.get(f"/desk/drafts/{draft.id}")
    assert page.status_code == 200
    token = _csrf(page.text)
    for data, headers in (({"reason": "not needed"}, {}),
                          ({"reason": "not needed", "csrf": "forged"}, {}),
                          ({"reason": "not needed", "csrf": token}, {"Origin": "https://evil.example"})):
        r = writer.post(f"/desk/drafts/{draft.id}/reject", data=data, headers=headers)
        assert r.status_code == 403, data
        assert "expired or did not come from the desk" in r.text
    assert live.kb.drafts.get(draft.id).status == "draft"
    # with it, the rejection is stored with its reason and shown
    r = writer.post(f"/desk/drafts/{draft.id}/reject", data={"reason": "duplicates an article", "csrf": token})
    assert r.status_code == 303 and r.headers["location"] == f"/desk/drafts/{draft.id}?notice=rejected"
    after = live.kb.drafts.get(draft.id)
    assert after.status == "rejected" and after.reason == "duplicates an article"
    shown = writer.get(r.headers["location"]).text
    assert "Rejected: duplicates an article" in shown and "Approve and publish" not in shown
    assert draft.id in writer.get("/desk?status=rejected").text


def test_bad_form_input_is_a_4xx_page_and_stores_nothing(writer: httpx.Client, live: LiveService) -> None:
    draft = _new_draft(live, "Bad input draft")
    token = _csrf(writer.get(f"/desk/drafts/{draft.id}").text)
    r = writer.post(f"/desk/drafts/{draft.id}/reject", data={"reason": "x", "csrf": token})
    assert r.status_code == 422 and "reason" in r.text
    r = writer.post(f"/desk/drafts/{draft.id}/approve", data={"article_id": "Not A Slug!", "csrf": token})
    assert r.status_code == 422 and "article_id" in r.text
    # the field at fault is marked for screen readers, and keeps what was typed
    assert 'id="article_id" name="article_id" aria-invalid="true" aria-describedby="page-error"' in r.text
    assert 'value="Not A Slug!"' in r.text and 'id="page-error"' in r.text
    r = writer.post(f"/desk/drafts/{draft.id}/edit", data={"title": "Stale edit", "body": "My long rewrite", "revision": "1",
                                                          "csrf": token})
    assert r.status_code == 409 and "changed since you read it" in r.text
    assert 'value="Stale edit"' in r.text and ">My long rewrite</textarea>" in r.text  # what was typed is not lost
    assert writer.get("/desk/drafts/d-000000000000").status_code == 404
    bad = writer.get("/desk/drafts/not-an-id")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html") and "draft_id" in bad.text
    assert writer.get("/desk?status=unknown").status_code == 422
    r = writer.post("/desk/articles/no-such-article/reviewed", data={"csrf": token})
    assert r.status_code == 404
    r = writer.get("/desk?notice=<b>you+have+been+hacked</b>")
    assert r.status_code == 422  # notices are codes, so a link cannot put words in the page
    after = live.kb.drafts.get(draft.id)
    assert (after.status, after.title, after.revision) == ("draft", "Bad input draft", draft.revision)


def test_markup_in_a_draft_is_shown_as_text(writer: httpx.Client, live: LiveService) -> None:
    draft = _new_draft(live, "Markup check draft")
    token = _csrf(writer.get(f"/desk/drafts/{draft.id}").text)
    body = "# Steps\n\n1. Open <script>window.__kb_pwned=1</script> Settings <img src=x onerror=alert(1)>\n"
    r = writer.post(f"/desk/drafts/{draft.id}/edit", data={"body": body, "revision": str(draft.revision), "csrf": token})
    assert r.status_code == 303
    html = writer.get(f"/desk/drafts/{draft.id}").text
    assert "<script>window" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__kb_pwned=1&lt;/script&gt;" in html


# --- in the browser ----------------------------------------------------------------

def test_a_writer_drafts_from_a_gap_edits_and_approves_it_and_it_is_searchable(visit: Visit, live: LiveService) -> None:
    page = visit.page
    sign_in(visit)
    assert page.get_by_role("heading", name="Review desk").is_visible()
    assert page.get_by_role("heading", name=re.compile("^Gaps")).is_visible()
    assert page.get_by_role("heading", name=re.compile("^Freshness")).is_visible()
    visit.shot("desk")
    page.get_by_role("button", name="Draft an article").first.click()
    page.wait_for_url(re.compile(r"/desk/drafts/d-[0-9a-f]{12}\?notice=created"))
    assert page.get_by_role("status").inner_text() == "Draft made from the cluster's tickets."
    draft_id = re.search(r"d-[0-9a-f]{12}", page.url).group(0)
    draft = live.kb.drafts.get(draft_id)
    # beside the draft, its redacted source tickets; each step's citation leads to one of them
    sources = page.locator("article.ticket")
    assert sources.count() == len([t for t in draft.ticket_ids if live.kb.store.get("ticket:" + t)]) >= 1
    first_cite = page.locator(".steps a.cite").first
    target = first_cite.get_attribute("href")
    assert target and target.startswith("#ticket-") and page.locator(target).count() == 1
    visit.shot("desk-draft")
    # edit the title, then approve
    title = page.get_by_label("Title", exact=True)
    original = title.input_value()
    new_title = original.rstrip("?. ") + " (desk edit)"
    title.fill(new_title)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"notice=saved"))
    assert page.get_by_role("heading", level=1).inner_text() == new_title
    assert live.kb.drafts.get(draft_id).title == new_title
    page.get_by_label(re.compile("^Article id")).fill("desk-approved-article")
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url(re.compile(r"notice=approved"))
    assert "published as article desk-approved-article" in page.get_by_role("status").inner_text()
    found = page.locator(".published").inner_text()
    assert "finds it now, at rank" in found, found
    visit.shot("desk-draft-approved")
    assert live.kb.store.get("article:desk-approved-article") is not None
    # the desk's search finds it as customers would
    page.goto("/desk/search?q=" + original)
    assert page.get_by_text("desk-approved-article").first.is_visible()
    # and the approved list shows it
    page.goto("/desk?status=approved")
    assert page.get_by_role("link", name=new_title).is_visible()
    # a customer asking the widget on the demo site now gets it
    page.goto("/demo")
    dialog = open_widget(page)
    answer = ask(page, dialog, original)
    assert answer["answered"], answer
    assert "desk-approved-article" in [c["article_id"] for c in answer["citations"]], answer["citations"]
    assert dialog.get_by_text(new_title).is_visible()
    visit.shot("desk-approved-found-by-widget")
    visit.no_outside_requests()
    visit.no_script_errors()


def test_marking_an_article_reviewed_from_the_freshness_list(visit: Visit, live: LiveService) -> None:
    page = visit.page
    sign_in(visit)
    form = page.locator("#freshness form.review-form").first
    action = form.get_attribute("action")
    article_id = re.search(r"/desk/articles/([^/]+)/reviewed", action or "").group(1)
    before = live.kb.history.last_reviews().get(article_id)
    form.get_by_role("textbox").fill("checked against release 26.11")
    form.get_by_role("button").click()
    page.wait_for_url(re.compile(r"notice=reviewed"))
    assert f"Article {article_id} marked reviewed" in page.get_by_role("status").inner_text()
    after = live.kb.history.last_reviews().get(article_id)
    assert after is not None and after != before
    visit.shot("desk-reviewed")
    visit.no_outside_requests()
