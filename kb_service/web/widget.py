"""The customer help widget and its demo site.

* `GET /widget.js`: the embeddable widget (static/widget.js, no build step). A site adds it with one
  tag, `<script src="https://kb.example.com/widget.js" data-key="kb_widget_..." async></script>`; it
  calls only POST /v1/answer and /v1/feedback with that widget key, and loads /static/widget.css.
* `GET /demo` and `GET /demo/contact`: Fernbook, a fictional product's site with the widget on it,
  using the demo widget key the service keeps in `<data_dir>/demo_widget_key` (made at start when
  missing, mode 0600). `KB_DEMO_PAGE=false` turns both pages off, and no key is made.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response

from kb_service.config import Settings
from kb_service.web.pages import STATIC_DIR, render

router = APIRouter(include_in_schema=False)

WIDGET_JS = STATIC_DIR / "widget.js"
WIDGET_CACHE = "public, max-age=300"  # sites pick up a new widget within minutes
DEMO_KEY_PREFIX = "kb_demo_widget_"  # not kb_widget_<id>_: no managed key's shape
_KEY_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,200}$")


def ensure_demo_key(path: Path) -> tuple[str, bool]:
    """The demo page's widget key kept at `path`: (key, created). Made (mode 0600) when the file is
    missing or holds no usable key."""
    if path.is_file():
        key = path.read_text().strip()
        if _KEY_SHAPE.match(key):
            os.chmod(path, 0o600)  # a copy restored or made by hand with looser rights is tightened
            return key, False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = DEMO_KEY_PREFIX + secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    os.chmod(path, 0o600)  # also when the file was there before, with looser rights
    return key, True


def install_demo_key(app: FastAPI) -> None:
    """Register the demo page's widget key with the app's key ring (only when the demo page is on)."""
    settings: Settings = app.state.settings
    app.state.demo_widget_key = None
    if not (settings.web_pages and settings.demo_page):
        return
    key, _ = ensure_demo_key(settings.demo_widget_key_path)
    app.state.keys.add_bootstrap(key, "widget")
    app.state.demo_widget_key = key


@router.api_route("/widget.js", methods=["GET", "HEAD"])
def widget_script() -> Response:
    return FileResponse(WIDGET_JS, media_type="application/javascript; charset=utf-8", headers={
        "Cache-Control": WIDGET_CACHE,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",  # other sites load it, also under COEP
    })


def _demo_key(request: Request) -> str:
    key: str | None = getattr(request.app.state, "demo_widget_key", None)
    if key is None or not request.app.state.settings.demo_page:
        raise HTTPException(404, "Not Found")
    return key


@router.get("/demo")
def demo_page(request: Request) -> Response:
    key = _demo_key(request)
    return render(request, "demo.html", demo_key=key, service_url=str(request.base_url).rstrip("/"), page="home")


@router.get("/demo/contact")
def demo_contact(request: Request) -> Response:
    key = _demo_key(request)
    return render(request, "demo_contact.html", demo_key=key, page="contact")
