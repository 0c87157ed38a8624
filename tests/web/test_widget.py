"""The customer help widget (/widget.js) and its demo site (/demo), in headless Chromium against the
real service over the sample knowledge base.

What a customer does: ask in German and get the English article's link; ask something off-topic and
be offered a person; rate an answer; use it all with the keyboard and on a phone. What must never
happen: markup from an article or from the service's response runs or renders; the widget calls
anything but /v1/answer and /v1/feedback; another site uses a key that does not list it.
Screenshots of every state go to test-artifacts/screenshots/widget-*.png.
"""

from __future__ import annotations

import json
import re
import stat
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Locator, Page, Route, expect
from sqlalchemy import select

from kb_service.api.keys import KeyRing
from kb_service.knowledge import SAMPLE_DIR
from kb_service.storage.database import feedback
from kb_service.web.pages import STATIC_DIR
from tests.conftest import KEYS, make_settings
from tests.web.conftest import ARTIFACTS, LiveService, Visit, _free_port, open_visit

ANSWER_TIMEOUT = 60_000  # answers take seconds on a loaded 2-core machine
WIDGET_PATHS = {"/widget.js", "/static/widget.css", "/v1/answer", "/v1/feedback"}


# ------------------------------------------------------------------------------------ helpers
def launcher(page: Page, name: str = "Fernbook help") -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def open_widget(page: Page, name: str = "Fernbook help") -> Locator:
    launcher(page, name).click()
    dialog = page.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    return dialog


def ask(page: Page, dialog: Locator, question: str, label: str = "Your question") -> dict[str, Any]:
    """Type the question, press Enter, and return the service's JSON answer as the widget got it."""
    box = dialog.get_by_label(label)
    box.fill(question)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/v1/answer", timeout=ANSWER_TIMEOUT) as info:
        box.press("Enter")
    assert info.value.status == 200, info.value.text()
    data: dict[str, Any] = info.value.json()
    return data


def has_focus(locator: Locator) -> bool:
    """Focus inside the widget's shadow root: the host page sees only the host element as active."""
    return bool(locator.evaluate("el => el.getRootNode().activeElement === el"))


