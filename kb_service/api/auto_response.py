"""POST /v1/auto-response and POST /v1/auto-response/followup.

A ticket a KB article resolves with high confidence gets a reply (status
`awaiting_customer_confirmation`; a stored ticket goes to `pending`); otherwise it needs an agent,
with suggested articles. The customer's follow-up, in any language, either confirms (the stored
ticket is solved, and joins the knowledge base with the article as its resolution) or hands the
ticket to a person with the whole context (status `open`).
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from kb_service.api.deps import KBDep, require
from kb_service.api.schemas import (
    AutoResponseIn, AutoResponseOut, ComplianceOut, FollowupIn, FollowupOut, HandoffOut, ReplyArticleOut,
)
from kb_service.api.search import hit_out
from kb_service.api.tickets import save_changed
from kb_service.api.translation import compliance_report, into_language
from kb_service.api.triage import customer_of, record_input
from kb_service.autoresponse.responder import AutoResponse
from kb_service.knowledge import KnowledgeBase
from kb_service.storage.tickets import now_iso
from kb_service.triage.engine import TicketInput

router = APIRouter(tags=["auto-response"])
def _article_out(a: Any) -> ReplyArticleOut | None:
    return ReplyArticleOut(**vars(a)) if a is not None else None


def _compliance(r: AutoResponse) -> ComplianceOut | None:
    return compliance_report(list(r.compliance), r.glossaries, True) if r.translated else None


@router.post("/v1/auto-response", response_model=AutoResponseOut, dependencies=[Depends(require("tickets"))])
def auto_response(body: AutoResponseIn, kb: KBDep) -> AutoResponseOut:
    """A reply for a ticket that a knowledge-base article resolves with high confidence, in the customer's
    language; or `needs_agent` with suggested articles. A stored ticket records the reply and, when one
    was sent, waits for the customer (status `pending`)."""
    if (body.ticket_id is None) == (body.body is None):
        raise HTTPException(422, "give either ticket_id (a stored ticket) or the ticket's subject and body")
    triage = kb.triage
    customer = customer_of(triage, body.customer)
    tier = customer.tier if customer else None
    rec = None
    if body.ticket_id is not None:
        rec = triage.store.get(body.ticket_id)
        if rec is None:
            raise HTTPException(404, f"no ticket {body.ticket_id!r}")
        if rec.status in ("solved", "closed"):
            raise HTTPException(409, f"ticket {rec.id!r} is {rec.status}; an auto-response is for open tickets")
        if any(f.get("outcome") != "resolved" for f in (rec.auto_response or {}).get("followups", [])):
            raise HTTPException(409, f"ticket {rec.id!r} was handed to an agent after the customer said the suggested "
                                "article did not solve it; no second auto-response")
        ticket = record_input(rec)
        ticket.language = body.language or ticket.language
        stored = triage.store.get_customer(rec.customer_id) if rec.customer_id else None
        tier = tier or (stored.tier if stored else None)
    else:
        ticket = TicketInput(body.subject, body.body or "", None, customer.id if customer else None, None, body.language)
    r = kb.auto_responder.respond(ticket, body.customer_name, tier)
    if rec is not None:
        _record_reply(kb, rec.id, r, body.customer_name)
    return AutoResponseOut(
        status=r.status, reason=r.reason, ticket_id=rec.id if rec else None, reply=r.reply, reply_language=r.reply_language,
        customer_language=r.customer_language, article=_article_out(r.article), steps=r.steps, writer=r.writer,
        writer_note=r.writer_note, translated=r.translated, translation_engine=r.translation_engine,
        compliance=_compliance(r), language_note=r.language_note, words=r.words,
        suggested=[hit_out(h) for h in r.suggested], classification=r.classification,
    )


def _record_reply(kb: KnowledgeBase, ticket_id: str, r: AutoResponse, customer_name: str | None) -> None:
    """Stored redacted, like the ticket: the customer's name in the greeting becomes [NAME]."""
    triage = kb.triage
    with triage.ticket_writes:
        rec = triage.store.get(ticket_id)
        if rec is None:  # deleted meanwhile: nothing to record
            return
        before = copy.deepcopy(rec)
        reply = kb.redactor.redact(r.reply.replace(customer_name, "[NAME]") if r.reply and customer_name else r.reply or "") or None
        rec.auto_response = {
            "state": r.status, "at": now_iso(), "article": vars(r.article) if r.article else None,
            "reply": reply, "reply_language": r.reply_language, "customer_language": r.customer_language,
            "reason": r.reason, "followups": (rec.auto_response or {}).get("followups", []),
        }
        if r.status == "awaiting_customer_confirmation":
            rec.status = "pending"
            rec.first_response_at = rec.first_response_at or now_iso()
        save_changed(kb, rec, before)


