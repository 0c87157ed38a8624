"""The writers' review desk (/desk): drafts by status, the gap and freshness findings, and a draft
beside its (redacted) source tickets with the citation of each step; edit, approve or reject with a
reason; mark an article reviewed. Forms post back here and are answered with a redirect to the page
that shows the result; the work is done by the same `kb.desk` calls as the JSON API's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Callable
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from kb_service.api.drafts import draft_out
from kb_service.api.schemas_writers import DraftApproveIn, DraftCreateIn, DraftEditIn, DraftRejectIn, ReviewIn
from kb_service.api.search import hit_out
from kb_service.knowledge import KnowledgeBase
from kb_service.retrieval.search import SearchFilters
from kb_service.storage.drafts import DRAFT_STATUSES
from kb_service.web.pages import render, see_other, signed_in
from kb_service.web.sessions import WebSession
from kb_service.web.signin import same_origin
from kb_service.writers.desk import Conflict, InvalidInput, NotFound

router = APIRouter(include_in_schema=False)
Writer = Annotated[WebSession, Depends(signed_in("drafts"))]
DraftId = Annotated[str, PathParam(pattern=r"^d-[0-9a-f]{12}$")]
ArticleId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
STATUS_LABELS = {"draft": "In review", "approved": "Approved", "rejected": "Rejected"}
# what a redirect after a form says (a code in the address, so that a link cannot put words in the page)
NOTICES = {
    "saved": "Saved.",
    "approved": "Approved and published as article {article}. It is searchable now.",
    "rejected": "Rejected.",
    "created": "Draft made from the cluster's tickets.",
    "reviewed": "Article {article} marked reviewed: its review clock starts again.",
}
Notice = Annotated[str | None, Query(pattern="^(" + "|".join(NOTICES) + ")$")]


class FormRefused(Exception):
    """A form that cannot be acted on: (status, message, the field at fault if one is)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        self.status, self.message, self.field = status, message, field


def _kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb  # type: ignore[no-any-return]


async def _form(request: Request, session: WebSession) -> dict[str, str]:
    """The posted form, once its origin and CSRF token are checked. A field may be as large as a
    request (a 200,000-character body in a non-Latin script is over a megabyte percent-encoded)."""
    try:
        form = await request.form(max_fields=50, max_part_size=request.app.state.settings.max_request_bytes)
    except HTTPException as exc:
        raise FormRefused(exc.status_code, f"The form could not be read: {exc.detail}") from exc
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not same_origin(request) or not session.csrf_ok(values.get("csrf")):
        raise FormRefused(403, "This form has expired or did not come from the desk. Reload the page and try again.")
    return values


def _optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _model(factory: Callable[[], Any]) -> Any:
    try:
        return factory()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "form"
        raise FormRefused(422, f"{field}: {first.get('msg', 'invalid')}", field.split(".")[0]) from exc