def tab_until(page: Page, target: Locator, limit: int = 40) -> int:
    """Press Tab until `target` has the focus; how many presses it took (fails after `limit`)."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if has_focus(target):
            return presses
    pytest.fail(f"Tab never reached {target}")


def panel_shot(visit: Visit, name: str, show: Locator | None = None) -> Path:
    """A screenshot of the viewport with the open panel (a full-page one would move the fixed panel),
    scrolled so that `show` is in sight."""
    if show is not None:
        show.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    visit.page.screenshot(path=str(path))
    return path


def canonical_url(sample_html: Path) -> str:
    m = re.search(r'<link rel="canonical" href="([^"]+)"', sample_html.read_text())
    assert m, sample_html
    return m.group(1)


def fulfil_json(route: Route, body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> None:
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body), headers=headers or {})


def answer_body(**overrides: Any) -> dict[str, Any]:
    """A /v1/answer response, as the service shapes it."""
    body: dict[str, Any] = {
        "answered": True, "answer": "An answer.", "confidence": 0.9, "handoff": False, "message": None,
        "citations": [], "question_language": "en", "answer_language": "en", "translated": False,
        "original_answer": None, "article_language": "en", "translation_engine": None, "compliance": None,
        "language_note": None, "log_id": 4242,
    }
    body.update(overrides)
    return body


def service_paths(requests: list[str], base: str) -> set[str]:
    return {urlsplit(u).path for u in requests if u.startswith(base + "/")}


# ------------------------------------------------------------------------------------ without a browser
@pytest.fixture
def pages_app(tmp_path: Path) -> Callable[..., TestClient]:
    """The app over a data directory of its own, without its lifespan (no knowledge base is opened:
    the pages and the key file need none)."""

    def make(**overrides: Any) -> TestClient:
        from kb_service.app import create_app

        return TestClient(create_app(make_settings(tmp_path / "data", **overrides)))

    return make


def test_widget_script_is_served_as_a_plain_script(pages_app: Callable[..., TestClient]) -> None:
    c = pages_app()
    r = c.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert r.headers["cache-control"] == "public, max-age=300"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.text == (STATIC_DIR / "widget.js").read_text()
    assert c.get("/static/widget.css").headers["content-type"].startswith("text/css")

    code = "\n".join(line for line in r.text.splitlines() if not line.lstrip().startswith(("*", "/*", "//")))
    # nothing that parses data as HTML or code
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute(\"style\""):
        assert sink not in code, sink
    # it reaches only the answer and feedback endpoints of the service it came from, and no other host
    assert set(re.findall(r"[\"'](v1/[a-z/-]+)[\"']", code)) == {"v1/answer", "v1/feedback"}
    assert not re.search(r"https?://", code)


def test_demo_key_is_made_once_kept_private_and_registered(pages_app: Callable[..., TestClient], tmp_path: Path) -> None:
    c = pages_app()
    path = tmp_path / "data" / "demo_widget_key"
    assert path == c.app.state.settings.demo_widget_key_path  # type: ignore[attr-defined]
    key = path.read_text().strip()
    assert key.startswith("kb_demo_widget_") and len(key) > 30
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ring: KeyRing = c.app.state.keys  # type: ignore[attr-defined]
    principal = ring.lookup(key)
    assert principal is not None and principal.scope == "widget"

    page = c.get("/demo")
    assert page.status_code == 200
    assert f'<script src="/widget.js" data-key="{key}" data-handoff-url="/demo/contact"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    # a strict CSP: no inline script or style anywhere in the demo pages
    contact = c.get("/demo/contact")
    assert contact.status_code == 200 and "This is a demo site" in contact.text
    for html in (page.text, contact.text):
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert "<style" not in html and not re.search(r"\sstyle=", html)

    assert pages_app().app.state.demo_widget_key == key  # type: ignore[attr-defined]  # kept across restarts

    # the key is public (it is in the page), so it works only from the service's own pages: not from
    # other sites, even when KB_WIDGET_ORIGINS lets widget keys be used anywhere, and not without an Origin
    open_ring: KeyRing = pages_app(widget_origins="*").app.state.keys  # type: ignore[attr-defined]
    for ring_ in (ring, open_ring):
        demo = ring_.lookup(key)
        assert demo is not None and demo.own_pages_only
        assert demo.origin_allowed("http://testserver", "http://testserver")
        assert not demo.origin_allowed("https://elsewhere.example", "http://testserver")
        assert not demo.origin_allowed(None, "http://testserver")
    r = c.post("/v1/answer", json={"question": "How do I reset my password?"}, headers={"X-API-Key": key})
    assert r.status_code == 403 and r.json()["code"] == "origin_not_allowed"
    # a bootstrap widget key keeps KB_WIDGET_ORIGINS
    listed = open_ring.lookup("widget-key-0001")
    assert listed is not None and not listed.own_pages_only and listed.origin_allowed("https://elsewhere.example", None)


def test_demo_page_off_means_no_page_and_no_key(pages_app: Callable[..., TestClient], tmp_path: Path) -> None:
    c = pages_app(demo_page=False)
    assert c.get("/demo").status_code == 404
    assert c.get("/demo/contact").status_code == 404
    assert not (tmp_path / "data" / "demo_widget_key").exists()
    assert c.get("/widget.js").status_code == 200  # other sites' widgets still load

    off = pages_app(web_pages=False)
    assert off.get("/widget.js").status_code == 404
    assert off.get("/demo").status_code == 404
    assert not (tmp_path / "data" / "demo_widget_key").exists()


def test_a_bad_key_file_is_replaced(pages_app: Callable[..., TestClient], tmp_path: Path) -> None:
    path = tmp_path / "data" / "demo_widget_key"
    path.parent.mkdir(parents=True)
    path.write_text("short\n")
    path.chmod(0o644)
    key = pages_app().app.state.demo_widget_key  # type: ignore[attr-defined]
    assert key != "short" and path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ------------------------------------------------------------------------------------ on the demo page
def test_german_question_gets_the_english_article_link(visit: Visit, live: LiveService) -> None:
    page = visit.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto("/demo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedules your team can actually follow")
    expect(launcher(page)).to_be_visible()
    visit.shot("widget-demo-home")

    dialog = open_widget(page)
    data = ask(page, dialog, "Wie setze ich mein Passwort zurück?")

    # the right article: the sample's English password-reset article, by its canonical URL
    article = live.kb.store.get("article:reset-password").doc
    url = canonical_url(SAMPLE_DIR / "articles" / "html" / "reset-password.html")
    assert article.language == "en" and article.url == url == "https://help.fernbook.example/articles/reset-password"
    assert data["answered"] and data["question_language"] == "de"
    assert data["citations"][0]["article_id"] == "reset-password"

    expect(dialog.locator(".status")).to_have_text("Here is an answer.", timeout=ANSWER_TIMEOUT)
    expect(dialog.locator(".text")).to_have_text(data["answer"])
    assert "Forgot password" in data["answer"] or data["translated"]
    link = dialog.get_by_role("link", name=article.title)
    expect(link).to_have_attribute("href", url)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    if data["translated"]:
        expect(dialog.locator(".note")).to_have_count(0)
    else:  # no engine translates English to German offline: the customer is told why it is in English
        assert data["language_note"]
        expect(dialog.locator(".note")).to_have_text("This answer is in English: it could not be translated into your language.")
        expect(dialog.locator(".text")).to_have_attribute("lang", "en")
    expect(dialog.get_by_role("group", name="Did this help?")).to_be_visible()
    panel_shot(visit, "widget-german-answer", link)

    assert service_paths(requests, live.url) - {"/demo", "/static/demo.css", "/static/demo/logo.svg",
                                                 "/static/demo/schedule.svg"} == {"/widget.js", "/static/widget.css", "/v1/answer"}
    visit.no_outside_requests()
    visit.no_script_errors()
    assert not visit.console_errors


def test_off_topic_question_offers_a_person(visit: Visit, live: LiveService) -> None:
    page = visit.page
    page.goto("/demo")
    dialog = open_widget(page)
    data = ask(page, dialog, "Can you give me a recipe for chocolate cake?")
    assert not data["answered"] and data["handoff"] and data["message"]

    expect(dialog.locator(".status")).to_have_text("No help article answers this.", timeout=ANSWER_TIMEOUT)
    expect(dialog.locator(".handoff .message")).to_have_text(data["message"])
    assert data["message_language"] == "en"
    expect(dialog.locator(".handoff .message")).to_have_attribute("lang", "en")
    contact = dialog.get_by_role("link", name="Contact support")
    expect(contact).to_have_attribute("href", live.url + "/demo/contact")
    expect(dialog.get_by_role("group", name="Did this help?")).to_have_count(0)
    expect(dialog.locator(".sources")).to_have_count(0)
    panel_shot(visit, "widget-handoff", contact)

    contact.click()
    page.wait_for_url("**/demo/contact")
    expect(page.get_by_role("heading", level=1)).to_have_text("Talk to a person")
    expect(page.get_by_text("This is a demo site.")).to_be_visible()
    expect(launcher(page)).to_be_visible()  # the widget is on every page of the demo site
    visit.shot("widget-demo-contact")
    visit.no_outside_requests()
    visit.no_script_errors()


PROBE_ID = "widget-probe-badge-printer"  # a topic no other question in the tests touches
PROBE_BODY = """Fernbook prints staff ID badges on a thermal label printer. <script>window.__kb_pwned = 1</script>

