"""POST /v1/suggest: for an agent's ticket, the best articles and the most similar resolved tickets,
and on request its classification and escalation decision."""

from fastapi import APIRouter, Depends, HTTPException

from kb_service.api.deps import KBDep, SettingsDep, require
from kb_service.api.keys import Principal
from kb_service.api.schemas import SuggestIn, SuggestOut, TicketHitOut
from kb_service.api.search import check_length, hit_out
from kb_service.api.triage import customer_of, utc
from kb_service.sanitize import inert_text
from kb_service.triage.engine import TicketInput

router = APIRouter(tags=["suggest"])


@router.post("/v1/suggest", response_model=SuggestOut)
def suggest(body: SuggestIn, kb: KBDep, settings: SettingsDep, who: Principal = Depends(require("suggest"))) -> SuggestOut:
    text = f"{body.subject}\n{body.body}".strip()
    check_length(text, settings, "subject and body")
    if (body.classify or body.escalate) and not who.can("triage"):
        raise HTTPException(403, f"a key with scope '{who.scope}' may not classify or escalate (triage)")
    classification = escalation = None
    if body.classify or body.escalate:
        triage = kb.triage
        customer = customer_of(triage, body.customer)
        ticket = TicketInput(body.subject, body.body, body.channel, customer.id if customer else None,
                             utc(body.created) if body.created else None, body.language)
        if body.escalate:
            escalation = triage.escalate(ticket, customer)
            classification, escalation.classification = escalation.classification, None
        else:
            classification = triage.classify(ticket, tier=customer.tier if customer else None)
    s = kb.suggest(text, body.top_articles, body.top_tickets, body.language)
    log_id = kb.log_request("suggest", text, s.query_language, s.articles, None, who.actor, s.vector,
                            customer_id=body.customer.id if body.customer else None)
    tickets = []
    for h in s.tickets:
        base = hit_out(h).model_dump()
        tickets.append(
            TicketHitOut(
                **base,
                resolution=inert_text(h.metadata.get("resolution") or "") or None,
                category=h.metadata.get("category"),
                priority=h.metadata.get("priority"),
                resolved=h.metadata.get("resolved"),
            )
        )
    return SuggestOut(
        query_language=s.query_language, articles=[hit_out(h) for h in s.articles], tickets=tickets,
        classification=classification, escalation=escalation, log_id=log_id,
    )
