"""One error body for every 4xx and 5xx: `{"code", "message", "field", "request_id"}`.

`code` is a stable machine-readable word (`invalid`, `not_found`, `rate_limited`, ...), `message`
says what is wrong in words a caller can act on, `field` names the request field at fault when
there is one (`query`, `top_k`, `tickets.0.subject`), and `request_id` is the id the service log
records the request under. Some errors add a list a client can use (`valid`, `supported`, `errors`).
Nothing in a response names a file, a line or an exception class: an unexpected failure is logged
with its traceback under the request id and answered with a 500 that says only that (by
`kb_service.api.middleware.RequestContext`, which sees every request from the outside).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb_service import languages
from kb_service.logs import current_request_id
from kb_service.triage.taxonomy import UnknownValue
from kb_service.writers.desk import Conflict, InvalidInput, NotFound

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    """What every error response carries."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(description="A stable word for the kind of error: invalid, not_found, forbidden, rate_limited, ...")
    message: str = Field(description="What is wrong, in words a caller can act on.")
    field: str | None = Field(None, description="The request field at fault, dotted ('tickets.0.subject'), if any.")
    request_id: str | None = Field(None, description="The id the service log records this request under.")


# Declared on every route (FastAPI then leaves out its own 422 schema, which this body replaces).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "The request was refused; `message` says why."},
    "5XX": {"model": ErrorBody, "description": "The service failed; `request_id` finds it in the service log."},
}


class ApiError(HTTPException):
    """An HTTPException that names its error code and the field at fault."""

    def __init__(self, status_code: int, message: str, *, code: str | None = None, field: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(status_code, message, headers=headers)
        self.code = code or CODES.get(status_code, "error")
        self.field = field
        self.extra = extra


class BodyTooLarge(ApiError):
    """A request body went over its limit while it was being read (an HTTPException, so that FastAPI's
    body parsing lets it through instead of calling it a parse error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes (KB_MAX_REQUEST_BYTES; uploads: "
                         "KB_MAX_UPLOAD_BYTES)", code="too_large")
        self.limit = limit


def error_response(status: int, message: str, *, code: str | None = None, field: str | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"code": code or CODES.get(status, "error"), "message": message, "field": field,
                            "request_id": current_request_id()}
    body.update(extra)
    return JSONResponse(status_code=status, content=body, headers=headers)


def _field_of(loc: Any) -> str | None:
    path = list(loc or ())
    if path and path[0] in ("body", "query", "path", "header", "cookie"):  # where it is, not part of its name
        path = path[1:]
    return ".".join(str(p) for p in path) or None


def _validation_message(errors: list[Any]) -> str:
    parts = []
    for e in errors:
        loc = _field_of(e.get("loc"))
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one error body."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, ApiError):
            return error_response(exc.status_code, str(exc.detail), code=exc.code, field=exc.field,
                                  headers=exc.headers, **exc.extra)
        message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error").replace("_", " ")
        return error_response(exc.status_code, message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        raw = exc.errors()
        errors = [{"field": _field_of(e.get("loc")), "message": str(e.get("msg")).removeprefix("Value error, "),
                   "type": e.get("type")} for e in raw]
        first = errors[0]["field"] if errors else None
        return error_response(422, _validation_message(raw) or "invalid request", field=first, errors=errors)

    @app.exception_handler(UnknownValue)
    async def _taxonomy(_: Request, exc: UnknownValue) -> JSONResponse:
        return error_response(422, str(exc), field=exc.field, valid=exc.valid)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return error_response(409, str(exc))

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return error_response(422, str(exc), field=exc.field)

    @app.exception_handler(languages.UnsupportedLanguage)
    async def _language(_: Request, exc: languages.UnsupportedLanguage) -> JSONResponse:
        return error_response(422, str(exc), field="language", supported=sorted(languages.SUPPORTED))