## Print staff badges on a label printer
1. Open Settings > Badges and choose your label printer.
2. Paste a badge template into the template field. A template is shown as written, for example `<script>window.__kb_pwned = 1</script>` or `<img src=x onerror="window.__kb_pwned = 2">`.
3. Click Print badges.
"""


def test_script_in_an_article_is_shown_as_text(visit: Visit, live: LiveService) -> None:
    writer = {"X-API-Key": KEYS["writer"]}
    put = httpx.put(f"{live.url}/v1/articles/{PROBE_ID}", headers=writer, timeout=120, json={
        "title": "Print staff badges on a label printer", "body": PROBE_BODY, "language": "en",
        "url": f"https://help.fernbook.example/articles/{PROBE_ID}",
    })
    assert put.status_code == 201, put.text
    try:
        page = visit.page
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto("/demo")
        dialog = open_widget(page)
        data = ask(page, dialog, "How do I print staff badges on a label printer?")
        assert data["answered"] and data["citations"][0]["article_id"] == PROBE_ID
        assert "window.__kb_pwned = 1" in data["answer"]  # the probe reached the widget, as inert text

        shown = dialog.locator(".text")
        expect(shown).to_have_text(data["answer"], timeout=ANSWER_TIMEOUT)
        expect(shown).to_contain_text("\u2039script>window.__kb_pwned = 1\u2039/script>")
        expect(shown).to_contain_text('\u2039img src=x onerror="window.__kb_pwned = 2">')
        expect(dialog.locator("script, img")).to_have_count(0)
        page.wait_for_timeout(500)  # an onerror handler would have fired by now
        assert page.evaluate("typeof window.__kb_pwned") == "undefined"
        assert not dialogs
        panel_shot(visit, "widget-injected-article", shown)
        visit.no_script_errors()
    finally:
        assert httpx.delete(f"{live.url}/v1/articles/{PROBE_ID}", headers=writer, timeout=120).status_code == 204


def test_widget_never_renders_markup_from_the_service(visit: Visit) -> None:
    """Whatever the response holds (here raw tags, as a broken or hostile proxy might send), the
    widget shows it as text and links only to http(s) URLs."""
    page = visit.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    raw = '<img src=x onerror="window.__kb_pwned = 1"><script>window.__kb_pwned = 2</script><b>Step</b> one'
    responses = [
        answer_body(answer=raw, citations=[
            {"article_id": "a", "title": "<img src=x onerror=alert(1)>Evil title", "url": "javascript:alert(1)"},
            {"article_id": "b", "title": "Data URL", "url": "data:text/html,<script>alert(1)</script>"},
            {"article_id": "c", "title": "<i>Real</i> article", "url": "https://help.fernbook.example/articles/c"},
        ]),
        answer_body(answered=False, answer=None, handoff=True, citations=[], log_id=None,
                    message='<a href="javascript:alert(1)">Click</a><img src=x onerror="window.__kb_pwned = 3">'),
    ]
    page.route("**/v1/answer", lambda route: fulfil_json(route, responses.pop(0)))
    page.goto("/demo")
    dialog = open_widget(page)

    ask(page, dialog, "anything")
    expect(dialog.locator(".text")).to_have_text(raw)
    items = dialog.locator(".sources li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_have_text("<img src=x onerror=alert(1)>Evil title")
    expect(items.nth(1)).to_have_text("Data URL")
    expect(items.locator("a")).to_have_count(1)  # only the https citation is a link
    expect(items.nth(2).locator("a")).to_have_attribute("href", "https://help.fernbook.example/articles/c")
    expect(items.nth(2)).to_contain_text("<i>Real</i> article")
    expect(dialog.locator("img, script, b, i")).to_have_count(0)
    panel_shot(visit, "widget-escapes-raw-markup", items.nth(2))

    ask(page, dialog, "anything else")
    expect(dialog.locator(".handoff .message")).to_have_text('<a href="javascript:alert(1)">Click</a><img src=x onerror="window.__kb_pwned = 3">')
    expect(dialog.locator(".handoff a")).to_have_count(1)
    expect(dialog.get_by_role("link", name="Contact support")).to_be_visible()
    expect(dialog.locator("img, script")).to_have_count(0)
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__kb_pwned") == "undefined"
    assert not dialogs
    visit.no_script_errors()


def test_feedback_is_stored_for_the_answer_once(visit: Visit, live: LiveService) -> None:
    page = visit.page
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if urlsplit(r.url).path == "/v1/feedback" else None)
    page.goto("/demo")
    dialog = open_widget(page)
    data = ask(page, dialog, "Can I export timesheets to QuickBooks?")
    assert data["answered"] and isinstance(data["log_id"], int)
    yes = dialog.get_by_role("button", name="Yes", exact=True)
    expect(yes).to_be_visible(timeout=ANSWER_TIMEOUT)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/v1/feedback") as info:
        yes.dblclick()  # a double click still rates once
    assert info.value.status == 201
    thanks = dialog.get_by_text("Thank you for your feedback.")
    expect(thanks).to_be_visible()
    assert has_focus(thanks)
    expect(dialog.get_by_role("button", name="Yes", exact=True)).to_have_count(0)
    expect(dialog.get_by_role("button", name="No", exact=True)).to_have_count(0)
    panel_shot(visit, "widget-feedback-thanks", thanks)
    page.wait_for_timeout(300)
    assert sent == [{"log_id": data["log_id"], "helpful": True}]

    with live.kb.search_log.engine.connect() as conn:
        rows = conn.execute(select(feedback).where(feedback.c.log_id == data["log_id"])).all()
    assert len(rows) == 1
    row = rows[0]._mapping
    assert row["helpful"] is True or row["helpful"] == 1
    demo_principal = live.app.state.keys.lookup(live.app.state.demo_widget_key)
    assert row["key_id"] == demo_principal.actor  # rated with the demo page's own widget key
    entry = live.kb.search_log.get(data["log_id"])
    assert entry is not None and entry.shown[0] == "quickbooks-export"
    visit.no_outside_requests()
    visit.no_script_errors()


def test_keyboard_and_screen_reader(visit: Visit, live: LiveService) -> None:
    page = visit.page
    answers: list[str] = []
    page.on("request", lambda r: answers.append(r.url) if urlsplit(r.url).path == "/v1/answer" else None)
    page.goto("/demo")
    button = launcher(page)
    expect(button).to_have_attribute("aria-expanded", "false")

    # reachable in the page's natural tab order, opened with Enter, focus in the labelled field
    tab_until(page, button)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Fernbook help")
    expect(dialog).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    assert button.get_attribute("aria-controls") == dialog.get_attribute("id")
    field = dialog.get_by_label("Your question")
    expect(field).to_be_focused()
    expect(field).to_have_accessible_description(re.compile("Enter sends"))
    expect(dialog.locator(".status")).to_have_attribute("aria-live", "polite")
    expect(dialog.locator(".status")).to_have_attribute("role", "status")

    # Shift+Tab reaches the close button, Tab the send button; Shift+Enter is a new line, not a question
    page.keyboard.press("Shift+Tab")
    assert has_focus(dialog.get_by_role("button", name="Close help"))
    page.keyboard.press("Tab")
    expect(field).to_be_focused()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(field).to_have_value("first line\nsecond line")
    assert not answers
    page.keyboard.press("Tab")
    assert has_focus(dialog.get_by_role("button", name="Ask"))
    page.keyboard.press("Shift+Tab")

    field.fill("How do I download my invoices?")
    with page.expect_response(lambda r: urlsplit(r.url).path == "/v1/answer", timeout=ANSWER_TIMEOUT):
        page.keyboard.press("Enter")
    expect(dialog.locator(".status")).to_have_text("Here is an answer.", timeout=ANSWER_TIMEOUT)
    assert len(answers) == 1

    # then, in reading order: send, the cited article, Yes, No
    page.keyboard.press("Tab")
    assert has_focus(dialog.get_by_role("button", name="Ask"))
    page.keyboard.press("Tab")
    title = live.kb.store.get("article:download-invoices").doc.title
    article_link = dialog.get_by_role("link", name=f"{title} (opens in a new tab)", exact=True)
    assert has_focus(article_link)
    group = dialog.get_by_role("group", name="Did this help?")
    page.keyboard.press("Tab")
    assert has_focus(group.get_by_role("button", name="Yes"))
    page.keyboard.press("Tab")
    assert has_focus(group.get_by_role("button", name="No"))
    page.keyboard.press("Enter")
    thanks = dialog.get_by_text("Thank you. Sorry it did not help.")
    expect(thanks).to_be_visible()
    assert has_focus(thanks)
    expect(dialog.get_by_role("link", name="Contact support")).to_be_visible()
    panel_shot(visit, "widget-keyboard-answer", thanks)

    # Esc closes and gives the focus back to the help button, with a visible focus ring
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert has_focus(button)
    assert button.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    panel_shot(visit, "widget-keyboard-closed")
    visit.no_outside_requests()
    visit.no_script_errors()


def test_errors_are_explained_never_blank(visit: Visit) -> None:
    page = visit.page
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    script: list[Callable[[Route], None]] = [
        lambda route: route.abort("internetdisconnected"),
        lambda route: fulfil_json(route, {"code": "rate_limited", "message": "slow down", "field": None, "request_id": "r1"},
                                  429, {"Retry-After": "17"}),
        lambda route: fulfil_json(route, {"code": "internal", "message": "the service failed", "field": None,
                                          "request_id": "r2"}, 500),
        lambda route: route.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>"),
        lambda route: fulfil_json(route, answer_body(answer="Open Billing > Invoices.")),
    ]
    page.route("**/v1/answer", lambda route: script.pop(0)(route))
    page.goto("/demo")
    dialog = open_widget(page)
    status = dialog.locator(".status")

    dialog.get_by_role("button", name="Ask").click()  # nothing typed: asks for a question, sends nothing
    expect(status).to_have_text("Please type your question first.")
    assert len(script) == 5

    dialog.get_by_label("Your question").fill("Where are my invoices?")
    dialog.get_by_role("button", name="Ask").click()
    expect(status).to_have_text("The help centre could not be reached. Check your connection and try again.")
    panel_shot(visit, "widget-error-network")
    dialog.get_by_role("button", name="Try again").click()
    expect(status).to_have_text("Too many questions at once. Please try again in 17 seconds.")
    panel_shot(visit, "widget-error-rate-limited")
    dialog.get_by_role("button", name="Ask").click()
    expect(status).to_have_text("Something went wrong on our side. Please try again.")
    assert any("HTTP 500 internal: the service failed (request id r2)" in w for w in warnings), warnings
    dialog.get_by_role("button", name="Ask").click()
    expect(status).to_have_text("Something went wrong on our side. Please try again.")
    expect(dialog.locator("h1")).to_have_count(0)  # a proxy's HTML error page is not shown
    dialog.get_by_role("button", name="Ask").click()
    expect(dialog.locator(".text")).to_have_text("Open Billing > Invoices.")
    assert not script
    visit.no_script_errors()


# ------------------------------------------------------------------------------------ on a phone
def test_phone_panel_fills_the_screen(phone: Visit) -> None:
    page = phone.page
    page.goto("/demo")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    phone.shot("widget-phone-home")

    dialog = open_widget(page)
    box = dialog.bounding_box()
    assert box is not None
    assert box["x"] == 0 and box["y"] == 0 and box["width"] == 390 and box["height"] <= 844
    expect(dialog.get_by_role("button", name="Close help")).to_be_in_viewport()
    panel_shot(phone, "widget-phone-open")
    # covering the screen, it is a modal dialog: Tab goes round inside it, never to the hidden page
    assert dialog.get_attribute("aria-modal") == "true"
    for _ in range(8):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement && document.activeElement.shadowRoot !== null"), "focus left the widget"
        assert dialog.evaluate("d => d.contains(d.getRootNode().activeElement)")

    data = ask(page, dialog, "Wie setze ich mein Passwort zurück?")
    assert data["answered"]
    expect(dialog.locator(".text")).to_be_visible(timeout=ANSWER_TIMEOUT)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    body = dialog.locator(".body")
    assert body.evaluate("el => el.scrollWidth <= el.clientWidth"), "the panel scrolls sideways"
    assert dialog.locator(".text").evaluate("el => el.getBoundingClientRect().right") <= 390
    panel_shot(phone, "widget-phone-answer")
    panel_shot(phone, "widget-phone-sources", dialog.locator(".sources"))

    dialog.get_by_role("button", name="Close help").tap()
    expect(dialog).to_be_hidden()
    phone.no_outside_requests()
    phone.no_script_errors()


# ------------------------------------------------------------------------------------ on another site
class _SiteHandler(BaseHTTPRequestHandler):
    server: "_Site"

    def do_GET(self) -> None:  # noqa: N802
        page = self.server.pages.get(self.path)
        if page is None:
            self.send_error(404)
            return
        body, content_type, headers = page
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Site(ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, tuple[str, str, dict[str, str]]]


@dataclass
class OtherSite:
    """A customer's web site on an origin of its own, with its own strict CSP, embedding the widget."""
    origin: str
    server: _Site
    key_here: str  # a managed widget key that lists this origin
    key_elsewhere: str  # one that lists only https://elsewhere.example
    pages: dict[str, tuple[str, str, dict[str, str]]] = field(default_factory=dict)

    def page(self, path: str, live: LiveService, key: str, attrs: str = "", lang: str = "en") -> str:
        self.server.pages[path] = (
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Another shop</title>'
            '<link rel="stylesheet" href="/shop.css"></head><body><h1>Another shop</h1><p>Help is in the corner.</p>'
            f'<script src="{live.url}/widget.js" data-key="{key}" {attrs} async></script></body></html>',
            "text/html; charset=utf-8",
            # only the knowledge base's own script, stylesheet and endpoints are allowed in
            {"Content-Security-Policy": f"default-src 'none'; script-src {live.url}; style-src 'self' {live.url}; "
                                        f"connect-src {live.url}; img-src 'self'"},
        )
        return self.origin + path


