"""What classification and escalation return: the engine builds these, the API serves them as they are."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class NeighbourEvidence(BaseModel):
    ticket_id: str
    label: str
    similarity: float


class FieldResult(BaseModel):
    value: str
    confidence: float = Field(ge=0, le=1)
    alternatives: dict[str, float] = Field(default_factory=dict, description="The next most likely values and their probabilities.")
    source: Literal["model", "correction", "rule", "taxonomy", "default", "agent"] = Field(
        description="model: the classifier trained on labelled tickets; correction: an agent's correction of a "
        "very similar ticket; rule: a taxonomy rule; taxonomy: similarity to the taxonomy's descriptions "
        "(no labelled history for this field); default: nothing better was known; agent: set by an agent on "
        "the stored ticket."
    )
    neighbours: list[NeighbourEvidence] = Field(default_factory=list, description="The nearest labelled tickets.")
    rules: list[str] = Field(default_factory=list, description="Rules that fired, in words.")


class SignalEvidence(BaseModel):
    signal: str
    sentence: str = Field(description="The sentence of the ticket that carries the signal.")
    matched: str = Field(description="The signal's reference phrase it is closest to.")
    similarity: float = Field(description="Cosine similarity to that phrase.")
    probability: float = Field(ge=0, le=1, description="The signal classifier's probability for the sentence.")


class Sentiment(BaseModel):
    label: Literal["negative", "neutral", "positive"]
    score: float = Field(ge=-1, le=1, description="-1 furious ... 0 neutral ... 1 delighted.")
    confidence: float = Field(ge=0, le=1)
    evidence: list[SignalEvidence] = Field(default_factory=list)


class ArticleMatch(BaseModel):
    value: bool
    confidence: float = Field(ge=0, le=1)
    article_id: str | None = None
    title: str | None = None
    url: str | None = None
    score: float | None = None
    threshold: float


class NeedsInfo(BaseModel):
    value: bool
    confidence: float = Field(ge=0, le=1)
    reasons: list[str] = Field(default_factory=list)
    evidence: list[SignalEvidence] = Field(default_factory=list)


class SecondaryIssue(BaseModel):
    category: str
    subcategory: str | None
    confidence: float
    sentence: str


class LanguageResult(BaseModel):
    value: str | None
    confidence: float = Field(ge=0, le=1)


class Classification(BaseModel):
    category: FieldResult
    subcategory: FieldResult | None
    priority: FieldResult
    team: FieldResult
    sentiment: Sentiment
    language: LanguageResult
    kb_resolvable: ArticleMatch
    needs_more_info: NeedsInfo
    secondary: list[SecondaryIssue] = Field(default_factory=list, description="Further issues in the same ticket.")
    signals: list[SignalEvidence] = Field(default_factory=list, description="Every signal found (churn, legal, outage...).")
    needs_human_triage: bool = Field(description="True when the classifier is unsure: the ticket goes to the triage team.")
    triage_reason: str | None = None
    model: dict[str, int] = Field(default_factory=dict, description="Labelled tickets each field was learned from.")
    took_ms: float


class Trigger(BaseModel):
    name: str
    level: int
    notify: list[str]
    evidence: list[str]
    signals: list[SignalEvidence] = Field(default_factory=list)


class PriorityChange(BaseModel):
    original: str
    final: str
    reasons: list[str]


class EscalationResult(BaseModel):
    escalate: bool
    level: int = Field(ge=0, le=3, description="0 none, 1 senior agent, 2 manager, 3 legal.")
    notify: list[str]
    triggers: list[Trigger]
    priority: PriorityChange
    classification: Classification | None = None