@router.post("/v1/auto-response/followup", response_model=FollowupOut, dependencies=[Depends(require("tickets"))])
def followup(body: FollowupIn, kb: KBDep) -> FollowupOut:
    """Read the customer's reply to an auto-response (any language). "It did not work" (or a reply the
    service cannot read with confidence) hands the ticket to a person with the context; a confirmation
    solves a stored ticket."""
    message = kb.redactor.redact(body.message)
    reading = kb.followups.read(message)  # what comes back (the deciding sentence) carries no personal data
    language = body.language or kb.translator.detect(body.message)
    rec = None
    if body.ticket_id is not None:
        rec = kb.triage.store.get(body.ticket_id)
        if rec is None:
            raise HTTPException(404, f"no ticket {body.ticket_id!r}")
        state = (rec.auto_response or {}).get("state")
        if state is None or state == "needs_agent" and not (rec.auto_response or {}).get("followups"):
            raise HTTPException(409, f"ticket {rec.id!r} has had no auto-response; send one with POST /v1/auto-response")
        if state != "awaiting_customer_confirmation":
            raise HTTPException(409, f"ticket {rec.id!r} is not waiting for the customer's confirmation (state {state}); "
                                "an agent has it")
    resolved = reading.outcome == "resolved"
    handoff = None
    if not resolved:
        sent = rec.auto_response if rec is not None else None
        translated = None
        if body.agent_language:
            (text,), results, _ = into_language(kb.translator, [message], language, body.agent_language)
            translated = text if results else None
        reason = ("the customer says the suggested article did not solve the problem" if reading.outcome == "not_resolved"
                  else "the customer's reply does not clearly confirm the fix; a person should read it")
        handoff = HandoffOut(
            reason=reason, note=kb.auto_responder.handoff_note(body.agent_language or "en"),
            team=(rec.labels.get("team") or rec.predicted.get("team")) if rec else None,
            article=ReplyArticleOut(**sent["article"]) if sent and sent.get("article") else None,
            reply_sent=sent.get("reply") if sent else None, customer_message=message, customer_language=language,
            translated_message=translated,
        )
    status = "solved" if resolved else "needs_agent"
    ticket_status = None
    if rec is not None:
        ticket_status = _record_followup(kb, rec.id, message, reading.outcome, resolved)
    return FollowupOut(outcome=reading.outcome, not_resolved_probability=reading.not_resolved_probability,
                       deciding_sentence=reading.sentence, status=status, ticket_id=rec.id if rec else None,
                       ticket_status=ticket_status, handoff=handoff)


def _record_followup(kb: KnowledgeBase, ticket_id: str, message: str, outcome: str, resolved: bool) -> str | None:
    triage = kb.triage
    with triage.ticket_writes:
        rec = triage.store.get(ticket_id)
        if rec is None:
            return None
        before = copy.deepcopy(rec)
        state = dict(rec.auto_response or {})
        state["followups"] = [*state.get("followups", []), {"at": now_iso(), "message": message, "outcome": outcome}]
        state["state"] = "confirmed" if resolved else "needs_agent"
        rec.auto_response = state
        article = state.get("article") or {}
        if resolved:
            rec.status = "solved"
            rec.resolution = rec.resolution or (
                f"Resolved with the help article \"{article.get('title', '')}\" ({article.get('url') or article.get('id', '')}); "
                "the customer confirmed it worked.")
        else:
            rec.status = "open"
        save_changed(kb, rec, before)
        return rec.status