HOSTILE_CSS = """* { color: rgb(255, 0, 0) !important; letter-spacing: 6px !important; font-family: serif !important; }
button { background: rgb(255, 0, 0) !important; } label, textarea { display: none !important; }"""


@pytest.fixture(scope="module")
def other_site(live: LiveService) -> Iterator[OtherSite]:
    server = _Site(("127.0.0.1", _free_port()), _SiteHandler)
    server.pages = {"/shop.css": (HOSTILE_CSS, "text/css", {})}
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="other-site", daemon=True)
    thread.start()
    admin = {"X-API-Key": KEYS["admin"]}
    made = []
    for name, origins in (("shop widget", [origin]), ("somebody else's widget", ["https://elsewhere.example"])):
        r = httpx.post(f"{live.url}/v1/keys", headers=admin, json={"scope": "widget", "name": name, "origins": origins})
        assert r.status_code == 201, r.text
        made.append(r.json())
    try:
        yield OtherSite(origin, server, made[0]["key"], made[1]["key"])
    finally:
        for k in made:
            httpx.delete(f"{live.url}/v1/keys/{k['id']}", headers=admin)
        server.shutdown()
        server.server_close()


@pytest.fixture
def site_visit(browser: Any, live: LiveService, other_site: OtherSite) -> Iterator[Visit]:
    """A desktop context on the other site, which may fetch from that site and the service only."""
    yield from open_visit(browser, other_site.origin, allowed=(live.url,), console=("error", "warning"),
                          viewport={"width": 1280, "height": 900})


