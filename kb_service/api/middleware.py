"""What every request passes through before its route: a request id, a size limit, one log line,
a clean 500, and CORS for the endpoints a widget calls from other web sites.

Both are plain ASGI middleware (no buffering of streamed bodies, nothing run in a thread).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb_service.api.errors import BodyTooLarge, error_response
from kb_service.api.keys import normalise_origin
from kb_service.logs import reset_request_id, set_request_id

log = logging.getLogger("kb_service.access")
errors_log = logging.getLogger("kb_service.errors")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
WIDGET_PATHS = ("/v1/answer", "/v1/feedback")  # what a widget key may call, so what other sites may call


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestContext:
    """Request id (`X-Request-ID` in and out), body size limits (413), an access log line per
    request, and a 500 with the one error body, not a traceback, when a route fails."""

    def __init__(self, app: ASGIApp, max_request_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes
        self.max_upload_bytes = max_upload_bytes

    def _limit(self, scope: Scope) -> int:
        content_type = (_header(scope, b"content-type") or "").lower()
        if content_type.startswith("multipart/form-data"):
            return self.max_upload_bytes + 64 * 1024  # the files, and the multipart framing around them
        return self.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status: dict[str, int] = {}
        limit = self._limit(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await error_response(
                    413, f"the request body is {declared} bytes, over the limit of {limit} "
                    "(KB_MAX_REQUEST_BYTES; uploads: KB_MAX_UPLOAD_BYTES)"
                )(scope, receive, send_with_id)
            else:
                await self.app(scope, receive_limited, send_with_id)
        except Exception as exc:  # a route failed in a way no handler knows: log it, say nothing of it
            errors_log.error("unhandled error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
            if "code" not in status:
                await error_response(
                    500, "the service failed on this request; the request id finds it in the service log"
                )(scope, receive, send_with_id)
        finally:
            state = scope.get("state", {})
            log.info(
                "%s %s %s", scope.get("method"), scope.get("path"), status.get("code", 500),
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),  # never the query string: it may hold a customer's words
                    "status": status.get("code", 500),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "actor": state.get("actor"),
                },
            )
            reset_request_id(token)


class WidgetCors:
    """CORS for the widget's endpoints only: a browser on another site may call /v1/answer and
    /v1/feedback when some widget key lists that site's origin. Which key may be used from which
    origin is checked per request by the key check (`deps.require`); this answers the browser's
    preflight and adds the headers that let the page read the answer. Every other endpoint sends
    no CORS headers, so browsers keep other sites' pages from calling it with a user's key.

    The preflight is answered for any origin, and error responses are readable from any origin: a
    widget on a site that no key lists then reads the 403 `origin_not_allowed` (and can say that help
    is not available there) instead of seeing a network failure. A successful answer is readable only
    by a listed origin (a key that is not bound to origins gets no CORS headers elsewhere)."""

    def __init__(self, app: ASGIApp, allowed: Callable[[str], bool]) -> None:
        self.app = app
        self.allowed = allowed  # origin -> does any widget key list it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or scope.get("path") not in WIDGET_PATHS:
            await self.app(scope, receive, send)
            return
        normal = normalise_origin(origin)
        if scope.get("method") == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            if normal is None:
                await error_response(403, f"{origin!r} is not a web origin", code="origin_not_allowed")(scope, receive, send)
                return
            await _preflight(origin)(scope, receive, send)
            return
        listed = normal is not None and self.allowed(normal)

        async def send_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and normal is not None and (listed or message["status"] >= 400):
                headers = list(message.get("headers", []))
                headers += [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-expose-headers", b"Retry-After, X-Request-ID"),
                    (b"vary", b"Origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_cors)


def _preflight(origin: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    from starlette.responses import Response

    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type, X-API-Key, X-Request-ID",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    })


__all__: list[Any] = ["RequestContext", "WidgetCors", "normalise_origin", "WIDGET_PATHS"]
