"""Request and response models. Requests forbid unknown fields, so a typo is a 422, not a silent no-op."""

from __future__ import annotations

from typing import Literal

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from kb_service import languages

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


class AnswerFiltersIn(Strict):
    language: LanguageCodes | None = None
    product_area: str | None = Field(None, max_length=100)
    tags: list[str] | None = Field(None, max_length=50)


class AnswerIn(Strict):
    question: str = Field(..., min_length=1, max_length=TEXT_MAX)
    language: LanguageCode | None = Field(None, description="The question's language (BCP 47); detected when omitted.")
    filters: AnswerFiltersIn | None = None


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
    citations: list[CitationOut]
    question_language: str | None
    answer_language: str | None


class SuggestIn(Strict):
    subject: str = Field("", max_length=1000)
    body: str = Field(..., min_length=1, max_length=TEXT_MAX)
    language: LanguageCode | None = None
    top_articles: int = Field(5, ge=1, le=20)
    top_tickets: int = Field(5, ge=1, le=20)


class TicketHitOut(HitOut):
    resolution: str | None
    category: str | None = None
    priority: str | None = None
    resolved: str | None = None


class SuggestOut(BaseModel):
    query_language: str | None
    articles: list[HitOut]
    tickets: list[TicketHitOut]


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
