"""The ingestion pipeline: parsed sources in, chunks embedded and indexed, source store updated.

Incremental by content hash: an unchanged source is not embedded again; a changed one
gets all-new chunk points (ids derive from its hash) and its old points are deleted;
sources that disappeared are removed when the caller asks for it (`--sync`).

Order of writes for each batch, so that a crash anywhere loses nothing and never
leaves a mix of versions once recovered: journal the sources as pending, upsert the
new points, delete the old ones, then record the new state and clear the journal in
one SQLite transaction. `recover()` (run at every start) finishes or rolls back what a
crash interrupted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal

import numpy as np

from ingest.chunking import Chunk, chunk_document, sentence_windows, title_line
from ingest.documents import SourceDocument
from kb_service import languages
from kb_service.engines.embedder import Embedder, llama_embedding
from kb_service.engines.vector_index import VectorIndex
from kb_service.storage.sources import TITLE, WINDOW, SideVectors, SourceStore

_NS = uuid.UUID("6f1d8a3e-5a7b-4c2e-9d0f-2b8e4a1c7d55")
BATCH_DOCS = 32
SIDE_BATCH = 16  # ingesting StackFAQ (219 articles) with windows: batch 4 30.6 s, 8 27.3 s, 16 27.6 s, 64 50.2 s


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    chunks_embedded: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "skipped": len(self.skipped),
            "errors": len(self.errors),
            "chunks_embedded": self.chunks_embedded,
        }


def chunk_payload(doc: SourceDocument, heading: str, index: int) -> dict[str, Any]:
    """What every chunk point carries besides its text: enough to show and filter a hit."""
    meta: dict[str, Any] = {
        "source_id": doc.source_id,
        "kind": doc.kind,
        "title": doc.title,
        "url": doc.url,
        "language": doc.language,
        "lang_base": languages.base(doc.language),
        "product_area": doc.product_area.lower() if doc.product_area else None,
        "tags": [t.lower() for t in doc.tags],
        "updated": doc.updated,
        "heading": heading,
        "chunk_index": index,
    }
    if doc.kind == "ticket":
        meta.update(
            resolution=doc.resolution,
            category=doc.category,
            priority=doc.priority,
            queue=doc.queue,
            created=doc.created,
            resolved=doc.resolved,
        )
    return meta


def chunk_id(source_id: str, content_hash: str, index: int) -> str:
    """A chunk point's id: derived from its source, the source's content hash and its position, so that
    re-embedding a version gives back the same ids and a new version never reuses an old one's."""
    return str(uuid.uuid5(_NS, f"{source_id}|{content_hash}|{index}"))


def build_nodes(doc: SourceDocument, content_hash: str, max_chars: int) -> list[Any]:
    return nodes_for(doc, content_hash, chunk_document(doc, max_chars=max_chars))


