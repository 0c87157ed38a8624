"""The search pipeline behind /v1/search, /v1/answer, /v1/suggest, `kb search` and `kb eval`.

1. The query is embedded with the model's query prefix; a non-English query loses half of its
   language's direction (language_shift.py).
2. Dense search over passage chunks (cosine), metadata filters applied; chunks grouped so that
   each source appears once with its best chunk.
3. The best 20 sources are re-scored with their side vectors from the source store: the best
   sentence window and the title line (see `_rescore`).
4. An article in the customer's language moves before the other-language article it translates.

Each step is a setting (`KB_RETRIEVAL_*`); `kb eval retrieval --compare dense` measures them.
"""

from __future__ import annotations

import threading
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
from kb_service.retrieval.language_shift import LanguageShift
from kb_service.storage.sources import TITLE, WINDOW, SourceStore

SourceFilter = Literal["article", "ticket"]
MAX_CANDIDATES = 2000  # the widest fetch before grouping chunks into sources
RESCORE_POOL = 20  # sources re-scored with their side vectors (the chunk search's recall@20 is near 1)
OWN_LANGUAGE_MIN_CONFIDENCE = 0.5
OWN_LANGUAGE_MARGIN = 0.03
TRANSLATION_COSINE = 0.9
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
    cosine: float = 0.0  # the best chunk's cosine, before side vectors and the own-language preference
    chunk_id: str = ""

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
    vector: np.ndarray | None = None  # the query's embedding (before the language shift), for the search log


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
            cosine=c.score,
            chunk_id=c.node_id,
        )
        if len(best) == top_k:
            break
    return list(best.values())


@dataclass(frozen=True)
class RetrievalOptions:
    """The quality levers of the search path, from the settings (`KB_RETRIEVAL_*`)."""

    windows: bool = True
    title_weight: float = 0.2
    language_shift: float = 0.5
    prefer_own_language: bool = True
    language_prior: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "RetrievalOptions":
        return cls(
            windows=settings.retrieval_windows,
            title_weight=settings.retrieval_title_weight,
            language_shift=settings.retrieval_language_shift,
            prefer_own_language=settings.retrieval_prefer_own_language,
            language_prior=settings.retrieval_language_prior,
        )

    @property
    def rescores(self) -> bool:
        return self.windows or self.title_weight > 0