def test_widget_works_on_a_site_its_key_lists(site_visit: Visit, live: LiveService, other_site: OtherSite) -> None:
    page = site_visit.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(other_site.page("/shop.html", live, other_site.key_here, 'data-handoff-url="mailto:help@shop.example"'))
    dialog = open_widget(page, "Help")

    # the host page's hostile styles stay outside the widget's shadow root
    send = dialog.get_by_role("button", name="Ask")
    assert send.evaluate("el => getComputedStyle(el).backgroundColor") != "rgb(255, 0, 0)"
    expect(dialog.get_by_label("Your question")).to_be_visible()

    data = ask(page, dialog, "How do I download my invoices?")
    assert data["answered"] and data["citations"][0]["article_id"] == "download-invoices"
    article = live.kb.store.get("article:download-invoices").doc
    expect(dialog.get_by_role("link", name=article.title)).to_have_attribute("href", article.url)
    text = dialog.locator(".text")
    assert text.evaluate("el => getComputedStyle(el).letterSpacing") == "normal"
    assert text.evaluate("el => getComputedStyle(el).color") != "rgb(255, 0, 0)"
    panel_shot(site_visit, "widget-other-site", dialog.locator(".sources"))

    data = ask(page, dialog, "What is the weather in Paris tomorrow?")
    assert not data["answered"]
    expect(dialog.get_by_role("link", name="Contact support")).to_have_attribute("href", "mailto:help@shop.example")

    # it fetched its script and stylesheet and called the answer endpoint, nothing else of the service
    assert service_paths(requests, live.url) == {"/widget.js", "/static/widget.css", "/v1/answer"}
    site_visit.no_outside_requests()
    site_visit.no_script_errors()
    assert not site_visit.console_errors  # CSP violations would be reported here