def _revision(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise FormRefused(422, "revision: not a number") from None


# --- pages -------------------------------------------------------------------------

@router.get("/desk")
def desk_home(request: Request, session: Writer,
              status: Annotated[str, Query(pattern="^(" + "|".join(DRAFT_STATUSES) + ")$")] = "draft",
              notice: Notice = None,
              article: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")] = None) -> Response:
    kb = _kb(request)
    drafts, total = kb.drafts.list(status, 200, 0)
    counts = {s: kb.drafts.list(s, 1, 0)[1] for s in DRAFT_STATUSES}
    gaps = kb.desk.gap_report(limit=20)
    freshness = kb.desk.freshness_report(limit=100)
    return render(request, "desk.html", session=session, nav="desk", status=status, drafts=drafts, total=total,
                  counts=counts, labels=STATUS_LABELS, gaps=gaps, freshness=freshness,
                  notice=NOTICES[notice].format(article=article or "") if notice else None)


def _draft_page(request: Request, session: WebSession, draft_id: str, status_code: int = 200, error: str | None = None,
                notice: str | None = None, search: dict[str, Any] | None = None,
                typed: dict[str, str] | None = None, invalid: str | None = None) -> Response:
    """The draft's page; `typed`: what the writer posted in a refused form, shown again so nothing is lost."""
    kb = _kb(request)
    try:
        draft = kb.desk.require_draft(draft_id)
    except NotFound as exc:
        return render(request, "error.html", 404, session=session, title="No such draft", message=str(exc))
    view = draft_out(kb, draft)
    return render(request, "draft.html", status_code, session=session, nav="desk", d=view, labels=STATUS_LABELS,
                  error=error, notice=notice, search=search, typed=typed or {}, invalid=invalid)


def _findable(kb: KnowledgeBase, query: str, article_id: str) -> dict[str, Any]:
    """Where a search for `query` ranks the article now (an approval must make it searchable at once)."""
    result = kb.searcher.search(query, 10, SearchFilters("article"))
    hits = [hit_out(h) for h in result.hits]
    rank = next((n for n, h in enumerate(hits, 1) if h.id == article_id), None)
    return {"query": query, "rank": rank, "hits": hits}


@router.get("/desk/drafts/{draft_id}")
def draft_page(request: Request, draft_id: DraftId, session: Writer,
               notice: Notice = None) -> Response:
    search = None
    kb = _kb(request)
    draft = kb.drafts.get(draft_id)
    if draft is not None and draft.status == "approved" and draft.article_id:
        search = _findable(kb, draft.title, draft.article_id)
    text = NOTICES[notice].format(article=draft.article_id if draft else "") if notice else None
    return _draft_page(request, session, draft_id, notice=text, search=search)


@router.get("/desk/search")
def desk_search(request: Request, session: Writer, q: Annotated[str, Query(max_length=1000)] = "") -> Response:
    """Search the published articles as customers would (not logged: a writer checking, not a customer asking)."""
    hits = []
    kb = _kb(request)
    q = q.strip()[: kb.settings.max_query_chars]
    if q:
        hits = [hit_out(h) for h in kb.searcher.search(q, 10, SearchFilters("article")).hits]
    return render(request, "desk_search.html", session=session, nav="desk", q=q, hits=hits)


# --- actions -------------------------------------------------------------------------
# Form handlers are async (reading a form is); the work itself, which embeds and writes, runs in the
# thread pool like the JSON API's handlers, so that it never holds up the event loop.

@dataclass
class Refusal:
    """Why a posted form was not acted on: the status that says so, the message, what was posted,
    and the field at fault when one is."""
    status: int
    message: str
    form: dict[str, str]
    field: str | None = None


async def _submit(request: Request, session: WebSession, action: Callable[[dict[str, str]], str]) -> Response | Refusal:
    """Check and read the posted form and run `action` on it; on success a redirect to the page that
    shows the result, else the refusal for the caller to show."""
    form: dict[str, str] = {}
    try:
        form = await _form(request, session)
        return see_other(await run_in_threadpool(action, form))
    except FormRefused as exc:
        return Refusal(exc.status, exc.message, form, exc.field)
    except NotFound as exc:
        return Refusal(404, str(exc), form)
    except Conflict as exc:
        return Refusal(409, str(exc), form)
    except (InvalidInput, ValueError) as exc:
        return Refusal(422, str(exc), form)


async def _act(request: Request, session: WebSession, draft_id: str, action: Callable[[dict[str, str]], str]) -> Response:
    """A draft's form: a refused one shows the draft again with why not, and what was typed."""
    done = await _submit(request, session, action)
    if isinstance(done, Response):
        return done
    if done.status == 404:
        return render(request, "error.html", 404, session=session, title="Not found", message=done.message)
    return await run_in_threadpool(_draft_page, request, session, draft_id, done.status, done.message, None, None,
                                   done.form, done.field)


async def _act_on_desk(request: Request, session: WebSession, title: str, action: Callable[[dict[str, str]], str]) -> Response:
    """The desk's own forms: a refused one gets an error page titled `title`."""
    done = await _submit(request, session, action)
    if isinstance(done, Response):
        return done
    return render(request, "error.html", done.status, session=session, title=title, message=done.message)


@router.post("/desk/drafts/{draft_id}/edit")
async def edit(request: Request, draft_id: DraftId, session: Writer) -> Response:
    kb = _kb(request)

    def run(form: dict[str, str]) -> str:
        body = _model(lambda: DraftEditIn(title=_optional(form.get("title")), body=_optional(form.get("body")),
                                          revision=_revision(form.get("revision"))))
        kb.desk.edit_draft(draft_id, session.actor, body.title, body.body, None, body.revision)
        return f"/desk/drafts/{draft_id}?notice=saved"

    return await _act(request, session, draft_id, run)


@router.post("/desk/drafts/{draft_id}/approve")
async def approve(request: Request, draft_id: DraftId, session: Writer) -> Response:
    kb = _kb(request)

    def run(form: dict[str, str]) -> str:
        tags = [t.strip() for t in (form.get("tags") or "").split(",") if t.strip()]
        body = _model(lambda: DraftApproveIn(
            article_id=_optional(form.get("article_id")), tags=tags, product_area=_optional(form.get("product_area")),
            url=_optional(form.get("url")), revision=_revision(form.get("revision")),
        ))
        kb.desk.approve_draft(draft_id, session.actor, body.article_id, False, body.tags, body.product_area, body.url,
                              body.revision)
        return f"/desk/drafts/{draft_id}?notice=approved"

    return await _act(request, session, draft_id, run)


@router.post("/desk/drafts/{draft_id}/reject")
async def reject(request: Request, draft_id: DraftId, session: Writer) -> Response:
    kb = _kb(request)

    def run(form: dict[str, str]) -> str:
        body = _model(lambda: DraftRejectIn(reason=(form.get("reason") or "").strip(), revision=_revision(form.get("revision"))))
        kb.desk.reject_draft(draft_id, session.actor, body.reason, body.revision)
        return f"/desk/drafts/{draft_id}?notice=rejected"

    return await _act(request, session, draft_id, run)


@router.post("/desk/drafts")
async def create(request: Request, session: Writer) -> Response:
    """A draft from a gap report cluster."""
    kb = _kb(request)

    def run(form: dict[str, str]) -> str:
        body = _model(lambda: DraftCreateIn(cluster_id=_optional(form.get("cluster_id"))))
        return f"/desk/drafts/{kb.desk.create_draft(session.actor, body.cluster_id).id}?notice=created"

    return await _act_on_desk(request, session, "Could not make a draft", run)


@router.post("/desk/articles/{article_id}/reviewed")
async def reviewed(request: Request, article_id: ArticleId, session: Writer) -> Response:
    kb = _kb(request)

    def run(form: dict[str, str]) -> str:
        kb.desk.mark_reviewed(article_id, session.actor, _model(lambda: ReviewIn(note=_optional(form.get("note")))).note)
        return f"/desk?notice=reviewed&article={quote(article_id)}#freshness"

    return await _act_on_desk(request, session, "Not marked", run)
