"""POST /v1/privacy/erase: erase everything held about one customer, with a receipt (admin only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from kb_service.api.deps import KBDep, require
from kb_service.api.keys import Principal
from kb_service.api.schemas import Strict
from kb_service.privacy.erasure import erase_customer

router = APIRouter(tags=["privacy"])


class EraseIn(Strict):
    customer_id: str = Field(
        ..., min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$",
        description="The customer's id as your help desk gave it (in ticket exports, POST /v1/tickets and customer_id "
        "of /v1/answer).",
    )


class ErasureOut(BaseModel):
    receipt_id: str
    customer_id: str
    erased_at: str
    tickets: list[str] = Field(description="Ids of the tickets erased, as records and as knowledge.")
    index_sources: int = Field(description="Ticket sources removed from the vector index and the source store.")
    ticket_records: int
    corrections: int = Field(description="Agents' classification corrections on those tickets.")
    customer_record: bool = Field(description="Whether a customer context (tier, ARR, renewal) was held and erased.")
    search_log_entries: int
    feedback: int = Field(description="Ratings attached to the erased search-log entries.")
    cached_embeddings: int
    cluster_memberships: int = Field(description="Places of the erased tickets in the last computed ticket clusters.")
    drafts_flagged: list[str] = Field(description="Drafts that cite the erased tickets, flagged for a writer.")


@router.post("/v1/privacy/erase", response_model=ErasureOut)
def erase(body: EraseIn, kb: KBDep, who: Principal = Depends(require("admin"))) -> ErasureOut:
    """Erase one customer's tickets (index, source store, ticket records, corrections, cached embeddings),
    search-log entries and feedback; drop them from clusters; flag drafts that cite them. Erasing a
    customer the service holds nothing about returns an empty receipt (and is recorded too)."""
    return ErasureOut(**erase_customer(kb, body.customer_id, who.actor).to_dict())
