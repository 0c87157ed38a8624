"""Tickets as records: POST /v1/tickets, PATCH /v1/tickets/{id}, GET /v1/tickets[/{id}].

A ticket is stored redacted, with its customer's context and its embedding (repeat detection
reads them). When it is resolved with a resolution it joins the knowledge base as a resolved
ticket (searchable, suggested to agents, and, with an agent's labels, training data); reopened,
it leaves it again.
"""

from __future__ import annotations

import copy
import uuid
from typing import Annotated, Callable

from fastapi import APIRouter, Depends, HTTPException, Query

from ingest.documents import Section, SourceDocument
from kb_service.api.deps import KBDep, require
from kb_service.api.errors import ApiError
from kb_service.api.schemas import TicketCreateIn, TicketId, TicketList, TicketOut, TicketPatchIn, TicketStatus
from kb_service.api.triage import customer_of, iso, ticket_input, unknown, utc
from kb_service.knowledge import KnowledgeBase
from kb_service.storage.tickets import RESOLVED_STATUSES, TicketExists, TicketRecord, now_iso
from kb_service.triage.taxonomy import UnknownValue

router = APIRouter(tags=["tickets"])


def _out(rec: TicketRecord, kb: KnowledgeBase) -> TicketOut:
    return TicketOut(
        id=rec.id, subject=rec.subject, body=rec.body, channel=rec.channel, customer_id=rec.customer_id,
        created=rec.created, status=rec.status, language=rec.language, labels=rec.labels, predicted=rec.predicted,
        resolution=rec.resolution, first_response_at=rec.first_response_at, updated_at=rec.updated_at,
        auto_response=rec.auto_response,
        indexed=kb.store.get(f"ticket:{rec.id}") is not None,
    )


def _check_labels(kb: KnowledgeBase, labels: dict[str, str]) -> dict[str, str]:
    taxonomy = kb.triage.taxonomy
    for f, v in labels.items():
        try:
            taxonomy.check(f, v)
        except UnknownValue as exc:
            raise unknown(exc, f"labels.{f}") from exc
    sub, cat = labels.get("subcategory"), labels.get("category")
    if sub and cat and taxonomy.all_subcategories[sub] != cat:
        raise ApiError(422, f"subcategory {sub!r} belongs to category {taxonomy.all_subcategories[sub]!r}, not {cat!r}",
                       field="labels.subcategory")
    return dict(labels)


def _as_document(rec: TicketRecord) -> SourceDocument:
    title = rec.subject or rec.body.strip().split("\n", 1)[0][:80]
    return SourceDocument(
        source_id=f"ticket:{rec.id}", kind="ticket", title=title, sections=[Section("", rec.body)],
        language=rec.language, resolution=rec.resolution, category=rec.labels.get("category"),
        priority=rec.labels.get("priority"), queue=rec.labels.get("team"), customer=rec.customer_id,
        created=rec.created, resolved=rec.updated_at, status=rec.status,
        extra={"subcategory": rec.labels["subcategory"]} if rec.labels.get("subcategory") else {},
    )


def sync_knowledge(kb: KnowledgeBase, rec: TicketRecord) -> None:
    """A resolved ticket with a resolution is knowledge; any other state is not."""
    if rec.status in RESOLVED_STATUSES and rec.resolution:
        kb.put_documents([_as_document(rec)])
    elif kb.store.get(f"ticket:{rec.id}") is not None:
        kb.delete_sources([f"ticket:{rec.id}"])


def _write(kb: KnowledgeBase, rec: TicketRecord, before: TicketRecord | None, write_record: Callable[[], None]) -> None:
    """Index first, then the record; if the record cannot be written, the index goes back to what it
    was, so the two never disagree."""
    sync_knowledge(kb, rec)
    try:
        write_record()
    except Exception:
        if before is not None:
            sync_knowledge(kb, before)
        elif kb.store.get(f"ticket:{rec.id}") is not None:
            kb.delete_sources([f"ticket:{rec.id}"])
        raise