@pytest.mark.parametrize("which, refusal", [("elsewhere", "403 origin_not_allowed"), ("unknown", "401")])
def test_widget_is_not_available_where_its_key_does_not_reach(
    site_visit: Visit, live: LiveService, other_site: OtherSite, which: str, refusal: str,
) -> None:
    key = other_site.key_elsewhere if which == "elsewhere" else "kb_widget_00000000_not-a-real-key-at-all"
    page = site_visit.page
    page.goto(other_site.page(f"/{which}.html", live, key))
    dialog = open_widget(page, "Help")
    dialog.get_by_label("Your question").fill("How do I download my invoices?")
    with page.expect_response(lambda r: urlsplit(r.url).path == "/v1/answer") as info:
        dialog.get_by_label("Your question").press("Enter")
    assert info.value.status == int(refusal[:3])
    expect(dialog.locator(".status")).to_have_text("Help is not available on this page at the moment.")
    expect(dialog.locator(".answer")).to_have_count(0)
    assert any(f"HTTP {refusal}" in m for m in site_visit.console_errors), site_visit.console_errors
    panel_shot(site_visit, f"widget-other-site-{which}-key")
    site_visit.no_outside_requests()
    site_visit.no_script_errors()


def test_widget_on_a_site_that_no_key_lists_says_help_is_not_available(
    browser: Any, live: LiveService, other_site: OtherSite,
) -> None:
    """The same site under another origin (localhost instead of 127.0.0.1), which no key lists: the
    browser's preflight passes, the 403 is readable, and the widget says so instead of 'unreachable'."""
    unlisted = other_site.origin.replace("127.0.0.1", "localhost")
    url = other_site.page("/unlisted.html", live, other_site.key_here).replace(other_site.origin, unlisted)
    with contextmanager(open_visit)(browser, unlisted, allowed=(live.url,), console=("error", "warning"),
                                    viewport={"width": 1280, "height": 900}) as visit:
        page = visit.page
        page.goto(url)
        dialog = open_widget(page, "Help")
        dialog.get_by_label("Your question").fill("How do I download my invoices?")
        with page.expect_response(lambda r: urlsplit(r.url).path == "/v1/answer") as info:
            dialog.get_by_label("Your question").press("Enter")
        assert info.value.status == 403
        expect(dialog.locator(".status")).to_have_text("Help is not available on this page at the moment.")
        assert any("HTTP 403 origin_not_allowed" in m for m in visit.console_errors), visit.console_errors
        panel_shot(visit, "widget-unlisted-site")
        visit.no_outside_requests()
        visit.no_script_errors()


