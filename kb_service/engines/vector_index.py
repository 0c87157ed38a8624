"""The vector index: Qdrant through qdrant-client, bound through LlamaIndex's QdrantVectorStore.

Embedded (a local folder under the data directory) by default; a Qdrant server when
`KB_QDRANT_URL` is set, with the same calls. A small side collection records which
embedding model and dimension built the index, so that opening it with another model
is caught with a clear message instead of garbage results.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

import numpy as np

from qdrant_client import QdrantClient
from qdrant_client.http import models as rest

from kb_service.config import Settings

DOC_ID_KEY = "doc_id"  # the payload key LlamaIndex sets to a node's ref_doc_id (our source_id)
META_POINT_ID = 1


class IndexLocked(RuntimeError):
    """The embedded store is open in another process (embedded Qdrant allows one process per folder)."""


class IndexModelMismatch(RuntimeError):
    """The index was built with another embedding model or dimension."""


@dataclass(frozen=True)
class IndexInfo:
    model: str
    dim: int
    created_at: str


@dataclass(frozen=True)
class ChunkHit:
    node_id: str
    score: float
    text: str
    metadata: dict[str, Any]


def open_client(settings: Settings) -> QdrantClient:
    if settings.qdrant_url:
        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantClient(url=settings.qdrant_url, api_key=key, timeout=30)
    settings.qdrant_path.mkdir(parents=True, exist_ok=True)
    try:
        return QdrantClient(path=str(settings.qdrant_path))
    except RuntimeError as exc:
        if "already accessed" in str(exc):
            raise IndexLocked(
                f"the embedded index at {settings.qdrant_path} is in use by another process "
                "(most likely a running `kb serve`). Stop that process first, or use the running "
                "service's HTTP API; embedded Qdrant allows one process per data directory "
                "(set KB_QDRANT_URL to share a Qdrant server between processes)."
            ) from exc
        raise


class VectorIndex:
    def __init__(
        self, settings: Settings, model: str, dim: int, client: QdrantClient | None = None, check_model: bool = True
    ) -> None:
        from llama_index.vector_stores.qdrant import QdrantVectorStore

        self.collection = settings.collection
        self._meta_collection = f"{settings.collection}__meta"
        self._client = client or open_client(settings)
        self._lock = threading.RLock()  # the embedded client is not thread-safe
        self.model = model
        self.dim = dim
        info = self.info()
        if info is None:
            self._create(model, dim)
        elif check_model and (info.model != model or info.dim != dim):
            raise IndexModelMismatch(
                f"the index in collection {self.collection!r} was built with embedding model {info.model!r} "
                f"({info.dim} dimensions), but the configured model is {model!r} ({dim} dimensions). "
                f"Run `kb reindex` to rebuild it from the stored sources with the configured model, "
                f"or set KB_EMBEDDING_MODEL={info.model}."
            )
        self.store = QdrantVectorStore(collection_name=self.collection, client=self._client, batch_size=256)

    @property
    def embedded(self) -> bool:
        """True for the local folder store, which scans every point (and checks filters in Python)."""
        return self._client._client.__class__.__name__ == "QdrantLocal"

    # --- metadata ----------------------------------------------------------
    def info(self) -> IndexInfo | None:
        with self._lock:
            if not self._client.collection_exists(self._meta_collection):
                return None
            points = self._client.retrieve(self._meta_collection, ids=[META_POINT_ID], with_payload=True)
        if not points or not points[0].payload:
            return None
        p = points[0].payload
        return IndexInfo(str(p["model"]), int(p["dim"]), str(p.get("created_at", "")))

    def _create(self, model: str, dim: int) -> None:
        with self._lock:
            for name in (self.collection, self._meta_collection):
                if self._client.collection_exists(name):
                    self._client.delete_collection(name)
            self._client.create_collection(
                self.collection, vectors_config=rest.VectorParams(size=dim, distance=rest.Distance.COSINE)
            )
            if not self.embedded:  # payload indexes are server-only
                for field in (DOC_ID_KEY, "kind", "lang_base", "product_area", "tags"):
                    self._client.create_payload_index(self.collection, field, rest.PayloadSchemaType.KEYWORD)
            # the meta collection is written last: its presence means the collection is complete
            self._client.create_collection(
                self._meta_collection, vectors_config=rest.VectorParams(size=1, distance=rest.Distance.DOT)
            )
            created = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self._client.upsert(
                self._meta_collection,
                [rest.PointStruct(id=META_POINT_ID, vector=[1.0], payload={"model": model, "dim": dim, "created_at": created})],
            )

    def load_stats(self) -> dict[str, Any]:
        """Statistics a component saved with the index (e.g. language centroids), or {}."""
        with self._lock:
            points = self._client.retrieve(self._meta_collection, ids=[META_POINT_ID], with_payload=True)
        return dict((points[0].payload or {}).get("stats") or {}) if points else {}

    def save_stats(self, stats: dict[str, Any]) -> None:
        with self._lock:
            self._client.set_payload(self._meta_collection, {"stats": stats}, points=[META_POINT_ID], wait=True)

    def recreate(self, model: str, dim: int) -> None:
        """Drop everything and start an empty index for `model` (used by `kb reindex`)."""
        from llama_index.vector_stores.qdrant import QdrantVectorStore

        self._create(model, dim)
        self.model, self.dim = model, dim
        self.store = QdrantVectorStore(collection_name=self.collection, client=self._client, batch_size=256)

    # --- writes ------------------------------------------------------------
    def add(self, nodes: list[Any]) -> list[str]:
        """Upsert LlamaIndex nodes (with embeddings); ids are deterministic, so a retry is harmless."""
        if not nodes:
            return []
        with self._lock:
            return list(self.store.add(nodes))

    def delete_source(self, source_id: str, keep: list[str] | None = None) -> None:
        """Remove a source's points, except those in `keep` (the ids of its current version)."""
        must_not: list[Any] = [rest.HasIdCondition(has_id=list(keep))] if keep else []
        selector = rest.Filter(
            must=[rest.FieldCondition(key=DOC_ID_KEY, match=rest.MatchValue(value=source_id))], must_not=must_not
        )
        with self._lock:
            self._client.delete(self.collection, points_selector=rest.FilterSelector(filter=selector), wait=True)

    # --- reads -------------------------------------------------------------
    def count(self) -> int:
        with self._lock:
            return int(self._client.count(self.collection, exact=True).count)

    def point_ids(self, source_id: str) -> set[str]:
        flt = rest.Filter(must=[rest.FieldCondition(key=DOC_ID_KEY, match=rest.MatchValue(value=source_id))])
        ids: set[str] = set()
        offset = None
        with self._lock:
            while True:
                points, offset = self._client.scroll(
                    self.collection, scroll_filter=flt, limit=256, offset=offset, with_payload=False
                )
                ids.update(str(p.id) for p in points)
                if offset is None:
                    return ids

    def iter_vectors(self, payload_key: str) -> "Iterator[tuple[Any, np.ndarray]]":
        """Every point's vector with one payload field (for statistics over the whole index)."""
        offset = None
        while True:
            with self._lock:
                points, offset = self._client.scroll(
                    self.collection, limit=1024, offset=offset, with_payload=[payload_key], with_vectors=True
                )
            for p in points:
                vec = p.vector if not isinstance(p.vector, dict) else next(iter(p.vector.values()))
                yield (p.payload or {}).get(payload_key), np.asarray(vec, dtype=np.float32)
            if offset is None:
                return

    def query(self, vector: list[float], top_k: int, filters: Any | None = None) -> list[ChunkHit]:
        """Nearest chunks by cosine similarity; `filters` are LlamaIndex MetadataFilters."""
        from llama_index.core.vector_stores.types import VectorStoreQuery

        q = VectorStoreQuery(query_embedding=vector, similarity_top_k=top_k, filters=filters)
        with self._lock:
            result = self.store.query(q)
        hits = []
        for node, score in zip(result.nodes or [], result.similarities or []):
            hits.append(ChunkHit(node.node_id, float(score), node.get_content(), dict(node.metadata)))
        return hits

    def scan(self, vector: list[float], limit: int, payload_keys: list[str]) -> list[tuple[str, float, dict[str, Any]]]:
        """Nearest points with only a few payload fields: cheap enough to over-fetch and filter in Python."""
        with self._lock:
            points = self._client.query_points(self.collection, query=vector, limit=limit, with_payload=payload_keys).points
        return [(str(p.id), float(p.score), dict(p.payload or {})) for p in points]

    def vectors(self, point_ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these points (missing ids are left out)."""
        if not point_ids:
            return {}
        with self._lock:
            points = self._client.retrieve(self.collection, ids=point_ids, with_payload=False, with_vectors=True)
        out = {}
        for p in points:
            vec = p.vector if not isinstance(p.vector, dict) else next(iter(p.vector.values()))
            out[str(p.id)] = np.asarray(vec, dtype=np.float32)
        return out

    def fetch(self, scored: list[tuple[str, float]]) -> list[ChunkHit]:
        """Whole chunks for ids found by scan(), in the given order, rebuilt as LlamaIndex nodes."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        if not scored:
            return []
        with self._lock:
            points = {str(p.id): p for p in self._client.retrieve(self.collection, ids=[i for i, _ in scored], with_payload=True)}
        hits = []
        for point_id, score in scored:
            point = points.get(point_id)
            if point is None:  # deleted between scan and fetch
                continue
            node = metadata_dict_to_node(dict(point.payload or {}))
            hits.append(ChunkHit(point_id, score, node.get_content(), dict(node.metadata)))
        return hits

    def close(self) -> None:
        with self._lock:
            self._client.close()