def nodes_for(doc: SourceDocument, content_hash: str, chunks: list[Chunk]) -> list[Any]:
    """One LlamaIndex node per chunk, its id derived from the source, its content hash and its position."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    nodes = []
    for chunk in chunks:
        meta = chunk_payload(doc, chunk.heading, chunk.index)
        node = TextNode(
            id_=chunk_id(doc.source_id, content_hash, chunk.index),
            text=chunk.text,
            metadata=meta,
            excluded_embed_metadata_keys=list(meta),  # embed the chunk text alone
            excluded_llm_metadata_keys=list(meta),
        )
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc.source_id)
        nodes.append(node)
    return nodes


def side_texts(chunks: list[Chunk], windows: bool, titles: bool) -> tuple[list[int], list[str]]:
    """(kind, text) of every extra vector of one source's chunks: title lines (once each) and sentence windows.

    The caller gives tickets no windows: they are the bulk of a help desk's sources, they are found as
    whole problem descriptions, and windows would more than double their embedding time."""
    kinds: list[int] = []
    texts: list[str] = []
    seen_titles: set[str] = set()
    for chunk in chunks:
        if titles:
            line = title_line(chunk)
            if line and line not in seen_titles:
                seen_titles.add(line)
                kinds.append(TITLE)
                texts.append(line)
        if windows:
            for w in sentence_windows(chunk):
                kinds.append(WINDOW)
                texts.append(w)
    return kinds, texts


class Indexer:
    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        store: SourceStore,
        chunk_max_chars: int,
        windows: bool = True,
        titles: bool = True,
        batch_docs: int = BATCH_DOCS,
    ) -> None:
        from llama_index.core.ingestion import IngestionPipeline

        self.batch_docs = batch_docs  # sources per committed batch of a file ingest: what a crash makes redo
        self.windows = windows
        self.titles = titles
        self.embedder = embedder
        self.index = index
        self.store = store
        self.chunk_max_chars = chunk_max_chars
        # LlamaIndex's ingestion pipeline embeds the nodes we chunked ourselves (no cache, no docstore:
        # the source store's content hashes already decide what needs embedding).
        self._pipeline = IngestionPipeline(transformations=[llama_embedding(embedder)])

    def _reconcile(self, source_ids: list[str]) -> list[SourceDocument]:
        """Drop every point of these sources that the store has not committed; return the sources
        whose committed points are (partly) missing and must be embedded again."""
        redo: list[SourceDocument] = []
        for source_id in source_ids:
            committed = self.store.get(source_id)
            keep = committed.chunk_ids if committed else []
            self.index.delete_source(source_id, keep=keep)
            if committed and self.index.point_ids(source_id) != set(keep):
                redo.append(committed.doc)  # e.g. a rebuild stopped before this source was re-embedded
        return redo

    def recover(self) -> int:
        """Finish what a crash interrupted: each pending source ends up with exactly its committed points."""
        pending = self.store.pending()
        redo = self._reconcile(pending)
        if redo:
            self.apply(redo, force=True)
        if pending:
            self.store.clear_pending(pending)
        return len(pending)

    def _rollback(self, source_ids: list[str]) -> None:
        """After a failed write in a running process: searches must see the committed version only."""
        unresolved: set[str] = set()
        for stored in (self.store.get(d.source_id) for d in self._reconcile(source_ids)):
            if stored is None:
                continue
            try:  # point ids derive from the content hash: re-embedding gives back the committed ids
                nodes = build_nodes(stored.doc, stored.content_hash, self.chunk_max_chars)
                self.index.add(self._pipeline.run(nodes=nodes, show_progress=False))
            except Exception:
                pass
            if self.index.point_ids(stored.doc.source_id) != set(stored.chunk_ids):
                unresolved.add(stored.doc.source_id)  # stays journalled: recover() finishes it at start
        self.store.clear_pending([s for s in source_ids if s not in unresolved])

    def apply(
        self,
        docs: Iterable[SourceDocument],
        remove: Iterable[str] = (),
        progress: Callable[[int], None] | None = None,
        force: bool = False,
        batch_docs: int | None | Literal["default"] = "default",
    ) -> IngestSummary:
        """Index `docs` (skipping unchanged ones unless `force`) and remove the sources in `remove`.

        Each batch of `batch_docs` sources (default: the indexer's) is committed whole or not at all
        (`None`: one batch, so the whole call is all or nothing, as API writes want); a failed batch
        is rolled back.
        """
        if batch_docs == "default":
            batch_docs = self.batch_docs
        summary = IngestSummary()
        known = self.store.states()
        todo: list[tuple[SourceDocument, str]] = []
        moved: list[tuple[SourceDocument, str, list[str]]] = []
        for doc in docs:
            h = doc.content_hash()
            state = known.get(doc.source_id)
            if state and state[0] == h and not force:
                summary.unchanged.append(doc.source_id)
                stored = self.store.get(doc.source_id) if state[1] != doc.origin else None
                if stored:  # same content, new file: record the new origin, no re-embedding
                    moved.append((doc, h, stored.chunk_ids))
                if progress:
                    progress(1)
                continue
            (summary.updated if doc.source_id in known else summary.added).append(doc.source_id)
            todo.append((doc, h))
        if moved:
            self.store.commit(moved, [])

        step = batch_docs or max(len(todo), 1)
        for start in range(0, len(todo), step):
            batch = todo[start : start + step]
            chunked = [(doc, h, chunk_document(doc, self.chunk_max_chars)) for doc, h in batch]
            per_doc = [(doc, h, nodes_for(doc, h, chunks)) for doc, h, chunks in chunked]
            nodes = [n for _, _, ns in per_doc for n in ns]
            embedded = self._pipeline.run(nodes=nodes, show_progress=False)
            side = self._side_vectors([(doc, chunks) for doc, _, chunks in chunked])
            ids = [doc.source_id for doc, _, _ in per_doc]
            self.store.mark_pending(ids)
            try:
                self.index.add(embedded)
                for doc, _, ns in per_doc:
                    if doc.source_id in known:
                        self.index.delete_source(doc.source_id, keep=[n.node_id for n in ns])
                self.store.commit([(doc, h, [n.node_id for n in ns]) for doc, h, ns in per_doc], [], side=side)
            except BaseException:
                self._rollback(ids)
                raise
            summary.chunks_embedded += len(nodes)
            if progress:
                progress(len(batch))

        to_remove = [s for s in dict.fromkeys(remove) if s in known]
        if to_remove:
            self.store.mark_pending(to_remove)
            try:
                for source_id in to_remove:
                    self.index.delete_source(source_id)
                self.store.commit([], to_remove)
            except BaseException:
                self._rollback(to_remove)
                raise
            summary.removed.extend(to_remove)
        return summary

    def _side_vectors(self, chunked: list[tuple[SourceDocument, list[Chunk]]]) -> dict[str, SideVectors | None]:
        """Embed the title lines and sentence windows of a batch in one pass."""
        plan = [
            (doc.source_id, *side_texts(chunks, self.windows and doc.kind == "article", self.titles))
            for doc, chunks in chunked
        ]
        texts = [t for _, _, ts in plan for t in ts]
        vectors = self.embedder.embed_passages(texts, batch_size=SIDE_BATCH) if texts else None
        out: dict[str, SideVectors | None] = {}
        at = 0
        for source_id, kinds, ts in plan:
            if not ts or vectors is None:
                out[source_id] = None
                continue
            out[source_id] = SideVectors(np.asarray(kinds, dtype=np.uint8), vectors[at : at + len(ts)].astype(np.float16))
            at += len(ts)
        return out

    def rebuild(self, progress: Callable[[int], None] | None = None) -> IngestSummary:
        """Re-embed every stored source into a fresh index (after a model change).

        All sources are journalled first, so a rebuild cut short is completed by `recover()`.
        """
        docs = [s.doc for s in self.store.iter_all()]
        self.store.mark_pending([d.source_id for d in docs])
        self.index.recreate(self.embedder.model_name, self.embedder.dim)
        return self.apply(docs, progress=progress, force=True)
