"""The search pipeline behind /v1/search, /v1/answer, /v1/suggest and `kb search`.

Dense multilingual retrieval (the query embedded with the model's query prefix, cosine
against passage chunks), chunks grouped so that each source appears once with its best
chunk, metadata filters applied inside Qdrant.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from kb_service import languages
from kb_service.config import Settings
from kb_service.engines.embedder import Embedder
from kb_service.engines.langdetect import LanguageDetector
from kb_service.engines.vector_index import ChunkHit, VectorIndex
from kb_service.retrieval.language_prior import LanguagePrior

SourceFilter = Literal["article", "ticket"]
MAX_CANDIDATES = 2000  # the widest fetch before grouping chunks into sources
FILTER_KEYS = ["source_id", "kind", "lang_base", "product_area", "tags"]  # payload fields filters read


@dataclass(frozen=True)
class SearchFilters:
    source: SourceFilter | None = None
    languages: tuple[str, ...] = ()  # supported BCP 47 codes; a base code also matches its regions
    product_area: str | None = None
    tags: tuple[str, ...] = ()  # any of

    def to_llama(self) -> Any | None:
        from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

        flt: list[MetadataFilter] = []
        if self.source:
            flt.append(MetadataFilter(key="kind", value=self.source))
        if self.languages:
            bases = sorted({languages.base(code) or "" for code in self.languages})
            flt.append(MetadataFilter(key="lang_base", value=bases, operator=FilterOperator.IN))
        if self.product_area:
            flt.append(MetadataFilter(key="product_area", value=self.product_area.lower()))
        if self.tags:
            flt.append(MetadataFilter(key="tags", value=[t.lower() for t in self.tags], operator=FilterOperator.IN))
        return MetadataFilters(filters=flt) if flt else None

    @property
    def empty(self) -> bool:
        return not (self.source or self.languages or self.product_area or self.tags)

    def matches(self, meta: dict[str, Any]) -> bool:
        """The same conditions as to_llama(), checked on a hit's payload."""
        if self.source and meta.get("kind") != self.source:
            return False
        if self.languages and meta.get("lang_base") not in {languages.base(c) for c in self.languages}:
            return False
        if self.product_area and meta.get("product_area") != self.product_area.lower():
            return False
        if self.tags and not {t.lower() for t in self.tags} & set(meta.get("tags") or ()):
            return False
        return True


