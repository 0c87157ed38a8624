"""Answers for customer widgets: built only from knowledge-base passages, with citations,
a confidence, and an honest hand-off when the knowledge base does not answer.

The answer is extractive: the best-matching section of the best article (its numbered
steps kept whole), never words that are not in the KB. `/v1/answer` then translates it into the
question's language when an engine covers the pair (glossary-enforced, `kb_service/translation/`).
Answers are not rewritten by a generator; Claude writes only auto-responses, checked against the
article (`kb_service/autoresponse/`).

Nothing in an answer is markup or an unsafe link, whatever the article held: the text and the
citations' titles go through `sanitize.inert_text` (the parsers already made stored articles inert;
this also covers an index built before they did), and a citation's URL is an http(s) URL or none.
Instructions written into an article ("ignore previous instructions and ...") are text like any
other: they neither choose the article nor change what is taken from it, and hidden ones were never
indexed (`ingest/html.py`, `ingest/markdown.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from kb_service.retrieval.search import Hit, SearchFilters, Searcher
from kb_service.sanitize import inert_text, safe_article_url

_STEP = re.compile(r"^\s*(\d+[.)]|[-*•])\s+")


@dataclass
class Citation:
    article_id: str
    title: str
    url: str | None
    score: float


@dataclass
class Answer:
    answered: bool
    answer: str | None
    confidence: float
    handoff: bool
    citations: list[Citation]
    question_language: str | None
    answer_language: str | None
    passages: list[Hit] = field(default_factory=list)
    reason: str | None = None
    query_vector: np.ndarray | None = None


def trim_passage(text: str, max_chars: int) -> str:
    """Cut at a line (or sentence) boundary, never inside a numbered step."""
    if len(text) <= max_chars:
        return text.strip()
    out: list[str] = []
    used = 0
    for line in text.splitlines():
        if used + len(line) + 1 > max_chars:
            if not out:  # one very long paragraph: cut at the last sentence end that fits
                head = line[:max_chars]
                end = max(head.rfind(". "), head.rfind("。"), head.rfind("! "), head.rfind("? "))
                out.append(head[: end + 1] if end > max_chars // 3 else head.rsplit(" ", 1)[0] + "…")
            break
        out.append(line)
        used += len(line) + 1
    # do not end on a dangling lead-in line like "To reset it:"
    while len(out) > 1 and out[-1].rstrip().endswith(":") and not _STEP.match(out[-1]):
        out.pop()
    return "\n".join(out).strip()


def citation(hit: Hit) -> Citation:
    """A hit as a citation: an inert title and an http(s) URL or none."""
    return Citation(hit.source_id, inert_text(hit.title), safe_article_url(hit.url), round(hit.score, 4))


def confidence_from_score(score: float, min_score: float, full_score: float) -> float:
    if score <= min_score:
        return 0.0
    return round(min(1.0, 0.5 + 0.5 * (score - min_score) / max(full_score - min_score, 1e-6)), 3)


class AnswerComposer:
    def __init__(self, searcher: Searcher, min_score: float, full_confidence_score: float, max_chars: int) -> None:
        self.searcher = searcher
        self.min_score = min_score
        self.full_score = full_confidence_score
        self.max_chars = max_chars

    def answer(self, question: str, filters: SearchFilters | None = None, question_language: str | None = None) -> Answer:
        base = filters or SearchFilters()
        filters = SearchFilters("article", base.languages, base.product_area, base.tags)  # widgets answer from articles
        result = self.searcher.search(question, top_k=3, filters=filters, query_language=question_language)
        hits = result.hits
        if not hits or hits[0].score < self.min_score:
            return Answer(
                answered=False,
                answer=None,
                confidence=0.0,
                handoff=True,
                citations=[],
                question_language=result.query_language,
                answer_language=None,
                passages=hits,
                reason="no article in the knowledge base matches this question well enough",
                query_vector=result.vector,
            )
        best = hits[0]
        text = inert_text(trim_passage(best.text, self.max_chars))
        citations = [citation(best)]
        # a second article that scores almost as well is offered as a further citation, not mixed into the text
        for other in hits[1:]:
            if other.score >= max(self.min_score, best.score - 0.015):
                citations.append(citation(other))
        return Answer(
            answered=True,
            answer=text,
            confidence=confidence_from_score(best.score, self.min_score, self.full_score),
            handoff=False,
            citations=citations,
            question_language=result.query_language,
            answer_language=best.language,
            passages=hits,
            query_vector=result.vector,
        )