class Searcher:
    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        detector: LanguageDetector,
        options: RetrievalOptions | None = None,
        store: SourceStore | None = None,
    ) -> None:
        self.options = options or RetrievalOptions()
        self.store = store  # side vectors (title lines, sentence windows) live in the source store
        self.shift = LanguageShift(embedder.model_name, self.options.language_shift)
        self.embedder = embedder
        self.index = index
        self.detector = detector
        self.prior = LanguagePrior()
        if self.options.language_prior:  # its centroids cost a pass over every vector after each write
            self.prior.load(index)
        self._articles: tuple[list[str], np.ndarray] | None = None  # article chunk ids and vectors (embedded store)
        self._articles_lock = threading.Lock()

    def index_changed(self, changed: list[str]) -> None:
        """Called after every write to the index with the source ids it changed: refresh what is
        computed from them (a ticket write leaves the articles' vectors as they are)."""
        if self.options.language_prior:
            self.prior.refresh(self.index)
        if any(sid.startswith("article:") for sid in changed):
            with self._articles_lock:
                self._articles = None

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
        raw = self.embed_query(query) if vector is None else vector
        vec = self.shift.apply(raw, lang)
        pool = max(top_k * 2, RESCORE_POOL) if self.options.rescores and self.store is not None else top_k
        # several chunks of one source may rank high, and the corrections reorder:
        # over-fetch, correct, then keep each source's best chunk
        chunks = self._candidates(vec, pool, filters or SearchFilters())
        shift = self.prior.corrections(vec) if self.options.language_prior else {}
        if shift:
            chunks = sorted(
                (ChunkHit(c.node_id, c.score - shift.get(c.metadata.get("lang_base") or "und", 0.0), c.text, c.metadata) for c in chunks),
                key=lambda c: -c.score,
            )
        hits = group_hits(chunks, pool)
        if pool > top_k:
            self._rescore(hits, vec)
        hits.sort(key=lambda h: -h.score)
        if self.options.prefer_own_language and lang and conf >= OWN_LANGUAGE_MIN_CONFIDENCE:
            hits = self._prefer_own_language(hits, languages.base(lang) or "")
        return SearchResult(hits[:top_k], lang, conf, (time.perf_counter() - start) * 1000, raw)

    def _prefer_own_language(self, hits: list[Hit], own: str) -> list[Hit]:
        """Put the customer's-language version of an article before the other-language one it translates.

        A hit in the query's language moves up past a better-scored hit in another language when it
        scores within OWN_LANGUAGE_MARGIN of it and the two are versions of one article: every chunk
        of the shorter one has a counterpart in the other, on average at cosine TRANSLATION_COSINE or
        more (translations measured 0.92 on the sample, different articles in two languages at most
        0.87). A bare score bonus cannot do this: on the sample it put an unrelated German article
        above the English one that answers."""
        pairs = [
            (i, j)
            for j, mine in enumerate(hits)
            if mine.metadata.get("lang_base") == own
            for i in range(j)
            if hits[i].metadata.get("lang_base") != own and hits[i].score - mine.score <= OWN_LANGUAGE_MARGIN
        ]
        if not pairs or self.store is None:
            return hits
        involved = sorted({hits[k].source_id for pair in pairs for k in pair})
        chunk_ids = self.store.chunk_ids(involved)
        vectors = self.index.vectors([c for sid in involved for c in chunk_ids.get(sid, [])])
        matrices = {
            sid: np.stack([vectors[c] for c in chunk_ids.get(sid, []) if c in vectors])
            for sid in involved
            if any(c in vectors for c in chunk_ids.get(sid, []))
        }
        order = list(hits)
        for i, j in pairs:
            mine, other = hits[j], hits[i]
            a, b = matrices.get(mine.source_id), matrices.get(other.source_id)
            if a is None or b is None or order.index(mine) < order.index(other):
                continue
            short, long_ = (a, b) if len(a) <= len(b) else (b, a)
            if float((short @ long_.T).max(axis=1).mean()) < TRANSLATION_COSINE:
                continue
            order.remove(mine)
            order.insert(order.index(other), mine)
            mine.score = max(mine.score, other.score)  # scores stay in rank order
        return order

    def _rescore(self, hits: list[Hit], vec: np.ndarray) -> None:
        """Score each source from its best chunk, its best sentence window and its title line:

            a = (best chunk + best window) / 2          (best window = best chunk when it has none)
            score = (1 - w) * a + w * best title         (= a when it has no title vector)

        nDCG@10 on the dev sets, XQuAD-R / StackFAQ (BENCHMARKS.md): dense 0.916 / 0.940; the full
        search 0.948 / 0.968; without windows 0.919 / 0.964; without titles 0.948 / 0.957."""
        assert self.store is not None
        side = self.store.side_vectors([h.source_id for h in hits])
        w = self.options.title_weight
        for h in hits:
            extra = side.get(h.source_id)
            if extra is None:
                continue
            window = extra.best(vec, WINDOW) if self.options.windows else None
            a = (h.score + window) / 2 if window is not None else h.score
            title = extra.best(vec, TITLE) if w > 0 else None
            h.score = (1 - w) * a + w * title if title is not None else a

    def _article_matrix(self) -> tuple[list[str], np.ndarray] | None:
        """Every article chunk's id and vector, read once after each write (the source store lists the
        chunk ids; the index holds the vectors)."""
        if self.store is None:
            return None
        with self._articles_lock:
            if self._articles is None:
                ids = self.store.chunk_ids_of_kind("article")
                found = self.index.vectors(ids) if ids else {}
                kept = [c for c in ids if c in found]
                matrix = np.stack([found[c] for c in kept]).astype(np.float32) if kept else np.zeros((0, 1), np.float32)
                self._articles = (kept, matrix)
            return self._articles

    def _candidates(self, vec: np.ndarray, top_k: int, filters: SearchFilters) -> list[ChunkHit]:
        """Enough nearest chunks to fill `top_k` distinct sources after grouping and re-ranking."""
        want = max(top_k * 8, 50)
        if self.index.embedded and filters == SearchFilters(source="article"):
            # Answers and the writers' tools search articles only. In a store of many tickets the
            # articles are a few of its points, and the filtered scan below falls back to the store's
            # point-by-point filter (measured: 150 ms per search with 5,000 tickets). The articles'
            # own vectors, kept in memory, are one matrix product.
            articles = self._article_matrix()
            if articles is not None:
                ids, matrix = articles
                if not ids:
                    return []
                scores = matrix @ vec.astype(np.float32)
                top = np.argsort(-scores, kind="stable")[: min(len(ids), max(want, top_k * 20))]
                return self.index.fetch([(ids[i], float(scores[i])) for i in top])
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
