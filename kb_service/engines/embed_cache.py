"""Embeddings cached by content: the same text under the same model and prefix is embedded once.

Triage training re-reads the whole labelled history on every `kb train`, and `kb eval classify`
evaluates several label fields of one set; both embed through this cache, so only new or
changed texts cost a forward pass. The key is a hash of (model, prefix kind, text), so a cache
shared by two models never mixes their vectors.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from kb_service.engines.embedder import Embedder
from kb_service.storage.sqlite import open_db

_SCHEMA = "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL);"


class EmbeddingCache:
    """A SQLite file of float32 vectors keyed by content hash. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self._conn = open_db(path, _SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                for key, blob in self._conn.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", part):
                    out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def delete_many(self, keys: list[str]) -> int:
        deleted = 0
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                deleted += self._conn.execute(f"DELETE FROM embeddings WHERE key IN ({marks})", part).rowcount
            self._conn.commit()
        return deleted

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])


class CachedEmbedder:
    """An `Embedder` that looks every text up in an `EmbeddingCache` before embedding it."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.model_name = inner.model_name
        self.dim = inner.dim
        self.misses = 0  # texts actually embedded, for reports and tests

    def _key(self, kind: str, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\x1f{kind}\x1f{text.strip()}".encode("utf-8")).hexdigest()

    def _cached(self, kind: str, texts: list[str], embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self._key(kind, t) for t in texts]
        found = self.cache.get_many(sorted(set(keys)))
        todo: dict[str, str] = {}
        for k, t in zip(keys, texts):
            if k not in found and k not in todo:
                todo[k] = t
        if todo:
            vecs = embed(list(todo.values()))
            fresh = dict(zip(todo.keys(), vecs))
            self.cache.put_many(fresh)
            found.update(fresh)
            self.misses += len(todo)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def forget(self, kind: str, texts: list[str]) -> int:
        """Delete the cached vectors of these texts (an embedding can be partly inverted: erasure drops them)."""
        return self.cache.delete_many([self._key(kind, t) for t in texts])

    def embed_queries(self, texts: list[str], batch_size: int | None = None, max_tokens: int | None = None) -> np.ndarray:
        kind = "query" if max_tokens is None else f"query@{max_tokens}"
        return self._cached(kind, texts, lambda ts: self.inner.embed_queries(ts, batch_size, max_tokens))

    def embed_passages(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        return self._cached("passage", texts, lambda ts: self.inner.embed_passages(ts, batch_size))