@dataclass
class Hit:
    source_id: str
    kind: str
    title: str
    url: str | None
    language: str | None
    score: float
    heading: str
    text: str  # the best-matching chunk, without its title line
    metadata: dict[str, Any] = field(default_factory=dict)

    def snippet(self, max_chars: int = 280) -> str:
        flat = " ".join(self.text.split())
        if len(flat) <= max_chars:
            return flat
        cut = flat.rfind(" ", 0, max_chars - 1)
        return flat[: cut if cut > max_chars // 2 else max_chars - 1] + "…"


@dataclass
class SearchResult:
    hits: list[Hit]
    query_language: str | None
    query_language_confidence: float
    took_ms: float


def strip_title_line(text: str, title: str) -> str:
    """Chunks start with 'Title — Heading' so the embedding sees context; a snippet should not repeat it."""
    first, _, rest = text.partition("\n")
    return rest.strip() if rest and first.startswith(title[:40]) else text.strip()


def group_hits(chunks: list[ChunkHit], top_k: int) -> list[Hit]:
    best: dict[str, Hit] = {}
    for c in chunks:
        sid = str(c.metadata.get("source_id"))
        if sid in best:
            continue  # chunks arrive best first: the first one per source is its best
        m = c.metadata
        best[sid] = Hit(
            source_id=sid,
            kind=str(m.get("kind")),
            title=str(m.get("title") or ""),
            url=m.get("url"),
            language=m.get("language"),
            score=c.score,
            heading=str(m.get("heading") or ""),
            text=strip_title_line(c.text, str(m.get("title") or "")),
            metadata=m,
        )
        if len(best) == top_k:
            break
    return list(best.values())


@dataclass(frozen=True)
class RetrievalOptions:
    """The quality levers of the search path, from the settings (`KB_RETRIEVAL_*`)."""

    language_prior: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> "RetrievalOptions":
        return cls(language_prior=settings.retrieval_language_prior)


class Searcher:
    def __init__(
        self, embedder: Embedder, index: VectorIndex, detector: LanguageDetector, options: RetrievalOptions | None = None
    ) -> None:
        self.options = options or RetrievalOptions()
        self.embedder = embedder
        self.index = index
        self.detector = detector
        self.prior = LanguagePrior()
        self.prior.load(index)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def search(
        self,
        query: str,
        top_k: int = 10,
        filters: SearchFilters | None = None,
        query_language: str | None = None,
        vector: np.ndarray | None = None,
    ) -> SearchResult:
        start = time.perf_counter()
        if query_language:
            lang, conf = query_language, 1.0
        else:
            det = self.detector.detect(query)
            lang, conf = det.language, det.confidence
        vec = self.embed_query(query) if vector is None else vector
        # several chunks of one source may rank high, and the language correction reorders:
        # over-fetch, correct, then keep each source's best chunk
        chunks = self._candidates(vec, top_k, filters or SearchFilters())
        shift = self.prior.corrections(vec) if self.options.language_prior else {}
        if shift:
            chunks = sorted(
                (ChunkHit(c.node_id, c.score - shift.get(c.metadata.get("lang_base") or "und", 0.0), c.text, c.metadata) for c in chunks),
                key=lambda c: -c.score,
            )
        hits = group_hits(chunks, top_k)
        return SearchResult(hits, lang, conf, (time.perf_counter() - start) * 1000)

    def _candidates(self, vec: np.ndarray, top_k: int, filters: SearchFilters) -> list[ChunkHit]:
        """Enough nearest chunks to fill `top_k` distinct sources after grouping and re-ranking."""
        want = max(top_k * 8, 50)
        if filters.empty or not self.index.embedded:
            while True:  # one long document can hold many of the nearest chunks: widen until enough
                chunks = self.index.query(vec.tolist(), top_k=want, filters=filters.to_llama())
                if len(chunks) < want or want >= MAX_CANDIDATES or _distinct(chunks) >= top_k:
                    return chunks
                want = min(want * 4, MAX_CANDIDATES)
        # The embedded store scans every point anyway but checks filters in Python, point by point
        # (104 ms at 10,000 chunks against 12 ms unfiltered). So scan wide with only the filter
        # fields, filter here, fetch the kept chunks whole, and let the store filter only when even
        # the widest scan did not find enough matching sources.
        for wide in (500, MAX_CANDIDATES):
            scanned = self.index.scan(vec.tolist(), wide, FILTER_KEYS)
            matched = [(pid, score, meta) for pid, score, meta in scanned if filters.matches(meta)]
            if len({meta.get("source_id") for _, _, meta in matched}) >= top_k or len(scanned) < wide:
                return self.index.fetch(_enough(matched, want, top_k))
        return self.index.query(vec.tolist(), top_k=want, filters=filters.to_llama())


def _distinct(chunks: list[ChunkHit]) -> int:
    return len({c.metadata.get("source_id") for c in chunks})


def _enough(matched: list[tuple[str, float, dict[str, Any]]], want: int, top_k: int) -> list[tuple[str, float]]:
    """At least `want` chunks, and more if that is what it takes to reach `top_k` distinct sources."""
    kept: list[tuple[str, float]] = []
    sources: set[Any] = set()
    for pid, score, meta in matched:
        if len(kept) >= want and len(sources) >= top_k:
            break
        kept.append((pid, score))
        sources.add(meta.get("source_id"))
    return kept