@router.post("/v1/tickets", response_model=TicketOut, status_code=201, dependencies=[Depends(require("tickets"))])
def create_ticket(body: TicketCreateIn, kb: KBDep) -> TicketOut:
    """Store a new ticket with its customer; it is classified on the way in (`predicted`)."""
    triage = kb.triage
    ticket_id = body.id or f"TK-{uuid.uuid4().hex[:12]}"
    if triage.store.exists(ticket_id):
        raise HTTPException(409, f"ticket {ticket_id!r} exists; update it with PATCH /v1/tickets/{ticket_id}")
    if kb.store.get(f"ticket:{ticket_id}") is not None:
        raise HTTPException(409, f"ticket {ticket_id!r} is in the knowledge base already (ingested); choose another id")
    customer = customer_of(triage, body.customer)
    labels = _check_labels(kb, body.labels)
    if body.status in RESOLVED_STATUSES and not body.resolution:
        raise HTTPException(422, f"a ticket stored as {body.status} needs its resolution")
    ticket = ticket_input(body, ticket_id)
    classification, vector = triage._classify(ticket, customer.tier if customer else None)
    predicted = {"category": classification.category.value, "priority": classification.priority.value,
                 "team": classification.team.value}
    if classification.subcategory is not None:
        predicted["subcategory"] = classification.subcategory.value
    # Redacted together: a name the body is signed with is removed from the subject and resolution too.
    subject, text, resolution = kb.redactor.redact_many([body.subject or "", body.body, body.resolution or ""])
    rec = TicketRecord(
        id=ticket_id, subject=subject, body=text,
        created=iso(utc(body.created)), status=body.status, customer_id=customer.id if customer else None,
        channel=body.channel, language=body.language or classification.language.value, labels=labels,
        predicted=predicted, resolution=resolution or None,
        first_response_at=iso(body.first_response_at) if body.first_response_at else None,
    )
    with triage.ticket_writes:
        try:
            _write(kb, rec, None, lambda: triage.store.put(rec, vector, customer, create=True))
        except TicketExists as exc:  # created by a concurrent request meanwhile
            raise HTTPException(409, f"ticket {ticket_id!r} exists; update it with PATCH /v1/tickets/{ticket_id}") from exc
    if labels:
        triage.retrain_in_background()
    return _out(rec, kb)


@router.patch("/v1/tickets/{ticket_id}", response_model=TicketOut, dependencies=[Depends(require("tickets"))])
def update_ticket(ticket_id: TicketId, body: TicketPatchIn, kb: KBDep) -> TicketOut:
    """Update status, labels, resolution or first-response time. Resolving with a resolution indexes the
    ticket as knowledge; new labels train the classifier (in the background)."""
    triage = kb.triage
    if not body.model_fields_set:
        raise HTTPException(422, "nothing to update: give status, labels, resolution or first_response_at")
    with triage.ticket_writes:  # read, change and write back with no other ticket write in between
        rec = triage.store.get(ticket_id)
        if rec is None:
            raise HTTPException(404, f"no ticket {ticket_id!r}")
        relabelled = _update(kb, rec, body)
    if relabelled:
        triage.retrain_in_background()
    return _out(rec, kb)


def _update(kb: KnowledgeBase, rec: TicketRecord, body: TicketPatchIn) -> bool:
    triage = kb.triage
    before = copy.deepcopy(rec)
    labels = _check_labels(kb, {**rec.labels, **(body.labels or {})})
    status = body.status or rec.status
    resolution = kb.redactor.redact(body.resolution) if body.resolution else rec.resolution
    if status in RESOLVED_STATUSES and not resolution:
        raise HTTPException(422, f"a {status} ticket needs its resolution: send it in the same request")
    relabelled = labels != rec.labels
    rec.labels, rec.status, rec.resolution = labels, status, resolution
    if body.first_response_at is not None:
        rec.first_response_at = iso(body.first_response_at)
    save_changed(kb, rec, before)
    return relabelled


def save_changed(kb: KnowledgeBase, rec: TicketRecord, before: TicketRecord) -> None:
    """Write back a stored ticket changed under `triage.ticket_writes` (`before`: as it was read), its
    knowledge-base entry kept in step."""
    rec.updated_at = now_iso()
    vector = kb.triage.store.vector(rec.id)
    _write(kb, rec, before, lambda: kb.triage.store.put(rec, vector))


@router.get("/v1/tickets/{ticket_id}", response_model=TicketOut, dependencies=[Depends(require("tickets"))])
def get_ticket(ticket_id: TicketId, kb: KBDep) -> TicketOut:
    rec = kb.triage.store.get(ticket_id)
    if rec is None:
        raise HTTPException(404, f"no ticket {ticket_id!r}")
    return _out(rec, kb)


@router.get("/v1/tickets", response_model=TicketList, dependencies=[Depends(require("tickets"))])
def list_tickets(
    kb: KBDep,
    status: TicketStatus | None = None,
    customer_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> TicketList:
    items, total = kb.triage.store.list(status, customer_id, limit, offset)
    return TicketList(items=[_out(r, kb) for r in items], total=total, limit=limit, offset=offset)
