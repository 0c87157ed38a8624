"""Request and response models. Requests forbid unknown fields, so a typo is a 422, not a silent no-op."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from kb_service import languages
from kb_service.triage.results import Classification, EscalationResult

TEXT_MAX = 20_000  # hard ceiling; the configurable KB_MAX_QUERY_CHARS applies to queries below it


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# A supported BCP 47 code in its canonical spelling; an unsupported one is a 422 listing the supported.
LanguageCode = Annotated[str, AfterValidator(languages.normalize)]
# One code or a list of them.
LanguageCodes = Annotated[list[LanguageCode], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)]


class SearchFiltersIn(Strict):
    source: Literal["article", "ticket"] | None = Field(None, description="Only articles or only resolved tickets.")
    language: LanguageCodes | None = Field(None, description="BCP 47 codes of the documents to search, matched by base language ('de' also matches 'de-AT'; 'pt-BR' matches any 'pt').")
    product_area: str | None = Field(None, max_length=100)
    tags: list[str] | None = Field(None, max_length=50, description="Documents with any of these tags.")


class SearchIn(Strict):
    query: str = Field(..., min_length=1, max_length=TEXT_MAX, description="The question or search words, any supported language.")
    language: LanguageCode | None = Field(None, description="The query's language (BCP 47); detected when omitted.")
    top_k: int = Field(10, ge=1, le=50)
    filters: SearchFiltersIn | None = None


class HitOut(BaseModel):
    id: str = Field(description="Article id or ticket id (without the 'article:'/'ticket:' prefix).")
    source: Literal["article", "ticket"]
    title: str
    url: str | None
    snippet: str
    score: float
    language: str | None
    heading: str | None = None
    product_area: str | None = None
    tags: list[str] = []


class SearchOut(BaseModel):
    query_language: str | None
    took_ms: float
    hits: list[HitOut]
    log_id: int | None = Field(None, description="This request's row in the search log; send it with POST /v1/feedback.")


class AnswerFiltersIn(Strict):
    language: LanguageCodes | None = None
    product_area: str | None = Field(None, max_length=100)
    tags: list[str] | None = Field(None, max_length=50)


class AnswerIn(Strict):
    question: str = Field(..., min_length=1, max_length=TEXT_MAX)
    language: LanguageCode | None = Field(None, description="The question's language (BCP 47); detected when omitted.")
    filters: AnswerFiltersIn | None = None
    customer_id: str | None = Field(
        None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$",
        description="Who is asking, when the widget knows (your help desk's customer id): the search log keeps a hash "
        "of it, so that erasing the customer's data (POST /v1/privacy/erase) finds their questions.",
    )


class CitationOut(BaseModel):
    article_id: str
    title: str
    url: str | None


class AnswerOut(BaseModel):
    answered: bool
    answer: str | None = Field(description="Text taken from the cited article; null when the service hands off.")
    confidence: float = Field(ge=0, le=1)
    handoff: bool = Field(description="True when a human should take over: the knowledge base does not answer this.")
    message: str | None = Field(None, description="Why the service handed off, for the widget to show or log.")
    message_language: str | None = Field(None, description="The language of `message`: the question's when an "
                                         "engine translated it, else en.")
    citations: list[CitationOut]
    question_language: str | None
    answer_language: str | None
    translated: bool = Field(False, description="The answer was translated from the article's language into the question's.")
    original_answer: str | None = Field(None, description="The article's own words, when the answer was translated.")
    article_language: str | None = Field(None, description="The language of the cited article.")
    translation_engine: str | None = None
    compliance: "ComplianceOut | None" = Field(None, description="Glossary compliance of the translated answer.")
    language_note: str | None = Field(None, description="Why the answer is not in the question's language, when it is not.")
    log_id: int | None = Field(None, description="This request's row in the search log; send it with POST /v1/feedback.")


class SuggestIn(Strict):
    subject: str = Field("", max_length=1000)
    body: str = Field(..., min_length=1, max_length=TEXT_MAX)
    language: LanguageCode | None = None
    top_articles: int = Field(5, ge=1, le=20)
    top_tickets: int = Field(5, ge=1, le=20)
    classify: bool = Field(False, description="Also classify the ticket (as POST /v1/classify).")
    escalate: bool = Field(False, description="Also decide escalation (as POST /v1/escalate).")
    channel: str | None = Field(None, max_length=30, pattern=r"^[a-z_]+$")
    customer: "CustomerIn | None" = Field(None, description="Customer context for routing and escalation.")
    created: Timestamp | None = Field(None, description="When the ticket was opened, for the SLA clock.")


class TicketHitOut(HitOut):
    resolution: str | None
    category: str | None = None
    priority: str | None = None
    resolved: str | None = None


class SuggestOut(BaseModel):
    query_language: str | None
    articles: list[HitOut]
    tickets: list[TicketHitOut]
    classification: Classification | None = Field(None, description="With classify=true.")
    escalation: EscalationResult | None = Field(None, description="With escalate=true (its classification is the one above).")
    log_id: int | None = Field(None, description="This request's row in the search log; send it with POST /v1/feedback.")


class ArticleIn(Strict):
    title: str = Field(..., min_length=1, max_length=300)
    body: str = Field(..., min_length=1, max_length=200_000, description="Markdown; '## ' headings start sections.")
    language: LanguageCode = Field("en", description="BCP 47 code of the article's language.")
    url: str | None = Field(None, max_length=2000)
    updated: str | None = Field(None, max_length=40, description="ISO 8601 date; defaults to today.")
    tags: list[str] = Field(default_factory=list, max_length=50)
    product_area: str | None = Field(None, max_length=100)


class SectionOut(BaseModel):
    heading: str
    text: str


class ArticleSummary(BaseModel):
    id: str
    title: str
    url: str | None
    language: str | None
    updated: str | None
    tags: list[str]
    product_area: str | None


class ArticleOut(ArticleSummary):
    body: str
    sections: list[SectionOut]
    links: list[dict[str, str]]
    indexed_at: str
    chunks: int


class ArticleList(BaseModel):
    items: list[ArticleSummary]
    total: int
    limit: int
    offset: int


class IngestOut(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    skipped: list[list[str]]
    chunks_embedded: int


class HealthOut(BaseModel):
    status: Literal["ok"]
    ready: bool
    model: str
    dim: int
    index: dict[str, int]
    version: str


class LanguagesOut(BaseModel):
    languages: dict[str, str]
    translation: dict[str, list[str]] = Field(
        default_factory=dict, description="Each available translation engine with the pairs it covers ('*->*': any pair).")


# --- triage: tickets, classification, escalation ---------------------------------------------

def _bounded(dt: datetime) -> datetime:
    if not 1970 <= dt.year <= 2100:
        raise ValueError("must be between 1970 and 2100")
    return dt


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(v: Any) -> Any:
    """Only ISO 8601 text, as the schema says (`format: date-time` / `date`): pydantic would also read a
    number, or a string of digits, as seconds since 1970, so `"created": 0` was silently 1970-01-01."""
    if isinstance(v, (datetime, date)):  # Python callers
        return v
    if not isinstance(v, str) or not _ISO_DATE.match(v):
        raise ValueError("must be an ISO 8601 date (2026-03-01) or date and time (2026-03-01T10:00:00Z)")
    return v


# A time within reason (SLA clocks add hours to it); without an offset it is taken as UTC.
Timestamp = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_bounded)]
IsoDate = Annotated[date, BeforeValidator(_iso_text)]

TicketId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
LabelField = Literal["category", "subcategory", "priority", "team"]
TicketStatus = Literal["new", "open", "pending", "on_hold", "solved", "closed"]


class CustomerIn(Strict):
    id: str = Field(..., min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$",
                    description="The customer's (organisation's) id in your help desk.")
    tier: str | None = Field(None, max_length=50, description="One of the taxonomy's tiers (default: free, standard, business, enterprise, vip).")
    arr: float | None = Field(None, ge=0, le=1e12, description="Annual recurring revenue.")
    renewal_date: IsoDate | None = Field(None, description="ISO date of the next renewal.")

    @field_validator("renewal_date")
    @classmethod
    def _year(cls, v: date | None) -> date | None:
        if v is not None and not 1970 <= v.year <= 2100:
            raise ValueError("must be between 1970 and 2100")
        return v
    executive_contact: bool = Field(False, description="The person writing is an executive of the customer.")


class TicketIn(Strict):
    subject: str = Field("", max_length=1000)
    body: str = Field(..., min_length=1, max_length=TEXT_MAX)
    channel: str | None = Field(None, max_length=30, pattern=r"^[a-z_]+$", description="e.g. email, web, chat, phone.")
    customer: CustomerIn | None = Field(None, description="The customer and its context; used by routing rules and escalation.")
    created: Timestamp | None = Field(None, description="When the ticket was opened (ISO 8601; UTC when no offset is given). Default: now.")
    language: LanguageCode | None = Field(None, description="The ticket's language (BCP 47); detected when omitted.")


class EscalateIn(Strict):
    ticket_id: TicketId | None = Field(None, description="A stored ticket; or give `ticket`.")
    ticket: TicketIn | None = None
    customer: CustomerIn | None = Field(None, description="Customer context; default: the stored context of the ticket's customer.")
    now: Timestamp | None = Field(None, description="Evaluate at this time instead of now (SLA clocks, renewal window).")


class TicketCreateIn(TicketIn):
    id: TicketId | None = Field(None, description="Your help desk's ticket id; generated when omitted.")
    status: TicketStatus = "new"
    labels: dict[LabelField, str] = Field(default_factory=dict, description="Labels an agent set (they train the classifier).")
    resolution: str | None = Field(None, max_length=TEXT_MAX)
    first_response_at: Timestamp | None = None


class TicketPatchIn(Strict):
    status: TicketStatus | None = None
    labels: dict[LabelField, str] | None = Field(None, description="Labels to set (others are kept).")
    resolution: str | None = Field(None, min_length=1, max_length=TEXT_MAX)
    first_response_at: Timestamp | None = None


class TicketOut(BaseModel):
    id: str
    subject: str
    body: str = Field(description="As stored: personal data redacted.")
    channel: str | None
    customer_id: str | None
    created: str
    status: str
    language: str | None
    labels: dict[str, str] = Field(description="Labels set by agents.")
    predicted: dict[str, str] = Field(description="Labels the classifier gave when the ticket was stored.")
    resolution: str | None
    first_response_at: str | None
    updated_at: str
    indexed: bool = Field(description="True when the ticket is resolved and searchable as knowledge.")
    auto_response: dict[str, Any] | None = Field(None, description="The auto-response sent (state, article, reply) and the customer's follow-ups.")


class TicketList(BaseModel):
    items: list[TicketOut]
    total: int
    limit: int
    offset: int


class ClassificationFeedbackIn(Strict):
    ticket_id: TicketId | None = Field(None, description="The stored ticket the agent corrected; or give subject and body.")
    subject: str = Field("", max_length=1000)
    body: str | None = Field(None, min_length=1, max_length=TEXT_MAX)
    field: LabelField
    label: str = Field(..., min_length=1, max_length=100)
    previous: str | None = Field(None, max_length=100, description="What the classifier had said.")
    agent: str | None = Field(None, max_length=100, description="Who corrected it (an id, not a name).")


class ClassificationFeedbackOut(BaseModel):
    correction_id: int
    ticket_id: str | None
    field: str
    label: str
    previous: str | None
    message: str


class TrainOut(BaseModel):
    examples: int
    per_field: dict[str, int]
    skipped_labels: dict[str, int]
    embedded: int
    seconds: float
    retrained: bool


SuggestIn.model_rebuild()


# --- translation and glossaries ---------------------------------------------------------------
GlossaryId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class TermCheckOut(BaseModel):
    source_term: str = Field(description="The glossary's source term.")
    found: str = Field(description="The term as the source text wrote it.")
    required: list[str] = Field(description="Approved target terms (any one complies); for a do-not-translate term, the term itself.")
    do_not_translate: bool
    output: str | None = Field(description="What the translation has in its place; null when it is missing.")
    status: Literal["kept", "enforced", "repaired", "violated"] = Field(
        description="kept: the engine used the approved term; enforced: replaced in its protected span; "
        "repaired: put in after verification; violated: not in the output.")


class ComplianceOut(BaseModel):
    glossaries: list[str] = Field(description="Glossaries applied (all of the language pair's when none was named).")
    enforced: bool
    terms: list[TermCheckOut]
    violations: int
    compliant: bool


class TranslateIn(Strict):
    text: str = Field(..., min_length=1, max_length=TEXT_MAX)
    source_language: LanguageCode | None = Field(None, description="Detected when omitted.")
    target_language: LanguageCode
    glossary: GlossaryId | None = Field(None, description="A glossary id; default: every glossary of the language pair.")
    enforce: bool = Field(True, description="False: the engine's raw output, with the compliance report only.")


class TranslateOut(BaseModel):
    translation: str
    source_language: str
    target_language: str
    engine: str = Field(description="The engine that translated ('none' when source and target are the same language).")
    compliance: ComplianceOut


class GlossaryTermIn(Strict):
    source: str = Field(..., min_length=1, max_length=200)
    targets: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20, description="Approved target terms; empty = do not translate.")


class GlossaryIn(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    source_language: LanguageCode = "en"
    target_language: LanguageCode
    terms: list[GlossaryTermIn] = Field(default_factory=list, max_length=20_000)


class GlossaryCreateIn(GlossaryIn):
    id: GlossaryId


class GlossaryTermOut(BaseModel):
    source: str
    targets: list[str]
    do_not_translate: bool


class GlossarySummary(BaseModel):
    id: str
    name: str
    source_language: str
    target_language: str
    terms: int
    updated_at: str | None


class GlossaryConflictOut(BaseModel):
    term: str
    targets: list[str]
    contains: str = Field(description="A shorter glossary term inside `term`.")
    contains_targets: list[str] = Field(description="Its approved targets, none of which any target of `term` contains.")


class GlossaryOut(GlossarySummary):
    entries: list[GlossaryTermOut]
    conflicts: list[GlossaryConflictOut] = Field(
        default_factory=list, description="Terms whose rendering cannot satisfy a shorter term inside them "
        "(enforcement keeps the longer term; the shorter one is then missing from the output).")


class TicketTranslateIn(Strict):
    target_language: LanguageCode = Field(description="The agent's language.")
    glossary: GlossaryId | None = None


class TicketTextOut(BaseModel):
    subject: str
    body: str
    language: str | None


class TicketTranslationOut(BaseModel):
    ticket_id: str
    original: TicketTextOut
    translated: TicketTextOut
    engine: str
    compliance: ComplianceOut
AnswerOut.model_rebuild()


# --- auto-response ------------------------------------------------------------------------------
class AutoResponseIn(Strict):
    ticket_id: TicketId | None = Field(None, description="A stored ticket (its status and record are updated); or give subject and body.")
    subject: str = Field("", max_length=1000)
    body: str | None = Field(None, min_length=1, max_length=TEXT_MAX)
    language: LanguageCode | None = Field(None, description="The customer's language; detected when omitted.")
    customer_name: str | None = Field(None, max_length=100, description="For the greeting.")
    customer: CustomerIn | None = None


class ReplyArticleOut(BaseModel):
    id: str
    title: str
    url: str | None
    score: float
    language: str | None


class AutoResponseOut(BaseModel):
    status: Literal["awaiting_customer_confirmation", "needs_agent"]
    reason: str
    ticket_id: str | None = None
    reply: str | None = Field(description="The reply to send; null when an agent must answer.")
    reply_language: str | None
    customer_language: str | None
    article: ReplyArticleOut | None
    steps: list[str]
    writer: Literal["template", "claude"] | None = Field(description="Who wrote the reply: the templates (offline) or Claude.")
    writer_note: str | None = Field(None, description="Why Claude's text was not used, when it was not.")
    translated: bool
    translation_engine: str | None
    compliance: ComplianceOut | None
    language_note: str | None = Field(None, description="Why the reply is not in the customer's language, when it is not.")
    words: int = Field(description="Words of the reply besides the steps (at most 150).")
    suggested: list[HitOut] = Field(description="Articles for the agent, when status is needs_agent.")
    classification: Classification


class FollowupIn(Strict):
    ticket_id: TicketId | None = Field(None, description="The stored ticket that got the auto-response.")
    message: str = Field(..., min_length=1, max_length=TEXT_MAX, description="The customer's reply, any language.")
    language: LanguageCode | None = None
    agent_language: LanguageCode | None = Field(None, description="Also translate the customer's message for the agent.")


class HandoffOut(BaseModel):
    reason: str
    note: str
    team: str | None
    article: ReplyArticleOut | None
    reply_sent: str | None
    customer_message: str
    customer_language: str | None
    translated_message: str | None = Field(None, description="The customer's message in agent_language, when asked and covered.")


class FollowupOut(BaseModel):
    outcome: Literal["not_resolved", "resolved", "unclear"]
    not_resolved_probability: float
    deciding_sentence: str | None
    status: Literal["needs_agent", "solved"] = Field(description="needs_agent: a person takes over (also when unclear); solved: the customer confirmed.")
    ticket_id: str | None
    ticket_status: str | None
    handoff: HandoffOut | None
