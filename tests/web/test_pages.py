"""What every page relies on, checked without a browser: chart data cannot break out of its data
island, and the pages' templates escape what they show."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kb_service.web.pages import templates
from tests.conftest import KEYS, make_settings

HOSTILE = '</script><script>window.__kb_pwned=1</script><!--'


def test_chart_data_cannot_close_its_script_element() -> None:
    page = templates.env.from_string(
        '{% from "reports_macros.html" import chart_canvas %}{{ chart_canvas("gaps", data, label) }}'
    ).render(data={"labels": [HOSTILE], "datasets": [{"label": "a & b's", "data": [1]}]}, label=HOSTILE)
    island = re.search(r'<script type="application/json" id="gaps-data">(.*?)</script>', page, re.S)
    assert island is not None
    assert page.count("<script") == 1  # the island is the only script element: nothing was injected
    assert "<script>window" not in page and "</script><script>" not in page
    assert json.loads(island.group(1))["labels"] == [HOSTILE]  # and the data reads back exactly


def test_templates_escape_what_they_show() -> None:
    html = templates.get_template("error.html").render(title=HOSTILE, message=HOSTILE, session=None, version="x")
    assert "<script>window" not in html and "&lt;/script&gt;&lt;script&gt;" in html


def test_wrong_keys_at_sign_in_are_throttled_per_address(tmp_path: Path) -> None:
    """Ten wrong keys a minute from one address; then even the right key waits (no key is looked at)."""
    from fastapi.testclient import TestClient

    from kb_service.app import create_app
    from kb_service.api.ratelimit import SIGNIN_FAILURES_PER_MINUTE

    with TestClient(create_app(make_settings(tmp_path / "data")), base_url="http://127.0.0.1") as c:
        for n in range(SIGNIN_FAILURES_PER_MINUTE):
            r = c.post("/signin", data={"key": f"wrong-key-{n:04d}"}, follow_redirects=False)
            assert r.status_code == 401, n
        r = c.post("/signin", data={"key": KEYS["writer"]}, follow_redirects=False)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "Too many wrong keys" in r.text and "set-cookie" not in r.headers


def test_static_files_are_compressed_never_sniffed_and_shareable_only_for_the_widget(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from kb_service.app import create_app
    from kb_service.web.pages import STATIC_DIR

    c = TestClient(create_app(make_settings(tmp_path / "data")))
    r = c.get("/static/vendor/chart.umd.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.content == (STATIC_DIR / "vendor" / "chart.umd.min.js").read_bytes()  # decoded: the same file
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cross-origin-resource-policy"] == "same-origin"
    assert c.get("/static/widget.css").headers["cross-origin-resource-policy"] == "cross-origin"
    assert c.get("/static/../config.py").status_code == 404


def test_advice_on_the_desk_names_no_api_calls() -> None:
    from kb_service.web.pages import for_people

    gap = ("No article covers these 4 resolved tickets. The nearest article, 'sso-setup', scores 0.85. "
           'Draft one: POST /v1/drafts with {"cluster_id": "c-0123456789"}.')
    assert for_people(gap) == "No article covers these 4 resolved tickets. The nearest article, 'sso-setup', scores 0.85. Draft one."
    stale = "Check every step, then mark it reviewed (POST /v1/articles/sso-setup/reviewed)."
    assert for_people(stale) == "Check every step, then mark it reviewed."
    contradicted = ('update the steps (or draft a new version from them: POST /v1/drafts with {"ticket_ids": ["T-1", "T-2"]}); '
                    "if the article is still right, mark it reviewed.")
    assert for_people(contradicted) == ("update the steps (or draft a new version from them); if the article is still right, "
                                        "mark it reviewed.")


def test_over_https_the_session_cookie_is_secure_and_host_only(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from kb_service.app import create_app

    with TestClient(create_app(make_settings(tmp_path / "data")), base_url="https://127.0.0.1") as c:
        r = c.post("/signin", data={"key": KEYS["writer"], "next": "/desk"}, follow_redirects=False)
        assert r.status_code == 303
        raw = r.headers["set-cookie"]
        assert raw.startswith("__Host-kb_session=") and "secure" in raw.lower() and "path=/" in raw.lower()
        assert "domain=" not in raw.lower()
        assert c.get("/desk", follow_redirects=False).status_code == 200
        # the plain name is not read over https (a cookie planted without the prefix signs nobody in)
        token = c.cookies["__Host-kb_session"]
        c.cookies.clear()
        c.cookies.set("kb_session", token)
        assert c.get("/desk", follow_redirects=False).status_code == 303
