"""POST /v1/suggest: for an agent's ticket, the best articles and the most similar resolved tickets."""

from fastapi import APIRouter, Depends

from kb_service.api.deps import KBDep, SettingsDep, require
from kb_service.api.schemas import SuggestIn, SuggestOut, TicketHitOut
from kb_service.api.search import check_length, hit_out

router = APIRouter(tags=["suggest"])


@router.post("/v1/suggest", response_model=SuggestOut, dependencies=[Depends(require("suggest"))])
def suggest(body: SuggestIn, kb: KBDep, settings: SettingsDep) -> SuggestOut:
    text = f"{body.subject}\n{body.body}".strip()
    check_length(text, settings, "subject and body")
    s = kb.suggest(text, body.top_articles, body.top_tickets, body.language)
    tickets = []
    for h in s.tickets:
        base = hit_out(h).model_dump()
        tickets.append(
            TicketHitOut(
                **base,
                resolution=h.metadata.get("resolution"),
                category=h.metadata.get("category"),
                priority=h.metadata.get("priority"),
                resolved=h.metadata.get("resolved"),
            )
        )
    return SuggestOut(query_language=s.query_language, articles=[hit_out(h) for h in s.articles], tickets=tickets)