def test_labels_language_position_and_handoff_url_come_from_the_tag(
    site_visit: Visit, live: LiveService, other_site: OtherSite,
) -> None:
    page = site_visit.page
    bodies: list[Any] = []

    def handoff(route: Route) -> None:
        bodies.append(route.request.post_data_json)
        fulfil_json(route, answer_body(answered=False, answer=None, handoff=True, message="Un agent peut vous aider."))

    page.route(f"{live.url}/v1/answer", handoff)

    # a French page: French labels; the hand-off URL is javascript:, so it is refused and no link shown
    page.goto(other_site.page("/fr.html", live, other_site.key_here, 'data-position="left" data-title="Aide Boutique" '
                              'data-handoff-url="javascript:alert(document.domain)"', lang="fr-FR"))
    button = launcher(page, "Aide Boutique")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] < 100  # data-position="left"
    dialog = open_widget(page, "Aide Boutique")
    expect(dialog.get_by_role("button", name="Fermer l’aide")).to_be_visible()
    ask(page, dialog, "Comment faire un gâteau ?", label="Votre question")
    expect(dialog.locator(".status")).to_have_text("Aucun article d’aide ne répond à cette question.")
    expect(dialog.locator(".handoff .message")).to_have_text("Un agent peut vous aider.")
    expect(dialog.locator("a")).to_have_count(0)
    assert any("data-handoff-url must be an http, https or mailto URL" in m for m in site_visit.console_errors)
    assert bodies == [{"question": "Comment faire un gâteau ?"}]  # the service detects the language
    panel_shot(site_visit, "widget-other-site-french")

    # data-language: German labels on an English page, and the question is sent as German
    page.goto(other_site.page("/de.html", live, other_site.key_here, 'data-language="de"'))
    dialog = open_widget(page, "Hilfe")
    expect(dialog.get_by_role("button", name="Fragen", exact=True)).to_be_visible()
    ask(page, dialog, "Kuchenrezept bitte", label="Ihre Frage")
    assert bodies[-1] == {"question": "Kuchenrezept bitte", "language": "de"}
    expect(dialog.locator(".status")).to_have_text("Kein Hilfeartikel beantwortet diese Frage.")
    panel_shot(site_visit, "widget-other-site-german-labels")
    site_visit.no_outside_requests()
    site_visit.no_script_errors()
