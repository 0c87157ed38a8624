"""One knowledge base: the engines, the index and the source store wired together once per process.

The service (one instance in the app's lifespan) and the CLI both work through this class,
so that ingest, search and answers behave the same everywhere.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
from threadpoolctl import threadpool_limits

from ingest.documents import SourceDocument
from ingest.loader import load_path
from ingest.redact import Redactor
from ingest.pipeline import BATCH_DOCS, Indexer, IngestSummary
from kb_service import languages
from kb_service.config import Settings
from kb_service.engines.embedder import get_embedder
from kb_service.engines.langdetect import default_detector
from kb_service.engines.vector_index import VectorIndex, open_client
from kb_service.retrieval.answer import AnswerComposer
from kb_service.retrieval.search import Hit, RetrievalOptions, SearchFilters, Searcher
from kb_service.storage.database import open_database
from kb_service.storage.datadir_lock import DataDirLock
from kb_service.storage.drafts import DraftStore
from kb_service.storage.glossaries import GlossaryStore
from kb_service.storage.history import History
from kb_service.storage.apikeys import ApiKeyStore
from kb_service.storage.searchlog import SearchLog, customer_ref
from kb_service.storage.sources import SourceStore, StoredSource
from kb_service.translation.service import Translator, build_engines
from kb_service.triage.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from kb_service.engines.embed_cache import CachedEmbedder
    from kb_service.autoresponse.followup import FollowupClassifier
    from kb_service.autoresponse.responder import AutoResponder
    from kb_service.triage.engine import Triage
    from kb_service.writers.desk import WritersDesk

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "ingest" / "sample"
SIDE_VECTORS_KEY, SIDE_VECTORS_FORMAT = "side_vectors", "1"  # bump when windows or title lines change
log = logging.getLogger(__name__)


def normalise_language(doc: SourceDocument) -> SourceDocument:
    """Canonical BCP 47 spelling ('en_US' -> 'en', 'pt-br' -> 'pt-BR') so language filters find it;
    a code we do not support is kept as written."""
    doc.language = languages.normalize_or_none(doc.language) or doc.language
    return doc


@dataclass
class Suggestions:
    articles: list[Hit]
    tickets: list[Hit]
    query_language: str | None
    vector: np.ndarray | None = None


class KnowledgeBase:
    def __init__(self, settings: Settings, check_model: bool = True) -> None:
        # before anything in the data directory is opened or written: one process per data directory
        # (the SQLite stores have no lock of their own); a second one stops here with a clear error
        self._dir_lock = DataDirLock(settings.data_dir)
        # Embedded Qdrant scores with numpy; OpenBLAS threads then fight torch's spinning OpenMP
        # threads for the cores. Measured at 10,000 chunks on 2 cores: search p95 123 ms with the
        # default BLAS threads, 37 ms with one (a matrix-vector product gains nothing from more).
        threadpool_limits(limits=1, user_api="blas")
        self.settings = settings
        self.taxonomy = load_taxonomy(settings.taxonomy_path)  # a malformed file fails here, at start-up
        client = open_client(settings)  # first: a locked embedded store fails before the model loads
        self.embedder = get_embedder(settings)
        self.index = VectorIndex(settings, self.embedder.model_name, self.embedder.dim, client=client, check_model=check_model)
        self.store = SourceStore(settings.sources_db_path)
        self.detector = default_detector()
        self.redactor = Redactor(keep_terms=settings.product_term_list)
        self.indexer = Indexer(
            self.embedder, self.index, self.store, settings.chunk_max_chars,
            windows=settings.retrieval_windows, titles=settings.retrieval_title_weight > 0,
        )
        self._writes = threading.Lock()  # one writer at a time: ingest, article writes, reindex
        if check_model:
            with self._writes:
                self.indexer.recover()
        self.reindex_advice = self._check_side_vectors()
        self.searcher = Searcher(self.embedder, self.index, self.detector, RetrievalOptions.from_settings(settings), self.store)
        self.answers = AnswerComposer(
            self.searcher, settings.answer_min_score, settings.answer_full_confidence_score, settings.answer_max_chars
        )
        self._triage: Triage | None = None
        self._auto_responder: AutoResponder | None = None
        self._followups: FollowupClassifier | None = None
        self._cached_embedder: CachedEmbedder | None = None
        self._lazy_lock = threading.RLock()  # guards the parts built on first use
        self.database = open_database(settings.effective_database_url)
        self.search_log = SearchLog(self.database)
        self.history = History(self.database)
        self.drafts = DraftStore(self.database)
        self.api_keys = ApiKeyStore(self.database)
        self._desk: WritersDesk | None = None
        self.glossaries = GlossaryStore(settings.glossaries_db_path)
        self.translator = Translator(self.glossaries, self.detector, build_engines(settings))
        self.translator.seed_defaults()
        if check_model and self.history.publications():
            # article writes and approvals a crash cut short: finished or dropped before anything else writes
            from kb_service.writers.desk import recover_publications

            log.warning("settled %d article writes a crash interrupted", recover_publications(self))

    @property
    def triage(self) -> "Triage":
        """Classification and escalation, built on first use (it embeds its reference phrases once)."""
        with self._lazy_lock:
            if self._triage is None:
                from kb_service.triage.engine import Triage

                self._triage = Triage(self)
            return self._triage

    @property
    def desk(self) -> "WritersDesk":
        """Writers' tools: clusters, reports, drafts and their review, article versions."""
        with self._lazy_lock:
            if self._desk is None:
                from kb_service.writers.desk import WritersDesk

                self._desk = WritersDesk(self)
            return self._desk

    @property
    def cached_embedder(self) -> "CachedEmbedder":
        """The embedder behind a content-addressed cache (triage training, ticket clusters, logged questions)."""
        with self._lazy_lock:
            if self._cached_embedder is None:
                from kb_service.engines.embed_cache import CachedEmbedder, EmbeddingCache

                self._cached_embedder = CachedEmbedder(self.embedder, EmbeddingCache(self.settings.embedding_cache_path))
            return self._cached_embedder

    @property
    def auto_responder(self) -> "AutoResponder":
        """Auto-responses, built on first use (Claude writes them when a key is set)."""
        with self._lazy_lock:
            if self._auto_responder is None:
                from kb_service.autoresponse.responder import AutoResponder
                from kb_service.llm import from_settings

                claude = from_settings(self.settings) if "claude" in self.settings.translation_engine_list else None
                self._auto_responder = AutoResponder(self, claude)
            return self._auto_responder

    @property
    def followups(self) -> "FollowupClassifier":
        """Reads customers' follow-ups to auto-responses; built on first use (it embeds its phrases once)."""
        with self._lazy_lock:
            if self._followups is None:
                from kb_service.autoresponse.followup import FollowupClassifier

                self._followups = FollowupClassifier(self.embedder)
            return self._followups

    def _check_side_vectors(self) -> str | None:
        """Sources indexed before side vectors existed score by their chunks alone until `kb reindex`."""
        if self.store.get_meta(SIDE_VECTORS_KEY) == SIDE_VECTORS_FORMAT:
            return None
        if self.store.count() == 0:
            self.store.set_meta(SIDE_VECTORS_KEY, SIDE_VECTORS_FORMAT)
            return None
        advice = (
            "this knowledge base was indexed before sentence and title vectors existed; its sources are "
            "found by their chunks alone until you run `kb reindex`"
        )
        log.warning(advice)
        return advice

    def close(self) -> None:
        try:
            if self._triage is not None:
                self._triage.close()
            if self._cached_embedder is not None:
                self._cached_embedder.cache.close()
            self.index.close()
            self.store.close()
            self.glossaries.close()
            self.database.dispose()
        finally:
            self._dir_lock.release()  # last: nothing of this process touches the directory any more

    # --- writes ------------------------------------------------------------
    def ingest_paths(
        self,
        paths: Iterable[Path],
        sync: bool = False,
        progress: Callable[[int], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> IngestSummary:
        """Parse every path, then index what changed; with `sync`, drop sources that vanished from them."""
        docs: list[SourceDocument] = []
        seen: dict[str, str] = {}
        summary = IngestSummary()
        failed_files: set[str] = set()
        roots = [Path(p).resolve() for p in paths]
        for root in roots:
            if not root.exists():
                summary.errors.append((str(root), "no such file or directory"))
                continue
            result = load_path(root, self.redactor)
            summary.skipped.extend(result.skipped)
            summary.errors.extend(result.errors)
            failed_files.update(f for f, _ in result.errors)
            for doc in result.documents:
                if doc.source_id in seen:
                    summary.errors.append((doc.origin or "", f"duplicate id {doc.source_id} (also in {seen[doc.source_id]})"))
                    continue
                if len(doc.body) > self.settings.max_document_chars:
                    summary.errors.append(
                        (doc.origin or "", f"{doc.source_id} is {len(doc.body)} characters, over the limit of "
                         f"{self.settings.max_document_chars} (KB_MAX_DOCUMENT_CHARS)")
                    )
                    failed_files.add(doc.origin or "")
                    continue
                seen[doc.source_id] = doc.origin or ""
                docs.append(normalise_language(doc))
        remove: list[str] = []
        if sync:
            for root in roots:
                for source_id in sorted(self.store.ids_under(root) - seen.keys()):
                    stored = self.store.get(source_id)
                    # a file that failed to parse this time has not disappeared: keep its sources
                    if stored and stored.doc.origin not in failed_files:
                        remove.append(source_id)
        if on_total:
            on_total(len(docs))
        with self._writes:
            result = self.indexer.apply(docs, remove=remove, progress=progress)
            self._after_write(result)
        result.skipped = summary.skipped + result.skipped
        result.errors = summary.errors + result.errors
        return result

    def _after_write(self, summary: IngestSummary) -> None:
        changed = summary.added + summary.updated + summary.removed
        if changed:
            self.searcher.index_changed(changed)
        # labelled history changed: the triage model learns it (in the background, if triage is in use)
        if self._triage is not None and any(s.startswith("ticket:") for s in changed):
            self._triage.retrain_in_background()

    def put_documents(
        self, docs: list[SourceDocument], progress: Callable[[int], None] | None = None, atomic: bool = True
    ) -> IngestSummary:
        """Index documents given whole (API writes, evaluation corpora). `atomic`: all of them or, on
        any failure, none (API writes); otherwise committed batch by batch like a file ingest."""
        docs = [normalise_language(d) for d in docs]
        with self._writes:
            summary = self.indexer.apply(docs, progress=progress, batch_docs=None if atomic else BATCH_DOCS)
            self._after_write(summary)
            return summary

    def put_and_read(self, doc: SourceDocument) -> tuple[IngestSummary, StoredSource]:
        """Write one document and read back what was stored, with no other write in between."""
        with self._writes:
            summary = self.indexer.apply([doc], batch_docs=None)
            self._after_write(summary)
            stored = self.store.get(doc.source_id)
        assert stored is not None  # just committed under the lock
        return summary, stored

    def delete_sources(self, source_ids: list[str]) -> IngestSummary:
        with self._writes:
            summary = self.indexer.apply([], remove=source_ids)
            self._after_write(summary)
            return summary

    def reindex(self, progress: Callable[[int], None] | None = None) -> IngestSummary:
        with self._writes:
            summary = self.indexer.rebuild(progress=progress)
            self._after_write(summary)
            self.store.set_meta(SIDE_VECTORS_KEY, SIDE_VECTORS_FORMAT)
            self.reindex_advice = None
            return summary

    # --- reads -------------------------------------------------------------
    def suggest(self, text: str, top_articles: int = 5, top_tickets: int = 5, language: str | None = None) -> Suggestions:
        vec = self.searcher.embed_query(text)  # embed once, search twice
        arts = self.searcher.search(text, top_articles, SearchFilters(source="article"), language, vector=vec)
        ticks = self.searcher.search(text, top_tickets, SearchFilters(source="ticket"), arts.query_language, vector=vec)
        return Suggestions(arts.hits, ticks.hits, arts.query_language, vec)

    def log_request(self, endpoint: str, query: str, language: str | None, hits: list[Hit], answered: bool | None,
                    key_id: str | None, vector: np.ndarray | None, articles_searched: bool = True,
                    customer_id: str | None = None) -> int | None:
        """Record a search, answer or suggestion in the search log (query redacted first). `answered`
        None: the best article scored at or above the answer threshold. A failure to log is logged,
        never the caller's failure: the customer still gets the answer."""
        articles = [h for h in hits if h.kind == "article"]
        top = articles[0].score if articles else None
        if not articles and hits:
            articles_searched = False  # tickets filled the results: they say nothing about the articles
        if answered is None:
            answered = top is not None and top >= self.settings.answer_min_score
        try:
            redacted = self.redactor.redact(query)
            return self.search_log.record(
                endpoint, redacted, language, top, answered, [h.source_id.removeprefix("article:") for h in articles],
                key_id,
                # the embedding of what was asked, only when nothing was redacted from it: an embedding can
                # be partly inverted; the gap report embeds the redacted text of the others
                vector if redacted == query else None, articles_searched,
                customer_ref(customer_id) if customer_id else None,
            )
        except Exception:
            log.exception("could not write the search log")
            return None
