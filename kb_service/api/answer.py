"""POST /v1/answer: a short grounded answer for customer widgets, or an honest hand-off."""

from fastapi import APIRouter, Depends

from kb_service.api.deps import KBDep, SettingsDep, require
from kb_service.api.schemas import AnswerIn, AnswerOut, CitationOut
from kb_service.api.keys import Principal
from kb_service.api.search import check_length, public_id
from kb_service.api.translation import compliance_out, into_language
from kb_service.knowledge import KnowledgeBase
from kb_service.retrieval.search import SearchFilters

router = APIRouter(tags=["answer"])

HANDOFF_MESSAGE = "The help centre has no article that answers this. A member of the support team can help."


@router.post("/v1/answer", response_model=AnswerOut)
def answer(body: AnswerIn, kb: KBDep, settings: SettingsDep, who: Principal = Depends(require("answer", rate_limited=True))) -> AnswerOut:
    check_length(body.question, settings, "question")
    f = body.filters
    filters = SearchFilters("article", tuple(f.language or ()), f.product_area, tuple(f.tags or ())) if f else None
    a = kb.answers.answer(body.question, filters, body.language)
    log_id = kb.log_request("answer", body.question, a.question_language, a.passages, a.answered, who.actor, a.query_vector,
                            customer_id=body.customer_id)
    out = AnswerOut(
        answered=a.answered,
        answer=a.answer,
        confidence=a.confidence,
        handoff=a.handoff,
        message=None if a.answered else HANDOFF_MESSAGE,
        citations=[CitationOut(article_id=public_id(c.article_id), title=c.title, url=c.url) for c in a.citations],
        question_language=a.question_language,
        answer_language=a.answer_language,
        article_language=a.answer_language,
        log_id=log_id,
    )
    if a.answered and a.answer:
        # the customer's language when an engine covers the pair; the citations stay as they are
        (text,), results, note = into_language(kb.translator, [a.answer], a.answer_language, a.question_language)
        if results:
            out.answer, out.original_answer, out.translated = text, a.answer, True
            out.answer_language, out.translation_engine = results[0].target_language, results[0].engine
            out.compliance = compliance_out(results)
        out.language_note = note
    if not a.answered:
        out.message, out.message_language = handoff_message(kb, a.question_language)
    return out


def handoff_message(kb: KnowledgeBase, language: str | None) -> tuple[str, str]:
    """The hand-off message and its language: the customer's when an engine covers it (translated once)."""
    translated = kb.translator.translate_fixed(HANDOFF_MESSAGE, "en", language) if language and language != "en" else None
    return (translated, language) if translated and language else (HANDOFF_MESSAGE, "en")
