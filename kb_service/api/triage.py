"""Triage endpoints: POST /v1/classify, /v1/escalate, /v1/feedback/classification, /v1/triage/train.

Unknown taxonomy values (a tier, a category in a correction) are 422s that list the valid ones.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException

from kb_service.api.deps import KBDep, require
from kb_service.api.errors import ApiError
from kb_service.api.keys import Principal
from kb_service.api.schemas import (
    ClassificationFeedbackIn, ClassificationFeedbackOut, CustomerIn, EscalateIn, TicketIn, TrainOut,
)
from kb_service.storage.tickets import Customer, TicketRecord
from kb_service.triage.engine import TicketInput, Triage
from kb_service.triage.results import Classification, EscalationResult
from kb_service.triage.taxonomy import UnknownValue

router = APIRouter(tags=["triage"])


def utc(dt: datetime | None) -> datetime:
    """Aware UTC; a time without an offset is taken as UTC."""
    if dt is None:
        return datetime.now(timezone.utc)
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def iso(dt: datetime) -> str:
    return utc(dt).isoformat(timespec="seconds")


def unknown(exc: UnknownValue, field: str | None = None) -> ApiError:
    """A 422 naming the request field at fault and listing the valid values."""
    return ApiError(422, str(exc), field=field, valid=exc.valid)


def customer_of(triage: Triage, c: CustomerIn | None, where: str = "customer") -> Customer | None:
    """The customer's context: what is stored for its id, with the fields this request sets over it
    (a request that names only the id keeps the stored tier, ARR, renewal and executive flag).
    `where`: the request field the customer came in (errors name `<where>.tier`)."""
    if c is None:
        return None
    if c.tier is not None:
        try:
            triage.taxonomy.check_tier(c.tier)
        except UnknownValue as exc:
            raise unknown(exc, f"{where}.tier") from exc
    merged = triage.store.get_customer(c.id) or Customer(c.id)
    given = c.model_fields_set
    if "tier" in given:
        merged.tier = c.tier
    if "arr" in given:
        merged.arr = c.arr
    if "renewal_date" in given:
        merged.renewal_date = c.renewal_date.isoformat() if c.renewal_date else None
    if "executive_contact" in given:
        merged.executive_contact = c.executive_contact
    return merged


def ticket_input(t: TicketIn, ticket_id: str | None = None) -> TicketInput:
    """Ticket texts may be long e-mails: the schema caps them (20,000 characters), and classification
    reads their first 256 tokens."""
    return TicketInput(
        subject=t.subject, body=t.body, channel=t.channel, customer_id=t.customer.id if t.customer else None,
        created=utc(t.created) if t.created else None, language=t.language, ticket_id=ticket_id,
    )


def record_input(rec: TicketRecord) -> TicketInput:
    created = datetime.fromisoformat(rec.created)
    return TicketInput(rec.subject, rec.body, rec.channel, rec.customer_id, created, rec.language, rec.id)


@router.post("/v1/classify", response_model=Classification, dependencies=[Depends(require("triage"))])
def classify(body: TicketIn, kb: KBDep) -> Classification:
    """Category and subcategory, priority, team, sentiment, language, whether an article resolves it and
    whether it lacks information, each with its confidence and evidence."""
    triage = kb.triage
    customer = customer_of(triage, body.customer)
    return triage.classify(ticket_input(body), tier=customer.tier if customer else None)


@router.post("/v1/escalate", response_model=EscalationResult, dependencies=[Depends(require("triage"))])
def escalate(body: EscalateIn, kb: KBDep) -> EscalationResult:
    """Whether to escalate, to whom, and every trigger with its evidence; the priority raise explained."""
    triage = kb.triage
    if (body.ticket_id is None) == (body.ticket is None):
        raise HTTPException(422, "give either ticket_id (a stored ticket) or ticket, not both and not neither")
    first_response = None
    labels: dict[str, str] = {}
    if body.ticket_id is not None:
        rec = triage.store.get(body.ticket_id)
        if rec is None:
            raise HTTPException(404, f"no ticket {body.ticket_id!r}")
        ticket = record_input(rec)
        first_response = rec.first_response_at
        labels = rec.labels
    else:
        assert body.ticket is not None
        ticket = ticket_input(body.ticket)
    customer = customer_of(triage, body.customer or (body.ticket.customer if body.ticket else None),
                           "customer" if body.customer else "ticket.customer")
    if customer is None and ticket.customer_id:
        customer = triage.store.get_customer(ticket.customer_id)
    if customer is not None and ticket.customer_id is None:
        ticket.customer_id = customer.id
    return triage.escalate(ticket, customer, now=utc(body.now) if body.now else None,
                           first_response_at=first_response, labels=labels)


@router.post("/v1/feedback/classification", response_model=ClassificationFeedbackOut)
def feedback(body: ClassificationFeedbackIn, kb: KBDep,
             who: Principal = Depends(require("triage"))) -> ClassificationFeedbackOut:
    """An agent's correction of one field. It decides that field for similar tickets from the next request on,
    sets the stored ticket's label, and trains the classifier at its next training."""
    triage = kb.triage
    if (body.ticket_id is None) == (body.body is None):
        raise HTTPException(422, "give either ticket_id (a stored ticket) or the ticket's body, not both and not neither")
    try:
        triage.taxonomy.check(body.field, body.label)
    except UnknownValue as exc:
        raise unknown(exc, "label") from exc
    rec = None
    if body.ticket_id is not None:
        rec = triage.store.get(body.ticket_id)
        if rec is None:
            raise HTTPException(404, f"no ticket {body.ticket_id!r}")
    text = None if rec else f"{body.subject}\n\n{body.body}".strip()
    previous = body.previous or (rec.predicted.get(body.field) if rec else None)
    with triage.ticket_writes:
        if rec is not None:
            rec = triage.store.get(rec.id) or rec  # the latest state, under the write lock
        corr = triage.correct(body.field, body.label, rec, text, agent=body.agent or who.key_id, previous=previous)
        if rec is not None:
            from kb_service.api.tickets import sync_knowledge

            sync_knowledge(kb, rec)  # an indexed ticket's knowledge carries the corrected label
    if rec is not None:
        triage.retrain_in_background()
    return ClassificationFeedbackOut(
        correction_id=corr.id, ticket_id=corr.ticket_id, field=corr.field, label=corr.label, previous=previous,
        message="recorded: similar tickets get this label from now on"
        + ("; the ticket's label is set and the classifier retrains" if rec else ""),
    )


@router.post("/v1/triage/train", response_model=TrainOut, dependencies=[Depends(require("admin"))])
def train(kb: KBDep, force: bool = False) -> TrainOut:
    """Train the classifier on the labelled history now (it also trains after ingests and relabelling);
    `force`: even if the history has not changed."""
    kb.triage.wait_for_training()
    r = kb.triage.train(force=force)
    return TrainOut(examples=r.examples, per_field=r.per_field, skipped_labels=r.skipped, embedded=r.embedded,
                    seconds=round(r.seconds, 2), retrained=r.retrained)
