"""POST /v1/feedback: a reader says whether an answer or article helped (widgets and agents)."""

from fastapi import APIRouter, Depends, HTTPException

from kb_service.api.deps import KBDep, require
from kb_service.api.keys import Principal
from kb_service.api.schemas_writers import FeedbackIn, FeedbackOut

router = APIRouter(tags=["feedback"])


@router.post("/v1/feedback", response_model=FeedbackOut, status_code=201)
def feedback(body: FeedbackIn, kb: KBDep, who: Principal = Depends(require("feedback", rate_limited=True))) -> FeedbackOut:
    """Rate a logged answer, search or suggestion (`log_id` from its response), an article, or an
    article as shown in one of them. Ratings feed the freshness report's `unhelpful` findings."""
    if body.log_id is None and who.scope == "widget":
        raise HTTPException(422, "a widget rates the answer it showed: give its log_id")
    if body.log_id is not None:
        entry = kb.search_log.get(body.log_id)
        # a widget key rates only answers it was given (its key sits in public pages: it must not be
        # able to vote on every logged request by counting log ids)
        if entry is None or (who.scope == "widget" and entry.key_id != who.actor):
            raise HTTPException(404, f"no logged request with log_id {body.log_id}")
        if body.article_id is not None and body.article_id not in entry.shown:
            raise HTTPException(
                422, f"article {body.article_id!r} was not shown in request {body.log_id} (shown: {', '.join(entry.shown) or 'none'})"
            )
    elif kb.store.get("article:" + str(body.article_id)) is None:
        raise HTTPException(404, f"no article with id {body.article_id!r}")
    comment = kb.redactor.redact(body.comment) if body.comment else None
    fid = kb.search_log.add_feedback(body.helpful, body.log_id, body.article_id, comment, who.actor)
    return FeedbackOut(id=fid, log_id=body.log_id, article_id=body.article_id, helpful=body.helpful)
