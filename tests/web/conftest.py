"""End-to-end fixtures for the web pages: the real service (uvicorn on a free loopback port, over a
knowledge base of its own with the sample ingested) and Debian's headless Chromium driven by
Playwright (`executable_path`; Playwright never downloads a browser here).

Every page that a test visits may fetch only from the service: requests to any other host are
aborted and recorded, and `no_outside_requests` fails the test that made one. Screenshots go to
`test-artifacts/screenshots/` (or `$KB_TEST_ARTIFACTS/screenshots`), kept for a reviewer, never committed.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import KEYS, REPO, make_settings

ARTIFACTS = Path(os.environ.get("KB_TEST_ARTIFACTS") or REPO / "test-artifacts") / "screenshots"
CHROMIUM_FLAGS = [
    # as root, and on a machine whose network is closed: no sandbox, no background connections
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("KB_TEST_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("Chromium is not installed: `make test` installs Debian's chromium with apt-get "
                "(or set KB_TEST_CHROMIUM to a Chromium binary)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveService:
    url: str  # http://127.0.0.1:<port>
    kb: Any
    app: Any


@pytest.fixture(scope="session")
def live(sample_kb: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The service with the sample knowledge base, served by uvicorn in a thread. Web tests write
    (approvals, reviews), so it gets a copy of its own: the shared sample, backed up and restored
    with `kb backup`'s own code (seconds, where ingesting again takes a minute or two)."""
    import uvicorn

    from kb_service.app import create_app
    from kb_service.knowledge import KnowledgeBase
    from kb_service.storage.backup import create_backup, restore_backup

    archive = tmp_path_factory.mktemp("web-backup") / "sample.tar.gz"
    create_backup(sample_kb.settings, archive, kb=sample_kb)
    settings = make_settings(tmp_path_factory.mktemp("web-kb") / "data")
    restore_backup(archive, settings)
    kb = KnowledgeBase(settings)
    app = create_app(kb.settings, kb=kb)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None,
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-service", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the service did not start")
        time.sleep(0.05)
    try:
        yield LiveService(f"http://127.0.0.1:{port}", kb, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        kb.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Visit:
    """A browser context for one test, recording what its pages did wrong."""
    context: Any
    page: Any
    base: str
    outside: list[str] = field(default_factory=list)  # requests to other hosts (aborted)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions in page scripts

    def shot(self, name: str, page: Any = None) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=True)
        return path

    def no_outside_requests(self) -> None:
        assert not self.outside, f"pages fetched from outside the service: {self.outside}"

    def no_script_errors(self) -> None:
        assert not self.page_errors, f"uncaught script errors: {self.page_errors}"


def open_visit(browser: Any, base: str, allowed: tuple[str, ...] = (), console: tuple[str, ...] = ("error",),
               **context_args: Any) -> Iterator[Visit]:
    """A browser context whose pages may fetch from `base` (and the `allowed` origins) only; console
    messages of the `console` types are recorded."""
    context = browser.new_context(base_url=base, **context_args)
    context.set_default_timeout(60_000)  # answers take seconds on a loaded 2-core machine
    visit = Visit(context, None, base)
    prefixes = tuple(f"{origin}/" for origin in (base, *allowed)) + ("data:", "blob:")

    def route(r: Any) -> None:
        if r.request.url.startswith(prefixes):
            r.continue_()
        else:
            visit.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: visit.console_errors.append(f"{m.type}: {m.text}" if len(console) > 1 else m.text)
            if m.type in console else None)
    page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
    visit.page = page
    try:
        yield visit
    finally:
        context.close()


@pytest.fixture
def visit(browser: Any, live: LiveService) -> Iterator[Visit]:
    """A desktop-sized browser context on the live service."""
    yield from open_visit(browser, live.url, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser: Any, live: LiveService) -> Iterator[Visit]:
    """A phone-sized context (390×844, touch, mobile user agent)."""
    yield from open_visit(browser, live.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                      device_scale_factor=2)


def sign_in(visit: Visit, key: str = KEYS["writer"], next_path: str = "/desk") -> None:
    visit.page.goto(f"/signin?next={next_path}")
    visit.page.get_by_label("API key").fill(key)
    visit.page.get_by_role("button", name="Sign in").click()
    visit.page.wait_for_url(f"**{next_path}")
